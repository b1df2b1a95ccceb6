/**
 * Profile consistency rules: the default part breaks none; each rule is broken by a profile that
 * differs from a legal one in the rule's own fields, and the violation list is exact.
 */
import t from 'tap';
import { IDR0 } from '../arch/registers.ts';
import { DEFAULT_PROFILE, type SmmuProfile, makeProfile, profileToIdRegs } from './profile.ts';
import { PROFILE_RULES, profileViolations } from './profile-rules.ts';

const ids = (p: SmmuProfile): string[] => profileViolations(p).map((v) => v.rule.id);
const v31 = { major: 0, minor: 1 };
const v30 = { major: 0, minor: 0 };

t.test('the default profile (SMMUv3.2) is consistent', async (t) => {
  t.same(ids(DEFAULT_PROFILE), []);
});

t.test('IDR0.Hyp follows S1P && S2P unless named (RES0 otherwise, §6.3.1)', async (t) => {
  const s1only = makeProfile({ s2p: false });
  t.equal(s1only.hyp, false);
  t.equal(IDR0.get([profileToIdRegs(s1only).idr0], 'HYP'), 0n, 'IDR0.Hyp reads 0');
  t.equal(makeProfile({ s1p: false }).hyp, false);
  t.equal(makeProfile({}).hyp, true);
  t.throws(() => makeProfile({ s2p: false, hyp: true }), /RES0/);
});

t.test('each rule fires alone on a profile that breaks only it', async (t) => {
  const cases: Array<[string, Partial<SmmuProfile>]> = [
    ['AIDR-modelled', { aidr: { major: 0, minor: 3 } }],
    ['IDR0.Hyp-RES0', { ...makeProfile({ s2p: false }), hyp: true }],
    ['IDR0.Hyp-v3.2', { hyp: false }],
    ['IDR0.PRI-RES0', { pri: true, ats: false }],
    ['IDR0.STALL_MODEL-PCI', { stallModel: 2 }],
    ['IDR1.SIDSIZE-ST_LEVEL', { stLevel: 0 }],
    ['IDR1.SIDSIZE-range', { sidSize: 33 }],
    ['IDR1.SSIDSIZE-range', { ssidSize: 21 }],
    ['IDR1.QS-max', { cmdqs: 20 }],
    ['IDR3.RIL-v3.2', { ril: false }],
    ['IDR3.FWB-v3.2', { fwb: false }],
    ['IDR3.BBML-v3.2', { bbml: 0 }],
    ['IDR5.OAS-52-v3.0', { aidr: v30, oas: 52, hyp: true }],
    ['IDR5.OAS-52-granule', { oas: 52, granules: ['4k', '16k'] }],
    ['IDR5.VAX-v3.0', { aidr: v30, vax: 1 }],
    ['IDR5.VAX-granule', { vax: 1, granules: ['4k'] }],
    ['IDR5.DS-VAX', { ds: true }],
    ['IDR5.DS-RES0', { ds: true, vax: 1, granules: ['64k'] }],
    ['IDR5.granules', { granules: [] }],
  ];
  t.equal(cases.length, PROFILE_RULES.length, 'every rule has a case');
  for (const [id, over] of cases) t.same(ids({ ...DEFAULT_PROFILE, ...over }), [id], id);
  t.same(ids({ ...DEFAULT_PROFILE, aidr: v31, ril: false, fwb: false, bbml: 0, hyp: false }), [], 'v3.1 may lack RIL, FWB, BBML and Hyp');
});

t.test('a violation message cites the rule id and the section', async (t) => {
  const [v] = profileViolations({ ...DEFAULT_PROFILE, ril: false });
  t.equal(v?.message, 'rule IDR3.RIL-v3.2 (SMMUv3 §6.3.4): RIL is 1 in SMMUv3.2 or later');
});
