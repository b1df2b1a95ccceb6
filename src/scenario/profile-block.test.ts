/**
 * The `smmu:` block → profile mapping and its located consistency errors (PROFILE_RULE), and the
 * nest-parent table size rule: exact error lists, positions and rule ids.
 */
import t from 'tap';
import { loadScenarioText } from '../engine/load.ts';
import { profileOverrides } from './profile-block.ts';

const HEAD = `description: profile test (SMMUv3 §6.3.1)
tags: [t]
steps: []
`;
const errs = (text: string): string[] => loadScenarioText(text, { file: 'p.yaml' }).errors.map((e) => `${e.line}:${e.col} ${e.code} ${e.path}: ${e.message}`);

t.test('a v3.2 part without RIL is rejected at the key that turned it off', async (t) => {
  t.same(errs(`${HEAD}smmu: { features: { ril: false } }\n`), [
    '4:21 PROFILE_RULE smmu.features.ril: rule IDR3.RIL-v3.2 (SMMUv3 §6.3.4): RIL is 1 in SMMUv3.2 or later',
  ]);
  t.same(errs(`${HEAD}smmu: { version: v3.1, features: { ril: false } }\n`), []);
});

t.test('Hyp on a stage-1-only part is rejected; a stage-1-only part alone is fine', async (t) => {
  t.same(errs(`${HEAD}smmu: { features: { s2: false } }\n`), []);
  t.same(errs(`${HEAD}smmu: { features: { s2: false, hyp: true } }\n`), [
    '4:32 PROFILE_RULE smmu.features.hyp: IDR0.Hyp is RES0 when S1P or S2P is 0 (SMMUv3 §6.3.1)',
  ]);
  t.same(errs(`${HEAD}smmu: { version: v3.2, features: { hyp: false } }\n`), [
    '4:36 PROFILE_RULE smmu.features.hyp: rule IDR0.Hyp-v3.2 (SMMUv3 §6.3.1): Hyp == 1 is mandatory in SMMUv3.2 or later when S1P == 1 and S2P == 1',
  ]);
});

t.test('OAS that no encoding has, and queues larger than IDR1 allows', async (t) => {
  t.same(errs(`${HEAD}smmu: { oas: 47 }\n`), [
    '4:9 PROFILE_RULE smmu.oas: IDR5.OAS cannot encode 47 bits; expected one of 32, 36, 40, 42, 44, 48, 52 (SMMUv3 §6.3.6)',
  ]);
  t.same(errs(`${HEAD}smmu: { cmdq_log2size: 19 }\n`), []);
});

t.test('the overrides name the profile fields the executor applies', async (t) => {
  const o = profileOverrides({ version: 'v3.1', features: { s2: false, granule_16k: false } });
  t.same(o.profile, { aidr: { major: 0, minor: 1 }, s2p: false, granules: ['4k', '64k'] });
  t.same(o.paths.get('s2p'), ['smmu', 'features', 's2']);
});

t.test('a nest-parent stage 2 must declare ipa_bits = IAS (Linux sizes it by the SMMU IAS)', async (t) => {
  const body = (bits: number, extra = ''): string => `description: t (SMMUv3 §3.4)
tags: [t]
${extra}devices: [{ name: nic, sid: 0x10 }]
host: {}
memory:
  s2_tables: [{ name: vm, granule: 4k, ipa_bits: ${bits}, map: [] }]
steps:
  - hwpt_alloc: { name: s2, device: nic, s2_table: vm }
`;
  t.same(errs(body(48)), []);
  t.same(errs(body(40)), [
    '6:50 PROFILE_RULE memory.s2_tables[0].ipa_bits: s2 table "vm" backs a nest-parent HWPT, which Linux sizes by the SMMU\'s IAS: expected ipa_bits: 48 (S2T0SZ = 64 - IAS = 16; SMMUv3 §3.4, linux-smmuv3-iommufd.md §6.3), got 40',
  ]);
  t.same(errs(body(40, 'smmu: { oas: 40 }\n')), [], 'IAS follows the profile OAS');
});
