// Each property check can fail: the reference model wrapped so it breaks exactly one rule must be
// caught by exactly that property (checked by its stable id), and the unbroken model passes.
import t from 'tap';
import { executeScenario } from '../engine/execute.ts';
import type { ExecuteScenario, Observation, StepRecord } from '../scenario/observation.ts';
import type { Scenario } from '../scenario/types.ts';
import { generateScenarios } from './index.ts';
import { checkProperties, type PropertyId } from './properties.ts';

/** The reference model with its observation rewritten by `edit` (only when `when` holds for the scenario). */
function broken(edit: (o: Observation, s: Scenario) => Observation, when: (s: Scenario) => boolean = () => true): ExecuteScenario {
  return (s, opts) => {
    const o = executeScenario(s, opts);
    return when(s) ? edit(o, s) : o;
  };
}
const shiftPa = (r: StepRecord): StepRecord => (r.op === 'dma' && r.result === 'ok' ? { ...r, pa: (r['pa'] as bigint) + 0x1000n } : r);
const ids = (s: Scenario, execute?: ExecuteScenario): Set<PropertyId> =>
  new Set(checkProperties(s, execute !== undefined ? { execute } : {}).map((v) => v.property));

/** The first generated scenario of `area` for which `pick` holds. */
function scenarioOf(area: string, pick: (s: Scenario) => boolean): Scenario {
  const g = generateScenarios({ seed: 0xc0ffee, count: 200, areas: [area] }).find((x) => pick(x.scenario));
  if (g === undefined) throw new Error(`no ${area} scenario for this check in 200`);
  return g.scenario;
}
const okDma = (s: Scenario): boolean => executeScenario(s, { profile: { name: 'p', features: [] } }).steps.some((r) => r.op === 'dma' && r.result === 'ok');

t.test('the unbroken reference model keeps every property on the scenarios below', async (t) => {
  const nested = scenarioOf('nested', (s) => okDma(s));
  const caching = scenarioOf('caching', (s) => okDma(s));
  t.same([...ids(nested)], []);
  t.same([...ids(caching)], []);
});

t.test('no-exception: an executor that throws', async (t) => {
  const s = scenarioOf('s1', () => true);
  const boom: ExecuteScenario = () => {
    throw new Error('boom');
  };
  t.same([...ids(s, boom)], ['no-exception']);
});

t.test('event-fields: an event naming another StreamID, an event for a translated access', async (t) => {
  const s = scenarioOf('s1', (x) => executeScenario(x, { profile: { name: 'p', features: [] } }).events.length > 0);
  t.ok(
    ids(
      s,
      broken((o) => ({ ...o, events: o.events.map((e) => ({ ...e, sid: (e['sid'] as number) + 1 })) })),
    ).has('event-fields'),
  );
  const ok = scenarioOf('s2', okDma);
  const extra = broken((o) => {
    const r = o.steps.find((x) => x.op === 'dma' && x.result === 'ok') as StepRecord;
    return { ...o, events: [...o.events, { step: r.step, type: 'F_TRANSLATION', sid: 0 }] };
  });
  t.ok(ids(ok, extra).has('event-fields'));
});

t.test('stage-composition: a nested walk whose output is not stage 2 of stage 1', async (t) => {
  const s = scenarioOf('nested', okDma);
  const isNested = (x: Scenario): boolean => (x.streams ?? []).some((st) => st.config === 'nested');
  t.ok(
    ids(
      s,
      broken((o) => ({ ...o, steps: o.steps.map(shiftPa) }), isNested),
    ).has('stage-composition'),
  );
});

t.test('caching: a cached result that no state since the last full invalidation gives', async (t) => {
  const s = scenarioOf('caching', okDma);
  const cached = (x: Scenario): boolean => x.smmu?.cache_policy === 'max';
  t.same(
    [
      ...ids(
        s,
        broken((o) => ({ ...o, steps: o.steps.map(shiftPa) }), cached),
      ),
    ],
    ['caching'],
  );
});

t.test('caching: a TLBI_NH_VA that invalidates nothing, then a DMA of that page', async (t) => {
  // the model with TLBI_NH_VA naming another ASID: an edited page keeps its stale translation
  const deaf: ExecuteScenario = (s, opts) =>
    executeScenario(
      s.smmu?.cache_policy === 'max'
        ? {
            ...s,
            steps: s.steps.map((st) =>
              'cmdq' in st
                ? { cmdq: { ...st.cmdq, commands: st.cmdq.commands.map((c) => (c.op === 'TLBI_NH_VA' ? { ...c, asid: (c.asid ?? 0n) ^ 1n } : c)) } }
                : st,
            ),
          }
        : s,
      opts,
    );
  const caught = generateScenarios({ seed: 11, count: 200, areas: ['caching'] }).find((g) => ids(g.scenario, deaf).has('caching'));
  t.ok(caught !== undefined, 'a stale page after TLBI_NH_VA + CMD_SYNC is reported');
  if (caught !== undefined) t.same([...ids(caught.scenario)], [], `${caught.id} passes with the real TLBI_NH_VA`);
});

t.test('cons-prod: CMDQ_CONS past CMDQ_PROD', async (t) => {
  const s = scenarioOf('caching', (x) => x.steps.filter((st) => 'cmdq' in st).length >= 2);
  const ahead = broken((o) => ({
    ...o,
    steps: o.steps.map((r) =>
      typeof r['prod'] === 'string' && r.step > 1 ? { ...r, cons: `0x${(Number.parseInt(r['prod'], 16) + 1).toString(16).padStart(8, '0')}` } : r,
    ),
  }));
  t.ok(ids(s, ahead).has('cons-prod'));
});

t.test('determinism: a second run that differs', async (t) => {
  const s = scenarioOf('s1', () => true);
  let n = 0;
  const drift = broken((o) => ({ ...o, cmdq: { ...o.cmdq, runs: n++ } }));
  t.same([...ids(s, drift)], ['determinism']);
});
