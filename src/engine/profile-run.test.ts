/**
 * The part under test changes the emulated SMMU itself, not only what is skipped: a run-level
 * profile (ExecuteOptions.profile.smmu, from `--profile FILE`) and a scenario's own `smmu:` block
 * (here `idr:` keys) change the ID registers the host reads and the architected behaviour.
 */
import t from 'tap';
import { loadScenarioText } from './load.ts';
import type { SmmuProfile } from '../smmu/profile.ts';
import { executeScenario } from './execute.ts';
import type { Observation, StepRecord } from '../scenario/observation.ts';

const run = (text: string, smmu?: Partial<SmmuProfile>): Observation => {
  const r = loadScenarioText(text, { file: 'p.yaml', ...(smmu !== undefined ? { profile: smmu } : {}) });
  if (r.scenario === undefined) throw new Error(r.errors.map((e) => e.message).join('; '));
  return executeScenario(r.scenario, { profile: { name: 'p', features: [], ...(smmu !== undefined ? { smmu } : {}) } });
};
const step = (o: Observation, n: number): StepRecord => o.steps[n - 1] as StepRecord;

// CD.A=0: with TERM_MODEL=0 a terminated access may complete as RAZ/WI; with TERM_MODEL=1 the CD is ILLEGAL (§5.4.2, §6.3.1)
const cdA0 = (smmu = ''): string => `description: TERM_MODEL and CD.A (SMMUv3 §6.3.1)
tags: [t]
${smmu}devices: [{ name: d, sid: 0x10 }]
memory:
  s1_tables: [{ name: pt, granule: 4k, va_bits: 48, map: [{ va: 0x1000, pa: 0x8000_0000, size: 4K, perm: rw }] }]
  cd_tables: [{ name: cd, entries: [{ ssid: 0, asid: 1, tt0: pt, a: false }] }]
streams: [{ device: d, config: s1, cd_table: cd }]
steps:
  - dma: { device: d, iova: 0x1000, access: read }
`;

t.test('TERM_MODEL from a run-level profile and from the scenario block: CD.A=0 becomes C_BAD_CD', async (t) => {
  const plain = run(cdA0());
  t.equal(step(plain, 1)['result'], 'ok', 'TERM_MODEL=0: the CD is legal');
  const part = run(cdA0(), { termModel: true });
  t.equal(step(part, 1)['event'], 'C_BAD_CD', 'run-level profile');
  const block = run(cdA0('smmu: { idr: { TERM_MODEL: 1 } }\n'));
  t.equal(step(block, 1)['event'], 'C_BAD_CD', 'scenario idr: block');
});

const hwInfo = `description: hw_info (linux-smmuv3-iommufd.md §6.2)
tags: [t]
devices: [{ name: nic, sid: 0x10 }]
host: {}
steps:
  - hw_info: { device: nic }
`;

t.test('the host reads the part: IDR0, IIDR and AIDR in hw_info follow the profile', async (t) => {
  const words = (o: Observation): string[] => step(o, 1)['data'] as string[];
  const def = words(run(hwInfo));
  const part = words(run(hwInfo, { termModel: true, aidr: { major: 0, minor: 1 }, iidr: { implementer: 0x43b, revision: 0, variant: 2, productId: 0x483 } }));
  t.equal(BigInt(part[2] ?? '0') ^ BigInt(def[2] ?? '0'), 1n << 26n, 'IDR0 differs in TERM_MODEL only');
  t.equal(part[8], '0x4832043b', 'IIDR: ProductID 0x483, Variant 2, Implementer 0x43B');
  t.equal(part[9], '0x00000001', 'AIDR v3.1');
});

t.test('a stage-1-only run-level part: no TLBI_EL2_ALL at reset, CONS one lower', async (t) => {
  const text = 'description: boot (SMMUv3 §6.3.1)\ntags: [t]\nsteps: []\n';
  t.equal(run(text).cmdq.cons, '0x00000004');
  t.equal(run(text, { s2p: false }).cmdq.cons, '0x00000003');
});

t.test('a scenario block is checked against the run-level part', async (t) => {
  const r = loadScenarioText('description: x (SMMUv3 §6.3.4)\ntags: [t]\nsmmu: { features: { ril: true } }\nsteps: []\n', {
    file: 'p.yaml',
    profile: { aidr: { major: 0, minor: 1 }, ril: false, fwb: false },
  });
  t.same(
    r.errors.map((e) => e.code),
    [],
  );
  const bad = loadScenarioText('description: x (SMMUv3 §6.3.4)\ntags: [t]\nsmmu: { version: v3.2 }\nsteps: []\n', {
    file: 'p.yaml',
    profile: { aidr: { major: 0, minor: 1 }, ril: false },
  });
  t.same(
    bad.errors.map((e) => `${e.line}:${e.col} ${e.message}`),
    ['3:9 rule IDR3.RIL-v3.2 (SMMUv3 §6.3.4): RIL is 1 in SMMUv3.2 or later'],
  );
});

const nestedInv = (smmu: string): string => `description: COHACC and ATTR_TYPES_OVR seen by the Linux-like host (linux-smmuv3-iommufd.md §3.4)
tags: [t]
${smmu}devices: [{ name: nic, sid: 0x10, vsid: 0x7, bdf: '01:00.0' }]
host: {}
memory:
  s2_tables: [{ name: vm, granule: 4k, ipa_bits: 48, map: [{ ipa: 0x8000_0000, pa: 0x2_0000_0000, size: 2M, perm: rw }] }]
  s1_tables: [{ name: gs1, granule: 4k, va_bits: 48, ipa_space: vm, map: [{ va: 0x1000_0000, ipa: 0x8000_1000, size: 4K, perm: rw }] }]
  cd_tables: [{ name: gcd, ipa_space: vm, entries: [{ ssid: 0, asid: 5, tt0: gs1 }] }]
steps:
  - hwpt_alloc: { name: s2, device: nic, s2_table: vm }
  - viommu: { name: vi, device: nic, hwpt: s2 }
  - vdevice: { viommu: vi, device: nic }
  - nested_hwpt: { name: n1, device: nic, pt: vi, ste: { config: s1, cd_table: gcd } }
  - attach: { device: nic, hwpt: n1 }
  - invalidate: { target: vi, commands: [{ op: TLBI_NH_ASID, asid: 5 }] }
`;

t.test('idr: COHACC=0 turns off MSI polling (CMD_SYNC CS=SIG_SEV); ATTR_TYPES_OVR=0 drops SHCFG=incoming', async (t) => {
  const cs = (o: Observation): bigint => (((step(o, 6)['issued'] as bigint[])[2] ?? 0n) >> 12n) & 3n;
  const shcfg = (o: Observation): bigint => (((step(o, 5)['ste'] as bigint[])[1] ?? 0n) >> 44n) & 3n;
  const def = run(nestedInv(''));
  t.equal(cs(def), 1n, 'coherent MSI-capable part: CS=SIG_IRQ');
  t.equal(shcfg(def), 1n, 'ATTR_TYPES_OVR: SHCFG=incoming');
  t.equal(cs(run(nestedInv('smmu: { idr: { COHACC: 0 } }\n'))), 2n, 'non-coherent part: CS=SIG_SEV');
  t.equal(shcfg(run(nestedInv('smmu: { idr: { ATTR_TYPES_OVR: 0 } }\n'))), 0n, 'no override: SHCFG 0');
});
