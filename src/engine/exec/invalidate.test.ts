// The invalidation a careful driver issues after a stage-2 table edit (`invalidate: true`): the
// TLBI_S2_IPA must complete (CMD_SYNC) before TLBI_NH_ALL, as Arm ARM D8.17.6.1 requires
// "TLBI IPAS2E1; DSB; TLBI VMALLE1" (SMMUv3 §4.4: CMD_SYNC is the DSB of the command queue).
import t from 'tap';
import { loadScenarioText } from '../load.ts';
import type { Scenario } from '../../scenario/types.ts';
import { executeScenario } from '../execute.ts';
import type { StepRecord } from '../../scenario/observation.ts';

const SCENARIO = `description: stage-2 unmap invalidation order (SMMUv3 §4.4.3.1)
tags: [t]
devices:
  - { name: gpu, sid: 0x20 }
memory:
  s2_tables:
    - { name: vm0, granule: 4k, ipa_bits: 40, map: [ { ipa: 0x8000_0000, pa: 0x9000_0000, size: 8K, perm: rw, page_only: true } ] }
  s1_tables:
    - { name: gpt, granule: 4k, va_bits: 48, ipa_space: vm0, map: [ { va: 0x1000, ipa: 0x8000_0000, size: 4K, perm: rw } ] }
  cd_tables:
    - { name: gcd, ipa_space: vm0, entries: [ { ssid: 0, asid: 1, tt0: gpt } ] }
streams:
  - { device: gpu, config: nested, cd_table: gcd, s2_table: vm0, vmid: 3 }
steps:
  - unmap: { table: vm0, ipa: 0x8000_1000, size: 4K, invalidate: true }
  - read_reg: { reg: SMMU_CMDQ_BASE }
`;

t.test('stage-2 unmap: TLBI_S2_IPA, CMD_SYNC, TLBI_NH_ALL, CMD_SYNC', async (t) => {
  const r = loadScenarioText(SCENARIO, { file: 'inline.yaml' });
  if (r.scenario === undefined) throw new Error(r.errors.map((e) => `${e.path}: ${e.message}`).join('; '));
  const scenario = r.scenario as Scenario;
  const obs = executeScenario(scenario, { profile: { name: 'test', features: [] } });
  const unmap = obs.steps[0] as StepRecord;
  t.equal(unmap['executed'], 4, 'four commands after the 4-command reset batch');
  const base = BigInt(String((obs.steps[1] as StepRecord)['value']));
  const q = base & 0x00ff_ffff_ffff_ffe0n;
  // read the four ring slots the unmap wrote (indices 4..7, 16 bytes each)
  const probe = loadScenarioText(`${SCENARIO}${[4, 5, 6, 7].map((i) => `  - read_mem: { pa: 0x${(q + BigInt(i * 16)).toString(16)} }\n`).join('')}`, {
    file: 'inline.yaml',
  });
  if (probe.scenario === undefined) throw new Error(probe.errors.map((e) => `${e.path}: ${e.message}`).join('; '));
  const o2 = executeScenario(probe.scenario as Scenario, { profile: { name: 'test', features: [] } });
  const ops = o2.steps.slice(2).map((s) => Number(BigInt(String(((s as StepRecord)['values'] as unknown[])[0])) & 0xffn));
  t.same(ops, [0x2a, 0x46, 0x10, 0x46], 'TLBI_S2_IPA, CMD_SYNC, TLBI_NH_ALL, CMD_SYNC');
});
