/**
 * Executor tests for the host (IOMMUFD-like uAPI) and guest (vSMMU) step kinds, on the real
 * emulated device: each step kind's record, errno, and the observable effect on the SMMU.
 */
import t from 'tap';
import { canonicalGolden } from '../../golden/canonical.ts';
import { loadScenarioText } from '../load.ts';
import type { Scenario } from '../../scenario/types.ts';
import { executeScenario } from '../execute.ts';
import type { Observation, StepRecord } from '../../scenario/observation.ts';

const PROFILE = { name: 'test', features: [] } as const;
const HEAD = `description: host executor test (linux-smmuv3-iommufd.md §6)
tags: [t]
devices: [{ name: nic, sid: 0x10, vsid: 0x7, bdf: '01:00.0' }]
memory:
  s2_tables: [{ name: vm, granule: 4k, ipa_bits: 48, map: [{ ipa: 0x8000_0000, pa: 0x2_0000_0000, size: 2M, perm: rw }] }]
  s1_tables: [{ name: gs1, granule: 4k, va_bits: 48, ipa_space: vm, map: [{ va: 0x1000_0000, ipa: 0x8000_1000, size: 4K, perm: rw }, { va: 0xf000_0000, ipa: 0x800_0000, size: 4K, perm: rw }] }]
  cd_tables: [{ name: gcd, ipa_space: vm, entries: [{ ssid: 0, asid: 5, tt0: gs1 }] }]
`;
const SETUP = `  - hwpt_alloc: { name: s2, device: nic, s2_table: vm }
  - viommu: { name: vi, device: nic, hwpt: s2 }
  - vdevice: { viommu: vi, device: nic }
`;
const NESTED = `${SETUP}  - nested_hwpt: { name: n1, device: nic, pt: vi, ste: { config: s1, cd_table: gcd } }
  - attach: { device: nic, hwpt: n1 }
`;

function load(body: string, keys = 'host: {}\n'): Scenario {
  const r = loadScenarioText(`${HEAD}${keys}steps:\n${body}`, { file: 'inline.yaml' });
  if (r.scenario === undefined) throw new Error(r.errors.map((e) => `${e.path}: ${e.message}`).join('; '));
  return r.scenario;
}
const run = (body: string, keys?: string): Observation => executeScenario(load(body, keys), { profile: PROFILE });
const step = (o: Observation, n: number): StepRecord => o.steps[n - 1] as StepRecord;

t.test('hw_info: 40-byte struct with raw IDRs; unsupported input type is EOPNOTSUPP', async (t) => {
  const o = run('  - hw_info: { device: nic }\n  - hw_info: { device: nic, flags: 1, in_data_type: 1 }\n');
  const s = step(o, 1);
  t.equal(s['errno'], 0);
  t.equal(s['data_len'], 40);
  t.equal(s['out_data_type'], 2);
  const data = s['data'] as string[];
  t.equal(data.length, 10);
  t.equal(Number(BigInt(data[2] ?? '0') & 3n), 3, 'IDR0.S1P and S2P set');
  t.equal(step(o, 2)['errno'], 'EOPNOTSUPP');
  t.equal(step(o, 2)['result'], 'error');
});

t.test('object chain: ids, VMID, physical nested STE, DMA through S2(S1(IOVA))', async (t) => {
  const o = run(`${NESTED}  - dma: { device: nic, iova: 0x1000_0040, access: read }\n`);
  t.same(
    [1, 2, 3, 4, 5].map((n) => step(o, n)['errno']),
    [0, 0, 0, 0, 0],
  );
  t.same(
    [1, 2, 3, 4].map((n) => step(o, n)['id']),
    [2, 3, 4, 5],
  );
  t.equal(step(o, 1)['vmid'], 1);
  const ste = step(o, 5)['ste'] as bigint[];
  t.equal((ste[0] ?? 0n) & 0xfn, 0xfn, 'V=1, Config=7');
  t.equal((ste[0] ?? 0n) & 0x000f_ffff_ffff_ffc0n, o.layout?.['cd_gcd'], 'S1ContextPtr = guest CD table IPA');
  t.equal(((ste[1] ?? 0n) >> 19n) & 1n, 1n, 'MEV');
  t.equal((ste[2] ?? 0n) & 0xffffn, 1n, 'S2VMID = parent VMID');
  t.equal(ste[3], o.layout?.['s2_vm_ttb'], 'S2TTB = parent tables');
  t.equal(step(o, 6)['pa'], 0x2_0000_1040n);
});

t.test('nested_hwpt errors: EIO for a disallowed vSTE bit, EOPNOTSUPP on a paging pt, E2BIG on trailing bytes', async (t) => {
  const o = run(`${SETUP}  - nested_hwpt: { name: a, device: nic, pt: vi, ste: { config: s1, cd_table: gcd, fields: { MEV: 1 } } }
  - nested_hwpt: { name: b, device: nic, pt: s2, ste: { config: bypass } }
  - nested_hwpt: { name: c, device: nic, pt: vi, ste: { config: bypass }, trailing: [0, 1] }
  - nested_hwpt: { name: d, device: nic, pt: vi, ste: { raw: [0x9, 0x0] }, trailing: [0, 0] }
`);
  t.same(
    [4, 5, 6, 7].map((n) => step(o, n)['errno']),
    ['EIO', 'EOPNOTSUPP', 'E2BIG', 0],
  );
});

t.test('attach errors leave the STE; pasids_attached gives EBUSY', async (t) => {
  const o = run(`  - hwpt_alloc: { name: s2, device: nic, s2_table: vm }
  - viommu: { name: vi, device: nic, hwpt: s2 }
  - nested_hwpt: { name: n1, device: nic, pt: vi, ste: { config: s1, cd_table: gcd } }
  - attach: { device: nic, hwpt: n1 }
  - vdevice: { viommu: vi, device: nic }
  - attach: { device: nic, hwpt: n1, pasids_attached: 2 }
  - attach: { device: nic, hwpt: n1, pasids_attached: 0 }
  - attach: { device: nic }
`);
  t.equal(step(o, 4)['errno'], 'ENOENT');
  t.same(step(o, 4)['ste'], [1n, 0n, 0n, 0n, 0n, 0n, 0n, 0n], "unchanged: the blocking domain's abort STE");
  t.equal(step(o, 6)['errno'], 'EBUSY');
  t.equal(step(o, 7)['errno'], 0);
  t.equal(((step(o, 8)['ste'] as bigint[])[0] ?? 0n) & 0xfn, 1n, 'detach: abort STE');
});

t.test('invalidate: VMID rewrite, vSID rewrite, chunking, array checks', async (t) => {
  const many = Array.from({ length: 130 }, (_, i) => `{ op: TLBI_NH_ASID, asid: ${i + 1} }`).join(', ');
  const o =
    run(`${NESTED}  - invalidate: { target: vi, commands: [{ op: TLBI_NH_VA, vmid: 9, asid: 5, addr: 0x1000_0000 }, { op: CFGI_CD, device: nic, ssid: 0 }] }
  - invalidate: { target: vi, commands: [${many}] }
  - invalidate: { target: vi, commands: [{ op: TLBI_NH_ASID, asid: 1 }, { op: CFGI_STE, device: nic }] }
  - invalidate: { target: vi, commands: [{ op: TLBI_NH_ASID, asid: 1 }], entry_len: 20, surplus: 7 }
  - invalidate: { target: vi, commands: [{ op: TLBI_NH_ASID, asid: 1 }], data_type: 0 }
  - invalidate: { target: vi, commands: [] }
  - invalidate: { target: vi, commands: [{ op: TLBI_NH_ASID, asid: 1 }], null_data: true }
  - invalidate: { target: vi, commands: [{ op: TLBI_NH_ASID, asid: 1 }], reserved: 1 }
  - invalidate: { target: s2, commands: [{ op: TLBI_NH_ASID, asid: 1 }] }
`);
  const issued = step(o, 6)['issued'] as bigint[];
  t.equal(((issued[0] ?? 0n) >> 32n) & 0xffffn, 1n, 'TLBI_NH_VA VMID 9 -> vIOMMU VMID 1');
  t.equal((issued[2] ?? 0n) >> 32n, 0x10n, 'CFGI_CD vSID 7 -> SID 0x10');
  t.same(step(o, 7)['batches'], [64, 64, 5]);
  t.equal(step(o, 7)['entry_num'], 130);
  t.same([step(o, 8)['errno'], step(o, 8)['entry_num'], step(o, 8)['batches']], ['EIO', 1, []]);
  t.same(
    [9, 10, 11, 12, 13, 14].map((n) => step(o, n)['errno']),
    ['E2BIG', 'EINVAL', 'EINVAL', 'EINVAL', 'EOPNOTSUPP', 'EINVAL'],
  );
  t.same(
    [9, 10, 11, 12, 13, 14].map((n) => step(o, n)['entry_num']),
    [0, 0, 0, 0, 0, 0],
  );
});

t.test('s2_map / s2_unmap: the parent tables change and the unmap invalidation is issued', async (t) => {
  const o = run(`${SETUP}  - nested_hwpt: { name: nb, device: nic, pt: vi, ste: { config: bypass } }
  - attach: { device: nic, hwpt: nb }
  - s2_map: { hwpt: s2, ipa: 0x9000_0000, pa: 0x3_0000_0000, size: 4K, perm: rw }
  - dma: { device: nic, iova: 0x9000_0010, access: read }
  - s2_unmap: { hwpt: s2, ipa: 0x9000_0000, size: 4K }
  - dma: { device: nic, iova: 0x9000_0010, access: read }
`);
  t.equal(step(o, 6)['errno'], 0);
  t.equal(step(o, 7)['pa'], 0x3_0000_0010n);
  t.same(step(o, 8)['issued'], ['TLBI_S2_IPA', 'CMD_SYNC', 'TLBI_NH_ALL', 'CMD_SYNC']);
  t.equal(step(o, 9)['result'], 'fault');
  t.equal(o.events[0]?.['host'], 'logged', 'stage-2 faults are never forwarded');
  t.ok(
    o.host_log.some((l) => l.startsWith('event: F_TRANSLATION client: 0000:01:00.0')),
    o.host_log.join('\n'),
  );
});

t.test('veventq / read_vevents: vSID, sequences, LOST_EVENTS; destroy EBUSY', async (t) => {
  const o = run(`${SETUP}  - veventq: { name: q, viommu: vi, depth: 1 }
  - nested_hwpt: { name: n1, device: nic, pt: vi, ste: { config: s1, cd_table: gcd } }
  - attach: { device: nic, hwpt: n1 }
  - dma: { device: nic, iova: 0x2000_0000, access: read }
  - dma: { device: nic, iova: 0x2000_1000, access: read }
  - read_vevents: { veventq: q }
  - destroy: { object: n1 }
  - destroy: { object: q }
`);
  t.equal(step(o, 9)['records'], 2);
  t.same(
    o.guest_events.map((e) => [e.type, e['sid'], e['seq'], e['lost']]),
    [
      ['F_TRANSLATION', 7, 0, false],
      ['LOST_EVENTS', undefined, 1, true],
    ],
  );
  t.same(
    o.events.map((e) => e['host']),
    ['vevent', 'lost'],
  );
  t.equal(step(o, 10)['errno'], 'EBUSY');
  t.equal(step(o, 11)['errno'], 0);
  t.same(o.host_log, []);
});

t.test('guest_cmdq: forward, CERROR_ILL at the failing entry, ack resumes; guest_events reads vSID records', async (t) => {
  const o = run(
    `${SETUP}  - veventq: { name: q, viommu: vi, depth: 4 }
  - nested_hwpt: { name: n1, device: nic, pt: vi, ste: { config: s1, cd_table: gcd } }
  - attach: { device: nic, hwpt: n1 }
  - guest_cmdq: { commands: [{ op: TLBI_NH_ASID, asid: 5 }, { op: SYNC }] }
  - guest_cmdq: { commands: [{ op: TLBI_NH_ASID, asid: 5 }, { op: CFGI_CD, sid: 0x55 }, { op: SYNC }] }
  - guest_cmdq: { ack_gerror: true }
  - dma: { device: nic, iova: 0x2000_0000, access: write }
  - guest_events: {}
`,
    'host: {}\nguest: { viommu: vi }\n',
  );
  t.same([step(o, 7)['result'], step(o, 7)['cons'], step(o, 7)['forwarded']], ['ok', '0x00000002', 1]);
  t.same([step(o, 8)['result'], step(o, 8)['cons'], step(o, 8)['cerror'], step(o, 8)['gerror']], ['fault', '0x01000003', 'CERROR_ILL', ['CMDQ_ERR']]);
  t.same([step(o, 9)['result'], step(o, 9)['cons'], step(o, 9)['gerror']], ['ok', '0x00000005', []]);
  t.same([step(o, 11)['written'], step(o, 11)['evtq_prod']], [1, '0x00000001']);
  const g = o.guest_events.find((e) => e['source'] === 'guest_evtq');
  t.same([g?.type, g?.['sid'], g?.['rnw']], ['F_TRANSLATION', 7, 0]);
});

t.test('guest_cmdq with a stalled physical CMDQ: host ETIMEDOUT, guest hung on its CMD_SYNC, kernel log line', async (t) => {
  const o = run(
    `${NESTED}  - inject_fault: { kind: cmdq_stall }
  - guest_cmdq: { commands: [{ op: TLBI_NH_ASID, asid: 5 }, { op: SYNC }] }
`,
    'host: { poll_budget: 2 }\nguest: { viommu: vi }\n',
  );
  t.same([step(o, 7)['result'], step(o, 7)['hung'], step(o, 7)['timeout_cons']], ['stall', true, '0x00000001']);
  t.match(o.host_log[0] ?? '', /^CMD_SYNC timeout at 0x[0-9a-f]{8} \[hwprod 0x[0-9a-f]{8}, hwcons 0x[0-9a-f]{8}\]$/);
});

t.test('msi: cookie set-up delivers to the ITS doorbell', async (t) => {
  const o = run(`${NESTED}  - msi: { device: nic, iova: 0xf000_0040, data: 0x21 }\n`, 'host: { msi: cookie }\n');
  t.equal(step(o, 1)['msi_doorbell_ipa'], 0x800_0040n);
  t.same([step(o, 6)['delivered'], step(o, 6)['its_received']], [0x0809_0040n, [0x21]]);
});

t.test('rfc-2023: nested on the parent, guest CMDQ walked by the kernel, CONS written back with CERROR_ILL', async (t) => {
  const o = run(
    `  - hwpt_alloc: { name: s2, device: nic, s2_table: vm }
  - vdevice: { device: nic }
  - nested_hwpt: { name: n1, device: nic, pt: s2, ste: { config: s1, cd_table: gcd } }
  - attach: { device: nic, hwpt: n1 }
  - guest_cmdq: { commands: [{ op: TLBI_NH_ASID, asid: 5 }, { op: CFGI_CD, device: nic }] }
  - guest_cmdq: { commands: [{ op: TLBI_NH_ASID, asid: 5 }, { op: CFGI_CD, sid: 0x55 }] }
`,
    'host: { uapi: rfc-2023 }\nguest: { nested_hwpt: n1 }\n',
  );
  t.same([step(o, 4)['errno'], ((step(o, 4)['ste'] as bigint[])[0] ?? 0n) & 0xfn], [0, 0xfn]);
  t.same([step(o, 5)['errno'], step(o, 5)['cons'], step(o, 5)['issued']], [0, '0x00000002', 3]);
  t.same([step(o, 6)['errno'], step(o, 6)['cons'], step(o, 6)['cerror']], ['ENODEV', '0x01000003', 'CERROR_ILL']);
});

t.test('deterministic: two runs give the same golden text', async (t) => {
  const body = `${NESTED}  - dma: { device: nic, iova: 0x2000_0000, access: read }\n`;
  t.equal(canonicalGolden(run(body)), canonicalGolden(run(body)));
});

t.test('hardware-level scenarios keep empty host_log / guest_events and no host routing field', async (t) => {
  const r = loadScenarioText(`${HEAD}streams: [{ device: nic, config: abort }]\nsteps:\n  - dma: { device: nic, iova: 0x1000, access: read }\n`, {
    file: 'x.yaml',
  });
  const o = executeScenario(r.scenario as Scenario, { profile: PROFILE });
  t.same([o.host_log, o.guest_events], [[], []]);
  t.notOk(o.events.some((e) => 'host' in e));
});

t.test('Linux fidelity: nest-parent S2T0SZ = 64 - IAS, MSI-polled CMD_SYNC naming its own slot, reset sequence', async (t) => {
  const o = run(`${NESTED}  - invalidate: { target: vi, commands: [{ op: TLBI_NH_ASID, asid: 5 }] }\n`);
  const ste = step(o, 5)['ste'] as bigint[];
  // io-pgtable S2 with ias = SMMU IAS (48 here): VTCR.T0SZ 16, SL0 2 (level 0 start with 4K)
  t.equal(Number(((ste[2] ?? 0n) >> 32n) & 0x3fn), 64 - 48, 'S2T0SZ = 64 - IAS');
  t.equal(Number(((ste[2] ?? 0n) >> 38n) & 3n), 2, 'S2SL0 = level 0');
  // with IDR0.MSI and a coherent SMMU the host's CMD_SYNC is CS=SIG_IRQ with MSIAddr = its own slot
  const issued = step(o, 6)['issued'] as bigint[];
  const cmdq = o.layout?.['cmdq'] as bigint;
  const prod = Number(BigInt(String(o.cmdq.prod)));
  t.equal(issued.length, 4, 'TLBI_NH_ASID + CMD_SYNC');
  t.equal(Number((issued[2] ?? 0n) & 0xffn), 0x46, 'CMD_SYNC');
  t.equal(Number(((issued[2] ?? 0n) >> 12n) & 3n), 1, 'CS = SIG_IRQ');
  t.equal(issued[3], cmdq + BigInt((prod - 1) * 16), 'MSIAddress = the SYNC slot (the last one written)');
});

t.test('a refused NEST_PARENT (MMU-600 r1 erratum): the guest steps that stand on it answer ENOENT, the run goes on', async (t) => {
  const smmu = 'smmu: { idr: { Implementer: 0x43B, ProductID: 0x483, Variant: 1 } }\nguest: { viommu: vi }\nhost: {}\n';
  const o = run(
    `${SETUP}  - guest_cmdq: { commands: [{ op: TLBI_NH_ALL }] }\n  - guest_events: {}\n  - s2_map: { hwpt: s2, ipa: 0x4000_0000, pa: 0x3_0000_0000, size: 4K, perm: rw }\n  - s2_unmap: { hwpt: s2, ipa: 0x4000_0000, size: 4K }\n`,
    smmu,
  );
  t.same(
    o.steps.map((s) => [s.op, s.result, s['errno']]),
    [
      ['hwpt_alloc', 'error', 'EOPNOTSUPP'],
      ['viommu', 'error', 'EOPNOTSUPP'],
      ['vdevice', 'error', 'ENOENT'],
      ['guest_cmdq', 'error', 'ENOENT'],
      ['guest_events', 'error', 'ENOENT'],
      ['s2_map', 'error', 'ENOENT'],
      ['s2_unmap', 'error', 'ENOENT'],
    ],
  );
  t.equal(step(o, 4)['missing'], 'nest_parent');
});

t.test('guest RAM exists but the vIOMMU the guest forwards to was refused: guest steps answer ENOENT', async (t) => {
  // no S2FWB and a non-CANWBS device: VIOMMU_ALLOC is EOPNOTSUPP after the parent was allocated (§6.3)
  const o = run(
    `${SETUP}  - guest_cmdq: { commands: [{ op: TLBI_NH_ALL }] }\n  - guest_events: {}\n`,
    'smmu: { version: v3.1, idr: { FWB: 0 } }\nguest: { viommu: vi }\nhost: { devices: [{ device: nic, canwbs: false }] }\n',
  );
  t.same(
    o.steps.map((s) => [s.op, s.result, s['errno']]),
    [
      ['hwpt_alloc', 'ok', 0],
      ['viommu', 'error', 'EOPNOTSUPP'],
      ['vdevice', 'error', 'ENOENT'],
      ['guest_cmdq', 'error', 'ENOENT'],
      ['guest_events', 'error', 'ENOENT'],
    ],
  );
  t.equal(step(o, 4)['missing'], 'viommu vi');
});
