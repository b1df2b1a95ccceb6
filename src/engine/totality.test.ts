// Totality at run time (issue 12 part 6): software states the architecture allows run to an
// answer; an executor failure or a run over its budget is reported by the runner at the
// scenario's file:line:col as an invalid result (exit 2), never as a stack, and the suite goes on.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { loadScenarioText } from './load.ts';
import type { Scenario } from '../scenario/types.ts';
import { executeScenario } from './execute.ts';
import { runOne, type RunTask } from './run-one.ts';
import type { StepRecord } from '../scenario/observation.ts';

const PROFILE = { name: 'test', features: [] } as const;
function load(yaml: string): Scenario {
  const r = loadScenarioText(`description: Totality test (SMMUv3 §3.5)\ntags: [t]\n${yaml}`, { file: 'inline.yaml' });
  if (r.scenario === undefined) throw new Error(r.errors.map((e) => e.message).join('; '));
  return r.scenario;
}

t.test('CMDQ_PROD written behind CONS: the next batch cannot be published and reports a stall (no hang)', async (t) => {
  // Boot leaves PROD = CONS = 4 (CFGI_ALL, TLBI_EL2_ALL, TLBI_NSNH_ALL, CMD_SYNC). PROD = 0 makes
  // the queue look 252 entries full of zeros: opcode 0 is reserved, CERROR_ILL at CONS (§4.1.5).
  const o = executeScenario(
    load(`steps:
  - write_reg: { reg: SMMU_CMDQ_PROD, value: 0 }
  - cmdq: { commands: [ { op: TLBI_NSNH_ALL } ], sync: true }
`),
    { profile: PROFILE },
  );
  const s1 = o.steps[0] as StepRecord;
  const s2 = o.steps[1] as StepRecord;
  t.equal(s1['cerror'], 'CERROR_ILL');
  t.same(s1['gerror'], ['CMDQ_ERR']);
  // PROD (0) is behind CONS (4): no free slot, nothing written, the queue makes no progress.
  t.equal(s2['result'], 'stall');
  t.equal(s2['executed'], 0);
});

t.test('a map step over an existing mapping fails like the software call, the run goes on', async (t) => {
  const o = executeScenario(
    load(`memory:
  s2_tables: [ { name: vm0, granule: 4k, ipa_bits: 40, map: [ { ipa: 0x4000_0000, pa: 0x9000_0000, size: 4K, perm: rw } ] } ]
steps:
  - map: { table: vm0, ipa: 0x4000_0000, pa: 0xa000_0000, size: 4K, perm: r }
  - drain_events: {}
`),
    { profile: PROFILE },
  );
  t.equal(o.steps[0]?.['result'], 'error');
  t.match(String(o.steps[0]?.['reason']), /already mapped/);
  t.equal(o.steps[1]?.['result'], 'ok');
});

t.test('runner: executor failure and budget overrun are located errors with exit-2 status', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'totality-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'x.yaml');
  writeFileSync(file, 'description: Budget test (SMMUv3 §3.5)\ntags: [t]\nsteps:\n  - drain_events: {}\n  - drain_events: {}\n  - drain_events: {}\n');
  const task: RunTask = {
    id: 'x',
    file,
    display: 'scenarios/x.yaml',
    goldenFile: join(dir, 'x.golden.yaml'),
    goldenDisplay: 'golden/x.yaml',
    keepActual: false,
    timings: false,
  };
  const exec = new URL('./execute.ts', import.meta.url).href;
  const over = await runOne(task, { executorModule: exec, profile: PROFILE, budget: { maxSteps: 2 } });
  t.equal(over.state, 'error');
  t.equal(over.invalid, true, 'exit 2, like an invalid file');
  t.match(over.messages, [/^scenarios\/x\.yaml:6:19: error\[BUDGET_EXCEEDED\] at steps\[2\]\.drain_events: .*budget of 2 steps/]);
  t.notMatch(over.messages.join('\n'), /\n\s+at /, 'no stack');

  const fake = join(dir, 'fake-executor.ts');
  writeFileSync(
    fake,
    `import { ExecFailure } from ${JSON.stringify(new URL('../scenario/exec-failure.ts', import.meta.url).href)};
export const executeScenario = () => { throw new ExecFailure(['steps', 1, 'drain_events'], 'step 2 (drain_events): model bug'); };\n`,
  );
  const failed = await runOne(task, { executorModule: new URL(`file://${fake}`).href, profile: PROFILE });
  t.equal(failed.invalid, true);
  t.match(failed.messages, [/^scenarios\/x\.yaml:5:19: error\[EXECUTOR_FAILED\] at steps\[1\]\.drain_events: step 2 \(drain_events\): model bug$/]);

  const ok = await runOne(task, { executorModule: exec, profile: PROFILE });
  t.equal(ok.invalid, false, 'within the default budget the same scenario runs');
});

t.test('a part whose IDR1.CMDQS/EVENTQS is below the default queue size boots with queues capped to it', async (t) => {
  const o = executeScenario(
    load(`smmu: { idr: { CMDQS: 2, EVENTQS: 1 } }\nsteps:\n  - read_reg: { reg: SMMU_CMDQ_BASE }\n  - read_reg: { reg: SMMU_EVENTQ_BASE }\n`),
    {
      profile: PROFILE,
    },
  );
  t.equal((o.steps[0]?.['value'] as bigint) & 0x1fn, 2n, 'CMDQ_BASE.LOG2SIZE = IDR1.CMDQS (§6.3.26)');
  t.equal((o.steps[1]?.['value'] as bigint) & 0x1fn, 1n, 'EVENTQ_BASE.LOG2SIZE = IDR1.EVENTQS (§6.3.29)');
});

t.test('cmdq.index at the far end of a 2^19-entry queue: 524287 CMD_SYNC fillers, no stack overflow', async (t) => {
  const o = executeScenario(
    load(`boot: { invalidate: false, cmdq: { log2size: 19 } }\nsteps:\n  - cmdq: { commands: [ { op: TLBI_NSNH_ALL } ], index: 524287 }\n`),
    {
      profile: PROFILE,
    },
  );
  const s = o.steps[0] as StepRecord;
  t.same([s.result, s['commands'], s['executed'], s['prod']], ['ok', 524288, 524288, '0x00080000'], 'PROD wrapped to index 0, wrap bit 1');
});

t.test('resume of a dma step that did not stall: result error with the reason, no command, no exception', async (t) => {
  const o = executeScenario(
    load(`devices: [ { name: nic0, sid: 0x10 } ]
streams: [ { device: nic0, config: bypass } ]
steps:
  - dma: { device: nic0, iova: 0x1000, access: read }
  - resume: { stall: 1, action: retry }
`),
    { profile: PROFILE },
  );
  const s = o.steps[1] as StepRecord;
  t.same([s.result, s['reason']], ['error', 'step 1 did not stall a transaction']);
  t.equal(o.cmdq['prod'], '0x00000004', 'no CMD_RESUME was issued');
});
