// What the generator's areas promise, checked on what they generate: distinct stage-2 tables never
// share a VMID (TLB entries are tagged by VMID, §3.17: sharing one would let a cached translation
// of one table legally serve the other, so results would depend on the cache choice); the stall,
// faults, httu and el2 areas reach what they are for on the reference model (stalls resumed,
// every injection kind, an Access flag the SMMU set read back, both EL2 regimes).
import t from 'tap';
import { executeScenario } from '../../engine/execute.ts';
import type { Observation } from '../../scenario/observation.ts';
import type { Scenario } from '../../scenario/types.ts';
import { AREA_NAMES, generateScenarios } from '../index.ts';

const run = (s: Scenario): Observation => executeScenario(s, { profile: { name: 'generated', features: [] } });

/** Stage-2 table -> VMIDs given to it, over the streams and the ste steps of a scenario. */
function vmidOwners(s: Scenario): Map<bigint, Set<string>> {
  const owners = new Map<bigint, Set<string>>();
  const add = (table: string | undefined, vmid: bigint | undefined): void => {
    if (table === undefined) return;
    const v = vmid ?? 0n;
    const set = owners.get(v) ?? new Set<string>();
    set.add(table);
    owners.set(v, set);
  };
  for (const st of s.streams ?? []) add(st.s2_table, st.vmid);
  for (const step of s.steps) if ('ste' in step) add(step.ste.s2_table, step.ste.vmid);
  return owners;
}

t.test('no two stage-2 tables of a generated scenario share a VMID', async (t) => {
  const shared: string[] = [];
  let multi = 0;
  for (const g of generateScenarios({ seed: 0x5ad, count: 60 * AREA_NAMES.length })) {
    const owners = vmidOwners(g.scenario);
    if ([...owners.values()].reduce((a, x) => a + x.size, 0) > 1) multi++;
    for (const [vmid, tables] of owners) if (tables.size > 1) shared.push(`${g.id}: VMID ${vmid} for ${[...tables].join(', ')}`);
  }
  t.same(shared, []);
  t.ok(multi >= 10, `${multi} scenarios have two or more stage-2 tables`);
});

t.test('stall: transactions stall and are resumed, retried or aborted', async (t) => {
  let stalls = 0;
  let retried = 0;
  let aborted = 0;
  for (const g of generateScenarios({ seed: 3, count: 60, areas: ['stall'] })) {
    const o = run(g.scenario);
    stalls += o.steps.filter((r) => r.op === 'dma' && r.result === 'stall').length;
    for (const r of o.steps.filter((x) => x.op === 'resume' && x.result !== 'error')) {
      if (r['action'] === 'retry') retried++;
      else aborted++;
    }
  }
  t.ok(stalls >= 30, `${stalls} stalled transactions`);
  t.ok(retried >= 5 && aborted >= 5, `${retried} retried, ${aborted} aborted`);
});

t.test('faults: every injection kind, and the events an abort on each structure causes', async (t) => {
  const kinds = new Set<string>();
  const events = new Set<string>();
  for (const g of generateScenarios({ seed: 4, count: 150, areas: ['faults'] })) {
    for (const f of g.scenario.smmu?.faults ?? []) kinds.add(f.kind);
    for (const st of g.scenario.steps) if ('inject_fault' in st) kinds.add(st.inject_fault.kind);
    for (const e of run(g.scenario).events) events.add(e.type);
  }
  t.same([...kinds].sort(), ['atc_inv_timeout', 'cmdq_fetch_abort', 'cmdq_stall', 'evtq_full', 'ext_abort']);
  for (const e of ['F_STE_FETCH', 'F_CD_FETCH', 'F_WALK_EABT']) t.ok(events.has(e), `${e} recorded`);
});

t.test('httu: the Access flag the SMMU sets is read back from the leaf descriptor', async (t) => {
  // a read_mem right after a DMA that translated through an AF=0 leaf shows AF (bit 10) set: under
  // HA the SMMU sets it (§3.13.2), without HA the access is an F_ACCESS and does not translate
  let updated = 0;
  let stale = 0;
  for (const g of generateScenarios({ seed: 5, count: 80, areas: ['httu'] })) {
    const o = run(g.scenario);
    const maps = [
      ...(g.scenario.memory?.s1_tables ?? []).flatMap((x) => x.map.map((m) => ({ from: m.va, size: m.size, af: m.af }))),
      ...(g.scenario.memory?.s2_tables ?? []).flatMap((x) => x.map.map((m) => ({ from: m.ipa, size: m.size, af: m.af }))),
    ];
    o.steps.forEach((r, i) => {
      const step = g.scenario.steps[i - 1];
      const dma = o.steps[i - 1];
      if (r.op !== 'read_mem' || step === undefined || !('dma' in step) || dma?.result !== 'ok') return;
      const iova = step.dma.iova;
      // the leaf as generated: AF=0, and no earlier step remapped it
      if (!maps.some((m) => m.af === false && iova >= m.from && iova < m.from + m.size)) return;
      if (g.scenario.steps.slice(0, i).some((x) => 'map' in x || 'unmap' in x)) return;
      const v = BigInt((r['values'] as readonly string[])[0] ?? '0');
      if ((v >> 10n) & 1n) updated++;
      else stale++;
    });
  }
  t.ok(updated >= 10, `${updated} AF=0 leaves read back with AF=1 after the access they translated`);
  t.equal(stale, 0, 'no AF=0 leaf translates an access and still reads AF=0');
});

t.test('httu: a write through a writable-clean leaf (DBM=1) under HD reads back dirty', async (t) => {
  // stage 1 dirty = AP[2] (bit 7) cleared; stage 2 dirty = S2AP[1] (bit 7) set (§3.13.3; Arm ARM D8.5.4)
  let dirty = 0;
  let clean = 0;
  for (const g of generateScenarios({ seed: 12, count: 150, areas: ['httu'] })) {
    const o = run(g.scenario);
    const raw = new Set((g.scenario.memory?.writes ?? []).map((w) => w.pa));
    const stage2 = (g.scenario.memory?.s2_tables ?? []).length > 0;
    o.steps.forEach((r, i) => {
      const step = g.scenario.steps[i - 1];
      if (r.op !== 'read_mem' || step === undefined || !('dma' in step) || step.dma.access !== 'write' || o.steps[i - 1]?.result !== 'ok') return;
      const st = g.scenario.steps[i];
      if (st === undefined || !('read_mem' in st) || !raw.has(st.read_mem.pa)) return;
      const bit7 = (BigInt((r['values'] as readonly string[])[0] ?? '0') >> 7n) & 1n;
      if ((bit7 === 1n) === stage2) dirty++;
      else clean++;
    });
  }
  t.ok(dirty >= 5, `${dirty} writable-clean leaves read back dirty after a write they translated`);
  t.equal(clean, 0, 'no write translates through a writable-clean leaf and leaves it clean');
});

t.test('el2: both EL2 regimes, invalidated by TLBI_EL2_*', async (t) => {
  const regimes = new Set<string>();
  const ops = new Set<string>();
  for (const g of generateScenarios({ seed: 6, count: 60, areas: ['el2'] })) {
    for (const st of g.scenario.streams ?? []) if (st.strw !== undefined) regimes.add(`${st.strw}${g.scenario.smmu?.e2h === true ? '+E2H' : ''}`);
    for (const st of g.scenario.steps) if ('cmdq' in st) for (const c of st.cmdq.commands) if (c.op?.startsWith('TLBI_EL2') === true) ops.add(c.op);
  }
  t.same([...regimes].sort(), ['el2', 'el2_e2h+E2H']);
  t.same([...ops].sort(), ['TLBI_EL2_ALL', 'TLBI_EL2_ASID', 'TLBI_EL2_VA', 'TLBI_EL2_VAA']);
});

t.test('host: a VMM over IOMMUFD attaches nested HWPTs, translates guest DMA, and every host step answers with an errno', async (t) => {
  let attached = 0;
  let translated = 0;
  let refused = 0;
  const unanswered: string[] = [];
  const hostOps = new Set(['hwpt_alloc', 'viommu', 'vdevice', 'veventq', 'nested_hwpt', 'attach', 'invalidate', 's2_map', 's2_unmap', 'destroy']);
  for (const g of generateScenarios({ seed: 8, count: 60, areas: ['host'] })) {
    const o = run(g.scenario);
    for (const r of o.steps) {
      if (r.op === 'attach' && r.result === 'ok') attached++;
      if (r.op === 'dma' && r.result === 'ok') translated++;
      if (r.op === 'invalidate' && r.result === 'error') refused++;
      if (hostOps.has(r.op) && r['errno'] === undefined) unanswered.push(`${g.id} step ${r.step} ${r.op}`);
    }
  }
  t.ok(attached >= 60, `${attached} attaches`);
  t.ok(translated >= 10, `${translated} guest DMAs translated`);
  t.ok(refused >= 5, `${refused} invalidation arrays refused (forbidden opcodes, unknown vSIDs)`);
  t.same(unanswered, []);
});
