import t from 'tap';
import { canonicalGolden } from '../golden/canonical.ts';
import { loadScenarioText } from './load.ts';
import type { Scenario } from '../scenario/types.ts';
import { executeScenario } from './execute.ts';
import { checkExpectations } from './check-expect.ts';
import type { EventRecord, Observation, StepRecord } from '../scenario/observation.ts';

const PROFILE = { name: 'test', features: [] } as const;

function load(yaml: string): Scenario {
  // The loader insists on a description citing a rule; the inline scenarios share one.
  const src = yaml.replace(/^description: .*$/m, 'description: Executor unit-test scenario (SMMUv3 §3.2)');
  const r = loadScenarioText(src, { file: 'inline.yaml' });
  if (r.scenario === undefined) throw new Error(`test scenario invalid: ${r.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
  return r.scenario;
}
const run = (s: Scenario, trace = false): Observation => executeScenario(s, { profile: PROFILE, trace });
const step = (o: Observation, n: number): StepRecord => o.steps[n - 1] as StepRecord;

const S1 = `
description: s1
tags: [t]
devices: [ { name: nic0, sid: 0x10 } ]
memory:
  s1_tables:
    - name: pt0
      granule: 4k
      va_bits: 48
      map:
        - { va: 0x1000, pa: 0x8000_0000, size: 4K, perm: rw }
        - { va: 0x20_0000, pa: 0x8120_0000, size: 2M, perm: r }
  cd_tables:
    - { name: cdt0, entries: [ { ssid: 0, asid: 5, tt0: pt0 } ] }
streams:
  - { device: nic0, config: s1, cd_table: cdt0 }
steps:
  - dma: { device: nic0, iova: 0x1234, access: read }
  - dma: { device: nic0, iova: 0x2f_fff8, access: read }
  - dma: { device: nic0, iova: 0x3008, access: write }
  - dma: { device: nic0, iova: 0x20_0000, access: write }
`;

t.test('stage-1 DMA gives the mapped PA; unmapped VA and read-only page fault with the right fields', (t) => {
  const o = run(load(S1));
  t.match(step(o, 1), { step: 1, op: 'dma', result: 'ok', pa: 0x8000_0234n });
  t.match(step(o, 2), { result: 'ok', pa: 0x812f_fff8n });
  t.match(step(o, 3), { result: 'fault', event: 'F_TRANSLATION', recorded: true });
  t.match(step(o, 4), { result: 'fault', event: 'F_PERMISSION' });
  t.equal(o.events.length, 2);
  const e = o.events[0] as EventRecord;
  t.same(Object.keys(e), ['step', 'type', 'sid', 'ssid', 's2', 'class', 'rnw', 'pnu', 'ind', 'stall', 'input_addr', 'raw']);
  t.match(e, { step: 3, type: 'F_TRANSLATION', sid: 0x10, ssid: null, s2: 0, class: 'IN', rnw: 0, input_addr: 0x3008n });
  t.same(e['raw'], [0x0000_0010_0000_0010n, 0x0000_0200_0000_0000n, 0x3008n, 0n]);
  t.match(o.events[1], { step: 4, type: 'F_PERMISSION', class: 'IN', rnw: 0, input_addr: 0x20_0000n });
  t.equal(o.cmdq['error'], 'CERROR_NONE');
  t.equal(o.gerror, undefined);
  t.end();
});

t.test('stage-2-only DMA through a 2-level stream table', (t) => {
  const o = run(
    load(`
description: s2
tags: [t]
smmu: { strtab: 2level, split: 6 }
devices: [ { name: gpu, sid: 0x1c5 } ]
memory:
  s2_tables:
    - { name: vm0, granule: 4k, ipa_bits: 40, map: [ { ipa: 0x4000_0000, pa: 0x8800_0000, size: 2M, perm: rw } ] }
streams:
  - { device: gpu, config: s2, s2_table: vm0, vmid: 2 }
steps:
  - dma: { device: gpu, iova: 0x4012_3458, access: write }
`),
  );
  t.match(step(o, 1), { result: 'ok', pa: 0x8812_3458n });
  // SPLIT=6: StreamID 0x1c5 → L1STD[7], L2 index 5; the L2 table is the last host allocation.
  const ste = o.layout?.['ste_0x1c5'];
  t.equal(typeof ste, 'bigint');
  t.equal((ste as bigint) % 4096n, 5n * 64n);
  t.end();
});

const NESTED = `
description: nested
tags: [t]
devices: [ { name: gpu, sid: 0x20 } ]
memory:
  s2_tables:
    - { name: vm0, granule: 4k, ipa_bits: 40, map: [ { ipa: 0x4000_0000, pa: 0x9000_0000, size: 2M, perm: rw } ] }
  s1_tables:
    - name: gpt
      granule: 4k
      va_bits: 48
      ipa_space: vm0
      map: [ { va: 0x1000, ipa: 0x4000_2000, size: 4K, perm: rw } ]
  cd_tables:
    - { name: gcd, ipa_space: vm0, entries: [ { ssid: 0, asid: 1, tt0: gpt } ] }
streams:
  - { device: gpu, config: nested, cd_table: gcd, s2_table: vm0, vmid: 3 }
steps:
  - dma: { device: gpu, iova: 0x1010, access: read }
  - unmap: { table: vm0, ipa: 0x7000_0000, size: 4K, invalidate: true }
  - dma: { device: gpu, iova: 0x1010, access: read }
`;

t.test('nested DMA with guest tables auto-mapped in IPA space; unmapping the S1 root gives S2 F_TRANSLATION CLASS=TT', (t) => {
  const o = run(load(NESTED), true);
  t.match(step(o, 1), { result: 'ok', pa: 0x9000_2010n });
  // Guest tables: S1 root at the first guest-table IPA, auto-mapped to the first guest-RAM page.
  t.equal(o.layout?.['s1_gpt_ttb'], 0x7000_0000n);
  t.equal(o.layout?.['s1_gpt_ttb_pa'], 0x3000_0000n);
  t.match(step(o, 2), { result: 'ok', cerror: 'CERROR_NONE' });
  t.match(step(o, 3), { result: 'fault', event: 'F_TRANSLATION' });
  t.equal(o.events.length, 1);
  t.match(o.events[0], { step: 3, type: 'F_TRANSLATION', sid: 0x20, s2: 1, class: 'TT', rnw: 1, input_addr: 0x1010n, ipa: 0x7000_0000n });
  t.ok(
    (o.walks ?? []).some((w) => w.step === 1 && w.lines.some((l) => l.includes('IPA 0x70000000 -> PA 0x30000000'))),
    'trace shows the nested table fetch',
  );
  t.end();
});

t.test('CERROR_ILL in the middle of a batch records CONS at the bad command', (t) => {
  const o = run(
    load(`
description: cmdq
tags: [t]
steps:
  - cmdq:
      commands:
        - { op: TLBI_NH_ALL, vmid: 1 }
        - { op: CFGI_ALL }
        - { raw: ['0xff', 0] }
        - { op: SYNC }
  - ack_gerror: {}
`),
  );
  // bootSmmu's batch leaves CONS=4; two commands run, RD stops on the third (index 6), ERR=1.
  t.match(step(o, 1), { result: 'fault', executed: 2, prod: '0x00000008', cons: '0x01000006', cerror: 'CERROR_ILL', gerror: ['CMDQ_ERR'] });
  // Ack without fixing the command: the queue refetches it and fails again (§7.1).
  t.match(step(o, 2), { result: 'fault', cerror: 'CERROR_ILL', gerror: ['CMDQ_ERR'] });
  t.same(o.cmdq, { prod: '0x00000008', cons: '0x01000006', error: 'CERROR_ILL' });
  t.match(o.gerror, { active: ['CMDQ_ERR'] });
  t.end();
});

t.test('stale TLB entry until TLBI_NH_VA; map/unmap with invalidate', (t) => {
  const o = run(
    load(`
description: tlb
tags: [t]
devices: [ { name: nic0, sid: 0x10 } ]
memory:
  s1_tables:
    - { name: pt0, granule: 4k, va_bits: 48, map: [ { va: 0x1000, pa: 0x8000_0000, size: 4K, perm: rw } ] }
  cd_tables:
    - { name: cdt0, entries: [ { ssid: 0, asid: 5, tt0: pt0 } ] }
streams:
  - { device: nic0, config: s1, cd_table: cdt0 }
steps:
  - dma: { device: nic0, iova: 0x1010, access: read }
  - unmap: { table: pt0, va: 0x1000, size: 4K }
  - dma: { device: nic0, iova: 0x1010, access: read }
  - map: { table: pt0, va: 0x1000, pa: 0x8800_0000, size: 4K, perm: rw, invalidate: true }
  - dma: { device: nic0, iova: 0x1010, access: read }
`),
  );
  t.match(step(o, 3), { result: 'ok', pa: 0x8000_0010n });
  t.match(step(o, 4), { result: 'ok', executed: 2 });
  t.match(step(o, 5), { result: 'ok', pa: 0x8800_0010n });
  t.end();
});

t.test('inline expectations match the record field names', (t) => {
  const s = load(`
description: expect
tags: [t]
devices: [ { name: nic0, sid: 0x10 } ]
memory:
  s1_tables:
    - { name: pt0, granule: 4k, va_bits: 48, map: [ { va: 0x1000, pa: 0x8000_0000, size: 4K, perm: rw } ] }
  cd_tables:
    - { name: cdt0, entries: [ { ssid: 0, asid: 5, tt0: pt0 } ] }
streams:
  - { device: nic0, config: s1, cd_table: cdt0 }
steps:
  - dma:
      device: nic0
      iova: 0x5000
      access: exec
      expect: { result: fault, events: [ { type: F_TRANSLATION, sid: 0x10, s2: false, class: IN, rnw: true, ind: true, input_addr: 0x5000 } ] }
  - cmdq: { commands: [ { raw: ['0x0', 0] } ], expect: { result: fault, cerror: CERROR_ILL, gerror: [CMDQ_ERR] } }
`);
  t.same(checkExpectations(s, run(s)), []);
  t.end();
});

t.test('determinism: executing twice gives identical canonical text', (t) => {
  for (const y of [S1, NESTED]) {
    const s = load(y);
    t.equal(canonicalGolden(run(s)), canonicalGolden(run(s)));
  }
  t.end();
});

t.test('scenario inconsistencies: rejected by validate with the rule, or a step result', (t) => {
  t.throws(
    () =>
      load(`
description: bad
tags: [t]
steps:
  - cmdq: { commands: [ { op: TLBI_NH_ALL, asid: 3 } ] }
`),
    /steps\[0\]\.cmdq\.commands\[0\]\.asid: TLBI_NH_ALL has no ASID parameter/,
  );
  const split = load(`
description: bad
tags: [t]
memory:
  s2_tables:
    - { name: vm0, granule: 4k, ipa_bits: 40, map: [ { ipa: 0x4000_0000, pa: 0x9000_0000, size: 2M, perm: rw } ] }
steps:
  - drain_events: {}
  - unmap: { table: vm0, ipa: 0x4000_1000, size: 4K }
`);
  // Splitting a block is impossible for the table-editing software: the step fails like the call.
  const o = run(split);
  t.equal(step(o, 2)['result'], 'error');
  t.match(String(step(o, 2)['reason']), /^Cannot unmap 0x40001000.*splits a level-2 block/);
  t.end();
});

t.test('stall, resume retry/abort, ste replace with invalidate, injected CMDQ stall', (t) => {
  const o = run(
    load(`
description: stall
tags: [t]
devices: [ { name: nic0, sid: 0x10 } ]
memory:
  s1_tables:
    - { name: pt0, granule: 4k, va_bits: 48, map: [ { va: 0x1000, pa: 0x8000_0000, size: 4K, perm: rw } ] }
  cd_tables:
    - { name: cdt0, entries: [ { ssid: 0, asid: 5, tt0: pt0, s: true } ] }
streams:
  - { device: nic0, config: s1, cd_table: cdt0 }
steps:
  - dma: { device: nic0, iova: 0x2000, access: read }
  - map: { table: pt0, va: 0x2000, pa: 0x8100_0000, size: 4K, perm: rw, invalidate: true }
  - resume: { device: nic0, stag: 0, action: retry }
  - dma: { device: nic0, iova: 0x3000, access: write }
  - resume: { device: nic0, stag: 1, action: abort }
  - ste: { device: nic0, config: abort, invalidate: true }
  - dma: { device: nic0, iova: 0x1000, access: read }
  - inject_fault: { kind: cmdq_stall, count: 1 }
  - cmdq: { commands: [ { op: TLBI_NH_ALL, vmid: 0 }, { op: TLBI_NH_ALL, vmid: 0 } ], sync: true }
`),
  );
  t.match(step(o, 1), { result: 'stall', stag: 0 });
  t.match(o.events[0], { step: 1, type: 'F_TRANSLATION', stall: 1, stag: 0, rnw: 1 });
  t.match(step(o, 3), { result: 'ok', completed: true, pa: 0x8100_0000n });
  t.match(step(o, 4), { result: 'stall', stag: 1 });
  t.match(step(o, 5), { result: 'abort', completed: true });
  t.match(step(o, 6), { result: 'ok', executed: 2 });
  t.match(step(o, 7), { result: 'abort', silent: true });
  t.match(step(o, 9), { result: 'stall', executed: 1, cerror: 'CERROR_NONE' });
  t.equal(o.events.length, 2);
  t.end();
});

t.test('smmu.faults ext_abort on a table page gives F_WALK_EABT; memory.writes land; SSID beyond S1CDMax', (t) => {
  const o = run(
    load(`
description: eabt
tags: [t]
smmu: { faults: [ { kind: ext_abort, pa: 0x1000_b000, size: 4K } ] }
devices: [ { name: nic0, sid: 0x10 }, { name: nic1, sid: 0x11 } ]
memory:
  s1_tables:
    - { name: pt0, granule: 4k, va_bits: 48, map: [ { va: 0x1000, pa: 0x8000_0000, size: 4K, perm: rw } ] }
  cd_tables:
    - { name: cdt0, entries: [ { ssid: 0, asid: 5, tt0: pt0 } ] }
  writes:
    - { pa: 0x1000_0440, u64: [1] }
streams:
  - { device: nic0, config: s1, cd_table: cdt0 }
steps:
  - dma: { device: nic0, iova: 0x1000, access: read }
  - dma: { device: nic0, iova: 0x1000, ssid: 1, access: read }
  - dma: { device: nic1, iova: 0x1000, access: read }
`),
  );
  // Layout: strtab 0x1000_0000 (16 KB), CMDQ, EVTQ, then pt0 L0..L3 at 0x1000_8000..0x1000_b000.
  t.match(step(o, 1), { result: 'fault', event: 'F_WALK_EABT' });
  t.match(o.events[0], { type: 'F_WALK_EABT', s2: 0, class: 'TT', fetch_addr: 0x1000_b008n, input_addr: 0x1000n });
  t.match(o.events[1], { step: 2, type: 'C_BAD_SUBSTREAMID', sid: 0x10, ssid: 1 });
  t.match(o.layout, { ste_0x10: 0x1000_0400n });
  // The raw write made StreamID 0x11's STE valid with Config=0b000: abort without an event
  // (an invalid STE would have given C_BAD_STE).
  t.match(step(o, 3), { result: 'abort', silent: true });
  t.equal(o.events.length, 2);
  t.end();
});

t.test('2-level CD table (64 CDs per L2 table): SSID 70 uses L1CD[1]', (t) => {
  const o = run(
    load(`
description: cd2l
tags: [t]
devices: [ { name: nic0, sid: 0x10 } ]
memory:
  s1_tables:
    - { name: pa, granule: 4k, va_bits: 48, map: [ { va: 0x1000, pa: 0x8000_0000, size: 4K, perm: rw } ] }
    - { name: pb, granule: 4k, va_bits: 48, map: [ { va: 0x1000, pa: 0x8800_0000, size: 4K, perm: rw } ] }
  cd_tables:
    - { name: cdt0, s1fmt: 2l_4k, s1cdmax: 8, entries: [ { ssid: 0, asid: 1, tt0: pa }, { ssid: 70, asid: 2, tt0: pb } ] }
streams:
  - { device: nic0, config: s1, cd_table: cdt0, s1dss: ssid0 }
steps:
  - dma: { device: nic0, iova: 0x1008, ssid: 70, access: read }
  - dma: { device: nic0, iova: 0x1008, access: read }
  - dma: { device: nic0, iova: 0x1008, ssid: 64, access: read }
`),
  );
  t.match(step(o, 1), { result: 'ok', pa: 0x8800_0008n });
  t.match(step(o, 2), { result: 'ok', pa: 0x8000_0008n }, 'no SSID: S1DSS=0b10 uses CD 0');
  // SSID 64 is in the populated L2 table (L1CD[1]) but its CD has V=0.
  t.match(step(o, 3), { result: 'fault', event: 'C_BAD_CD' });
  t.end();
});
