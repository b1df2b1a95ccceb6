/**
 * Run-level profile files (`--profile FILE`): located errors with exact lists, the part's
 * overrides, and the `requires:` features derived from the part.
 */
import t from 'tap';
import { DEFAULT_PROFILE } from '../smmu/profile.ts';
import { FEATURES } from './features.ts';
import { profileFeatures } from './features.ts';
import { loadProfileText } from './profile-file.ts';

const errs = (text: string): string[] => loadProfileText(text, 'part.yaml').errors.map((e) => `${e.line}:${e.col} ${e.code} ${e.path}: ${e.message}`);

t.test('a part: IDR fields by architecture name, version, features and IMPDEF choices', async (t) => {
  const r = loadProfileText(
    `name: s1-part
version: v3.1
features: { s2: false, ril: false }
idr: { TERM_MODEL: 1, ProductID: 0x483, OAS: 4 }
impdef: { cmd_res0: ignore }
`,
    'part.yaml',
  );
  t.same(r.errors, []);
  t.equal(r.part?.name, 's1-part');
  t.same(r.part?.smmu, {
    aidr: { major: 0, minor: 1 },
    s2p: false,
    ril: false,
    termModel: true,
    iidr: { ...DEFAULT_PROFILE.iidr, productId: 0x483 },
    oas: 44,
    cmdRes0: 'ignore',
  });
  t.notOk(r.part?.features.includes('s2'), 'requires: s2 is not met');
  t.notOk(r.part?.features.includes('nesting'));
  t.notOk(r.part?.features.includes('hyp'), 'Hyp is RES0 without stage 2');
  t.ok(r.part?.features.includes('s1'));
});

t.test('every problem is located: unknown keys, set-up keys, bad encodings, broken rules', async (t) => {
  t.same(errs('features: { ril: false }\ncmdq_log2size: 4\nidr: { OAS: 9, TTENDIAN: 1 }\nfoo: 1\n'), [
    '2:1 UNKNOWN_KEY cmdq_log2size: "cmdq_log2size" is per-scenario set-up, not a property of the part; set it in the scenario\'s smmu: block',
    '3:13 BAD_VALUE idr.OAS: number 9 is not allowed; expected one of: 0, 1, 2, 3, 4, 5, 6',
    '3:26 BAD_VALUE idr.TTENDIAN: number 1 is not allowed; expected one of: 0, 2, 3',
    '4:1 UNKNOWN_KEY foo: Unknown key "foo"; expected one of: name, description, version, oas, sidsize, ssidsize, granules, stall_model, features, idr, impdef',
  ]);
  t.same(errs('features: { ril: false }\n'), ['1:13 PROFILE_RULE features.ril: rule IDR3.RIL-v3.2 (SMMUv3 §6.3.4): RIL is 1 in SMMUv3.2 or later']);
  t.same(errs('idr: { HYP: 1, S2P: 0 }\n'), ['1:8 PROFILE_RULE idr.HYP: IDR0.Hyp is RES0 when S1P or S2P is 0 (SMMUv3 §6.3.1)']);
  t.same(errs('features: { ril: true }\nidr: { RIL: 0 }\n'), [
    '2:8 CONFLICT idr.RIL: idr.RIL disagrees with features.ril; name the field once',
    '2:8 PROFILE_RULE idr.RIL: rule IDR3.RIL-v3.2 (SMMUv3 §6.3.4): RIL is 1 in SMMUv3.2 or later',
  ]);
  t.same(errs('[1, 2]\n'), [
    '1:1 BAD_TYPE : A profile must be a YAML map (name, description, version, oas, sidsize, ssidsize, granules, stall_model, features, idr, impdef)',
  ]);
});

t.test('the default part offers what its IDRs say: no PRI, HTTU, BTM or VATOS (nor DS, AArch32 tables, Secure)', async (t) => {
  t.same(
    profileFeatures(DEFAULT_PROFILE),
    FEATURES.filter((f) => !['pri', 'httu', 'btm', 'vatos', 'ds', 'aarch32', 'secure'].includes(f)),
  );
});
