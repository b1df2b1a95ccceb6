// exec/events.ts: the evtq_full injection and explicit drain_events (SMMUv3 §7.4 overflow).
import t from 'tap';
import { loadScenarioText } from '../load.ts';
import type { Scenario } from '../../scenario/types.ts';
import { executeScenario } from '../execute.ts';
import type { Observation, StepRecord } from '../../scenario/observation.ts';

function load(yaml: string): Scenario {
  const r = loadScenarioText(yaml, { file: 'inline.yaml' });
  if (r.scenario === undefined) throw new Error(`test scenario invalid: ${r.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
  return r.scenario;
}
const run = (steps: string): Observation =>
  executeScenario(
    load(`
description: events unit test (SMMUv3 §7.4)
tags: [t]
smmu: { evtq_log2size: 1 }
devices: [ { name: nic0, sid: 0x10 } ]
streams: [ { device: nic0, config: bypass, valid: false } ]
steps:
${steps}
`),
    { profile: { name: 'test', features: [] } },
  );
const step = (o: Observation, n: number): StepRecord => o.steps[n - 1] as StepRecord;
const dma = '  - dma: { device: nic0, iova: 0x1000, access: read }\n';

t.test('§7.4: after evtq_full nothing is drained per step; a full 2-entry queue overflows; drain_events consumes and acknowledges', (t) => {
  const o = run(`  - inject_fault: { kind: evtq_full }\n${dma}${dma}${dma}  - drain_events: {}\n${dma}  - drain_events: {}\n`);
  t.same(
    o.events.map((e) => e.step),
    [5, 5, 7],
    'records appear only when drained, two then one',
  );
  t.same(step(o, 5), { step: 5, op: 'drain_events', result: 'ok', records: 2, overflow: true, prod: '0x80000002', cons: '0x80000002' });
  t.same(
    step(o, 7),
    { step: 7, op: 'drain_events', result: 'ok', records: 1, overflow: false, prod: '0x80000003', cons: '0x80000003' },
    'acknowledged: the next record is written',
  );
  t.equal(o.gerror, undefined, 'no GERROR on overflow');
  t.end();
});

t.test('drain_events without evtq_full keeps its old record (events drained after every step)', (t) => {
  const o = run(`${dma}  - drain_events: {}\n`);
  t.same(step(o, 2), { step: 2, op: 'drain_events', result: 'ok' });
  t.same(
    o.events.map((e) => e.step),
    [1],
  );
  t.end();
});
