// Issue 18 part 2: resume by stall reference, what a step's ended stalls became, read_mem with
// expected values, CMD_SYNC completion signals in the record, explicit event draining.
import t from 'tap';
import { loadScenarioText } from '../load.ts';
import type { Scenario } from '../../scenario/types.ts';
import { checkExpectations } from '../check-expect.ts';
import { executeScenario } from '../execute.ts';
import type { Observation, StepRecord } from '../../scenario/observation.ts';

const PROFILE = { name: 'test', features: [] } as const;
const HEAD = `description: construct checks (SMMUv3 §4.7.1)
tags: [t]
devices: [ { name: nic0, sid: 0x10 } ]
memory:
  s1_tables: [ { name: pt0, granule: 4k, va_bits: 48, map: [ { va: 0x1000, pa: 0x8000_0000, size: 4K, perm: rw } ] } ]
  cd_tables: [ { name: cdt0, entries: [ { ssid: 0, asid: 5, tt0: pt0, s: true } ] } ]
  writes: [ { pa: 0x2000_0000, u64: [0x1122_3344_5566_7788] } ]
streams: [ { device: nic0, config: s1, cd_table: cdt0 } ]
`;
function load(body: string, extra = ''): ReturnType<typeof loadScenarioText> {
  return loadScenarioText(`${HEAD}${extra}steps:\n${body}`, { file: 'x.yaml' });
}
function scen(body: string, extra = ''): Scenario {
  const r = load(body, extra);
  if (r.scenario === undefined) throw new Error(r.errors.map((e) => `${e.path}: ${e.message}`).join('; '));
  return r.scenario;
}
const run = (s: Scenario): Observation => executeScenario(s, { profile: PROFILE });
const step = (o: Observation, n: number): StepRecord => o.steps[n - 1] as StepRecord;
const codes = (body: string): string[] => load(body).errors.map((e) => `${e.code}@${e.path}`);

t.test('resume by stall reference: the StreamID and STAG of the stalled dma step', async (t) => {
  const o = run(
    scen(`  - dma: { device: nic0, iova: 0x1000, access: read }
  - dma: { device: nic0, iova: 0x3000, access: read }
  - dma: { device: nic0, iova: 0x4000, access: read }
  - resume: { stall: 3, action: abort }
  - resume: { stall: 2, action: retry }
`),
  );
  t.match(step(o, 2), { result: 'stall', stag: 0 });
  t.match(step(o, 3), { result: 'stall', stag: 1 });
  t.match(step(o, 4), { op: 'resume', sid: 16, stag: 1, action: 'abort', completed: true, result: 'abort' });
  t.match(
    step(o, 5),
    { op: 'resume', sid: 16, stag: 0, action: 'retry', completed: true, result: 'stall', new_stag: 2 },
    'the retry faults and stalls again, with a new STAG',
  );
  // a dma step that did not stall leaves nothing to resume: answered, not an executor failure
  t.match(step(run(scen(`  - dma: { device: nic0, iova: 0x1000, access: read }\n  - resume: { stall: 1, action: retry }\n`)), 2), {
    op: 'resume',
    result: 'error',
    reason: 'step 1 did not stall a transaction',
  });
});

t.test('resume names its transaction exactly one way; stall must be an earlier dma step (located errors)', async (t) => {
  t.match(codes(`  - dma: { device: nic0, iova: 0x3000, access: read }\n  - resume: { stall: 1, device: nic0, stag: 0, action: retry }\n`), [
    'CONFLICT@steps[1].resume',
  ]);
  t.match(codes(`  - resume: { action: retry }\n`), ['CONFLICT@steps[0].resume']);
  t.match(codes(`  - resume: { stag: 0, action: retry }\n`), ['CONFLICT@steps[0].resume']);
  t.match(codes(`  - ack_gerror: {}\n  - resume: { stall: 1, action: retry }\n`), ['CONFLICT@steps[1].resume.stall']);
  t.match(codes(`  - resume: { stall: 2, action: retry }\n  - dma: { device: nic0, iova: 0x3000, access: read }\n`), ['CONFLICT@steps[0].resume.stall']);
  t.same(codes(`  - dma: { device: nic0, iova: 0x3000, access: read }\n  - resume: { stall: 1, action: retry }\n`), []);
});

t.test('STALL_TERM (and any non-resume step) records what happened to the stalls it ended', async (t) => {
  const o = run(
    scen(`  - dma: { device: nic0, iova: 0x3000, access: read }
  - ste: { device: nic0, config: abort, invalidate: true }
  - cmdq: { commands: [ { op: STALL_TERM, device: nic0 } ], sync: true }
`),
  );
  t.same(step(o, 3)['ended'], ['stall_term sid=0x10 stag=0: abort']);
  t.equal(step(o, 2)['ended'], undefined, 'nothing ended by the STE write');
});

t.test('read_mem: values in order, 32- or 64-bit, unbacked reads are null and abort; expect.values', async (t) => {
  const s = scen(`  - read_mem: { pa: 0x2000_0000, expect: { values: [0x1122_3344_5566_7788] } }
  - read_mem: { pa: 0x2000_0000, count: 2, width: 32, expect: { values: [0x5566_7788, 0x1122_3344] } }
  - read_mem: { pa: 0x7000_0000, expect: { result: abort } }
  - read_mem: { pa: 0x2000_0000, expect: { values: [0x1] } }
`);
  const o = run(s);
  t.match(step(o, 1), { result: 'ok', width: 64, values: ['0x1122334455667788'] });
  t.match(step(o, 2), { result: 'ok', width: 32, values: ['0x55667788', '0x11223344'] });
  t.match(step(o, 3), { result: 'abort', values: [null] });
  t.same(checkExpectations(s, o), ['step 4 (read_mem): expect.values: expected [0x1], got [0x1122334455667788]']);
});

t.test('CMD_SYNC completion signals: in the record, and checked by expect.sync', async (t) => {
  const s =
    scen(`  - cmdq: { commands: [ { op: SYNC, cs: sev }, { op: SYNC, cs: irq, msiaddr: 0x2000_0000, msidata: 7 }, { op: SYNC } ], sync: false, expect: { sync: [sev, msi] } }
  - cmdq: { commands: [ { op: SYNC, cs: irq, msiaddr: 0x2000_0000, msidata: 7 } ], sync: false, expect: { sync: [sev] } }
`);
  const o = run(s);
  t.same(step(o, 1)['sync'], ['sev', 'msi 0x0000000020000000=0x00000007'], 'SIG_NONE is not listed');
  t.same(checkExpectations(s, o), ['step 2 (cmdq): expect.sync: expected [sev], got [msi]']);
});

t.test('smmu.event_drain: explicit — records stay queued until drain_events, then go to the producing step', async (t) => {
  const body = `  - dma: { device: nic0, iova: 0x3000, access: write }
  - dma: { device: nic0, iova: 0x1000, access: read }
  - dma: { device: nic0, iova: 0x5000, access: write }
`;
  const none = run(scen(body.replace(/0x3000/, '0x3000').replace(/s: true/, 's: false'), 'smmu: { event_drain: explicit }\n'));
  t.same(none.events, [], 'no drain step: software never read the queue');
  const o = run(scen(`${body}  - drain_events: {}\n`, 'smmu: { event_drain: explicit }\n'));
  t.same(
    o.events.map((e) => e.step),
    [1, 3],
  );
  t.match(step(o, 4), { records: 2, prod: '0x00000002', cons: '0x00000002' });
  const d = run(scen(`${body}  - drain_events: {}\n`));
  t.same(
    d.events.map((e) => e.step),
    [1, 3],
    'default: drained after each step',
  );
  t.same(step(d, 4), { step: 4, op: 'drain_events', result: 'ok' });
});
