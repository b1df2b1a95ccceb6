// Defaults do what the schema says: for every schema property whose description states a
// default, the scenario with the property left out and the scenario with the default written out
// give identical observations (the canonical golden text). A new default in the schema without a
// case here fails the test, so a documented default cannot drift from the executor again (the
// cmdq `sync` default was documented as true while the executor appended CMD_SYNC only when
// `sync: true` was written).
import t from 'tap';
import { executeScenario } from '../src/engine/execute.ts';
import { canonicalGolden } from '../src/golden/canonical.ts';
import { loadScenarioText } from '../src/engine/load.ts';
import { scenarioSchema as buildScenarioSchema } from '../src/engine/steps/registry.ts';

/** Schema paths ($defs/<def>/properties/<prop>...) whose description states a default -> description. */
function documentedDefaults(): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (n: unknown, path: string): void => {
    if (n === null || typeof n !== 'object') return;
    const o = n as Record<string, unknown>;
    const d = o['description'];
    if (typeof d === 'string' && /\bdefault\b/i.test(d)) out.set(path.replace(/^\$defs\//, '').replace(/\/properties\//g, '.'), d);
    for (const [k, v] of Object.entries(o)) walk(v, path === '' ? k : `${path}/${k}`);
  };
  walk(buildScenarioSchema(), '');
  return out;
}
/** The literal a description documents, when it is a boolean or a plain integer ("default true", "(default 40)"). */
const literalOf = (d: string): string | undefined => /\bdefault:? (true|false|\d+)\b(?![.\d]| ?[KMG]i?B)/.exec(d)?.[1];

// Slots filled per case: SMMU (top-level smmu: line), S2M/S1M (map extras), S2T (s2 table
// extras), CD (CD entry extras), ST (stream extras), FAULT (smmu faults), STEPS (more steps).
type Slots = Partial<Record<'SMMU' | 'S2M' | 'S1M' | 'S2T' | 'CD' | 'ST' | 'STEPS' | 'DMA', string>>;
const device = (s: Slots): string => `description: default check (SMMUv3 §3.2)
tags: [t]
${s.SMMU ?? ''}devices: [{ name: d, sid: 0x10 }]
memory:
  s2_tables: [{ name: vm, granule: 4k, ipa_bits: 40${s.S2T ?? ''}, map: [{ ipa: 0x8000_0000, pa: 0x9000_0000, size: 2M, perm: rw${s.S2M ?? ''} }] }]
  s1_tables: [{ name: pt, granule: 4k, va_bits: 48, ipa_space: vm, map: [{ va: 0x1000, ipa: 0x8000_1000, size: 4K, perm: rw${s.S1M ?? ''} }] }]
  cd_tables: [{ name: cd, ipa_space: vm, entries: [{ ssid: 0, asid: 1, tt0: pt${s.CD ?? ''} }] }]
streams: [{ device: d, config: nested, cd_table: cd, s2_table: vm, vmid: 3${s.ST ?? ''} }]
steps:
  - dma: { device: d, iova: 0x1010, access: read${s.DMA ?? ''} }
${s.STEPS ?? ''}`;

type HSlots = Partial<
  Record<'HOST' | 'HDEV' | 'GUEST' | 'STEPS' | 'HWPT' | 'VIOMMU' | 'VDEV' | 'NESTED' | 'VSTE' | 'INV' | 'VEQ' | 'READ' | 'HWINFO' | 'S2MAP', string>
>;
const host = (s: HSlots): string => `description: default check (linux-smmuv3-iommufd.md §6)
tags: [t]
devices: [{ name: nic, sid: 0x10, vsid: 0x7, bdf: '01:00.0' }]
host: { ${s.HOST ?? ''}${s.HDEV ?? ''} }
${s.GUEST ?? ''}memory:
  s2_tables: [{ name: vm, granule: 4k, ipa_bits: 48, map: [{ ipa: 0x8000_0000, pa: 0x2_0000_0000, size: 2M, perm: rw }] }]
  s1_tables: [{ name: gs1, granule: 4k, va_bits: 48, ipa_space: vm, map: [{ va: 0x1000_0000, ipa: 0x8000_1000, size: 4K, perm: rw }] }]
  cd_tables: [{ name: gcd, ipa_space: vm, entries: [{ ssid: 0, asid: 5, tt0: gs1 }] }]
steps:
  - hw_info: { device: nic${s.HWINFO ?? ''} }
  - hwpt_alloc: { name: s2, device: nic, s2_table: vm${s.HWPT ?? ''} }
  - s2_map: { hwpt: s2, ipa: 0x9000_0000, pa: 0x3_0000_0000, size: 4K, perm: rw${s.S2MAP ?? ''} }
  - viommu: { name: vi, device: nic, hwpt: s2${s.VIOMMU ?? ''} }
  - vdevice: { viommu: vi, device: nic${s.VDEV ?? ''} }
  - veventq: { name: q, viommu: vi, depth: 4${s.VEQ ?? ''} }
  - nested_hwpt: { name: n1, device: nic, pt: vi, ste: { config: s1, cd_table: gcd${s.VSTE ?? ''} }${s.NESTED ?? ''} }
  - attach: { device: nic, hwpt: n1 }
  - dma: { device: nic, iova: 0x1000_0000, access: read }
  - dma: { device: nic, iova: 0x2000_0000, access: read }
  - read_vevents: { veventq: q${s.READ ?? ''} }
  - invalidate: { target: vi, commands: [{ op: TLBI_NH_ASID, asid: 5 }, { op: CFGI_CD, sid: 0x7, ssid: 0 }]${s.INV ?? ''} }
${s.STEPS ?? ''}`;

const STE_STEP = (x: string): string =>
  `  - ste: { device: d, config: nested, cd_table: cd, s2_table: vm, vmid: 3${x} }\n  - dma: { device: d, iova: 0x1010, access: read }\n`;
const CMDQ = (x: string): string => `  - cmdq: { commands: [{ op: TLBI_NH_ALL, vmid: 3 }]${x} }\n`;
const UNMAP = '  - unmap: { table: pt, va: 0x1000, size: 4K }\n  - dma: { device: d, iova: 0x1010, access: read }\n';
const MAP = (x: string): string =>
  `  - map: { table: pt, va: 0x5000, ipa: 0x8000_5000, size: 4K, perm: rw${x} }\n  - dma: { device: d, iova: 0x5000, access: read }\n`;

/** path -> [scenario with the property left out, scenario with the default written out]. */
const CASES: Readonly<Record<string, readonly [string, string]>> = {
  'smmu.version': [device({}), device({ SMMU: 'smmu: { version: v3.2 }\n' })],
  'smmu.event_drain': [
    device({ STEPS: '  - dma: { device: d, iova: 0x9000, access: read }\n  - drain_events: {}\n' }),
    device({ SMMU: 'smmu: { event_drain: each_step }\n', STEPS: '  - dma: { device: d, iova: 0x9000, access: read }\n  - drain_events: {}\n' }),
  ],
  'boot.invalidate': [device({}), device({ SMMU: 'boot: { invalidate: true }\n' })],
  'boot.strtab.fmt': [device({}), device({ SMMU: 'boot: { strtab: { fmt: linear } }\n' })],
  'boot.strtab.log2size': [device({}), device({ SMMU: 'boot: { strtab: { log2size: 8 } }\n' })],
  'boot.strtab.split': [device({ SMMU: 'smmu: { strtab: 2level }\n' }), device({ SMMU: 'smmu: { strtab: 2level }\nboot: { strtab: { split: 8 } }\n' })],
  'boot_queue.log2size': [device({}), device({ SMMU: 'boot: { cmdq: { log2size: 8 }, evtq: { log2size: 8 } }\n' })],
  'boot_queue.start': [device({}), device({ SMMU: 'boot: { cmdq: { start: 0 }, evtq: { start: 0 } }\n' })],
  'smmu.impdef.cmd_res0': [
    device({ STEPS: "  - cmdq: { commands: [{ raw: ['0x0000_0010_0000_0001', '0x1000'] }] }\n" }),
    device({ SMMU: 'smmu: { impdef: { cmd_res0: ill } }\n', STEPS: "  - cmdq: { commands: [{ raw: ['0x0000_0010_0000_0001', '0x1000'] }] }\n" }),
  ],
  'smmu.impdef.gbpa_abort_reset': [device({}), device({ SMMU: 'smmu: { impdef: { gbpa_abort_reset: false } }\n' })],
  'smmu.impdef.wired_irq': [device({ STEPS: CMDQ(', sync: true') }), device({ SMMU: 'smmu: { impdef: { wired_irq: false } }\n', STEPS: CMDQ(', sync: true') })],
  'smmu.impdef.merge_events': [device({ DMA: ', size: 8' }), device({ SMMU: 'smmu: { impdef: { merge_events: false } }\n' })],
  'smmu.cache_policy': [device({ STEPS: UNMAP }), device({ SMMU: 'smmu: { cache_policy: max }\n', STEPS: UNMAP })],
  'fault.count': [
    device({ SMMU: 'smmu: { faults: [{ kind: ext_abort, pa: 0x9000_1000, size: 4K }] }\n', STEPS: '  - dma: { device: d, iova: 0x1010, access: read }\n' }),
    device({
      SMMU: 'smmu: { faults: [{ kind: ext_abort, pa: 0x9000_1000, size: 4K, count: 1000000 }] }\n',
      STEPS: '  - dma: { device: d, iova: 0x1010, access: read }\n',
    }),
  ],
  's1_map.af': [device({}), device({ S1M: ', af: true' })],
  's1_map.attr': [device({}), device({ S1M: ', attr: normal' })],
  's2_map.af': [device({}), device({ S2M: ', af: true' })],
  's2_map.attr': [device({}), device({ S2M: ', attr: normal' })],
  's2_table.sl0': [device({}), device({ S2T: ', sl0: 1' })],
  'cd_entry.valid': [device({}), device({ CD: ', valid: true' })],
  'cd_entry.aa64': [device({}), device({ CD: ', aa64: true' })],
  'stream.valid': [device({}), device({ ST: ', valid: true' })],
  'stream.s1fmt': [device({}), device({ ST: ', s1fmt: linear' })],
  'stream.s1cdmax': [device({}), device({ ST: ', s1cdmax: 0' })],
  'host.uapi': [host({}), host({ HOST: 'uapi: current' })],
  'host.log_era': [host({}), host({ HOST: "log_era: '6.14+'" })],
  'host.smmus': [host({}), host({ HOST: 'smmus: 1' })],
  'host_device.canwbs': [host({}), host({ HDEV: 'devices: [{ device: nic, canwbs: true }]' })],
  'host_device.smmu': [host({}), host({ HDEV: 'devices: [{ device: nic, smmu: 0 }]' })],
  'guest.cmdq_log2size': [
    host({ GUEST: 'guest: { viommu: vi }\n', STEPS: '  - guest_cmdq: { commands: [{ op: TLBI_NH_ASID, asid: 5 }, { op: SYNC }] }\n' }),
    host({ GUEST: 'guest: { viommu: vi, cmdq_log2size: 8 }\n', STEPS: '  - guest_cmdq: { commands: [{ op: TLBI_NH_ASID, asid: 5 }, { op: SYNC }] }\n' }),
  ],
  'guest.evtq_log2size': [host({ GUEST: 'guest: { viommu: vi }\n' }), host({ GUEST: 'guest: { viommu: vi, evtq_log2size: 6 }\n' })],
  'vste.valid': [host({}), host({ VSTE: ', valid: true' })],
  'vste.s1fmt': [host({}), host({ VSTE: ', s1fmt: linear' })],
  'vste.s1cdmax': [host({}), host({ VSTE: ', s1cdmax: 0' })],
  'step_ste.valid': [device({ STEPS: STE_STEP('') }), device({ STEPS: STE_STEP(', valid: true') })],
  'step_ste.s1fmt': [device({ STEPS: STE_STEP('') }), device({ STEPS: STE_STEP(', s1fmt: linear') })],
  'step_ste.s1cdmax': [device({ STEPS: STE_STEP('') }), device({ STEPS: STE_STEP(', s1cdmax: 0') })],
  'step_ste.invalidate': [device({ STEPS: STE_STEP('') }), device({ STEPS: STE_STEP(', invalidate: false') })],
  'step_cmdq.sync': [device({ STEPS: CMDQ('') }), device({ STEPS: CMDQ(', sync: false') })],
  'step_read_mem.count': [device({ STEPS: '  - read_mem: { pa: 0x9000_1000 }\n' }), device({ STEPS: '  - read_mem: { pa: 0x9000_1000, count: 1 }\n' })],
  'step_read_mem.width': [device({ STEPS: '  - read_mem: { pa: 0x9000_1000 }\n' }), device({ STEPS: '  - read_mem: { pa: 0x9000_1000, width: 64 }\n' })],
  'step_cmdq.filler': [device({ STEPS: CMDQ(', index: 12') }), device({ STEPS: CMDQ(', index: 12, filler: true') })],
  'step_map.af': [device({ STEPS: MAP('') }), device({ STEPS: MAP(', af: true') })],
  'step_map.attr': [device({ STEPS: MAP('') }), device({ STEPS: MAP(', attr: normal') })],
  'step_hw_info.data_len': [host({}), host({ HWINFO: ', data_len: 40' })],
  'step_hwpt_alloc.nest_parent': [host({}), host({ HWPT: ', nest_parent: true' })],
  'step_hwpt_alloc.data_len': [host({}), host({ HWPT: ', data_len: 0' })],
  'step_s2_map.attr': [host({}), host({ S2MAP: ', attr: normal' })],
  'step_viommu.type': [host({}), host({ VIOMMU: ', type: 1' })],
  'step_vdevice.virt_id': [host({}), host({ VDEV: ', virt_id: 0x7' })],
  'step_nested_hwpt.data_type': [host({}), host({ NESTED: ', data_type: 2' })],
  'step_invalidate.data_type': [host({}), host({ INV: ', data_type: 1' })],
  'step_invalidate.entry_len': [host({}), host({ INV: ', entry_len: 16' })],
  'step_invalidate.entry_num': [host({}), host({ INV: ', entry_num: 2' })],
  'step_veventq.type': [host({}), host({ VEQ: ', type: 1' })],
  'step_read_vevents.buf_len': [host({}), host({ READ: ', buf_len: 1048576' })],
};

const golden = (text: string, what: string): string => {
  const r = loadScenarioText(text, { file: `${what}.yaml` });
  if (r.scenario === undefined) throw new Error(`${what}: ${r.errors.map((e) => `${e.line}:${e.col} ${e.message}`).join('; ')}`);
  return canonicalGolden(executeScenario(r.scenario, { profile: { name: 't', features: [] } }));
};

t.test('every documented default has a case, and every case a documented default', async (t) => {
  const documented = documentedDefaults();
  t.same(Object.keys(CASES).sort(), [...documented.keys()].sort());
  // the explicit scenario writes the value the description documents
  for (const [path, d] of documented) {
    const lit = literalOf(d);
    const prop = path.split('.').at(-1) ?? '';
    if (lit !== undefined) t.match(CASES[path]?.[1] ?? '', new RegExp(`\\b${prop}: (0x)?${lit}\\b`), `${path}: the case writes the documented ${lit}`);
  }
});

t.test('leaving a property out behaves exactly as writing its documented default', async (t) => {
  for (const [path, [omitted, explicit]] of Object.entries(CASES)) {
    t.equal(golden(explicit, `${path}-explicit`), golden(omitted, `${path}-omitted`), path);
  }
});
