// Output-address checks on targets that cannot report a DMA's PA: which golden PAs are checked,
// and that a write not found at its PA fails the scenario as a golden mismatch naming the field.
import t from 'tap';
import { fileURLToPath } from 'node:url';
import { type RunTask, runOne } from '../engine/run-one.ts';
import { FEATURES } from '../scenario/features.ts';
import { expectedWritePas, paMissMessage } from './pa-check.ts';
import { SYSTEM_QEMU, qemuMissing } from '../../test/support/qemu.ts';
import { threadBridge } from './qemu/target.ts';
import { readFileSync } from 'node:fs';
import { executeOnTarget } from '../engine/execute.ts';
import { loadScenarioFile } from '../engine/load.ts';
import { execProfile } from '../engine/exec/profile.ts';
import { SparseMemory } from '../memory/sparse-memory.ts';
import { SmmuDevice } from '../smmu/device.ts';
import { EMULATOR_CAPABILITIES, EmulatorTarget } from './emulator.ts';

const missing = qemuMissing(SYSTEM_QEMU);

t.test('expectedWritePas: the PA of each DMA write the golden has translated, per transaction', async (t) => {
  const golden = `scenario: x
steps:
  - { step: 1, op: dma, result: ok, device: d, iova: '0x0000000000401234', access: write, pa: '0x0000000080201234' }
  - { step: 2, op: dma, result: ok, device: d, iova: '0x0000000000401234', access: read, pa: '0x0000000080201234' }
  - { step: 3, op: dma, result: fault, device: d, iova: '0x0000000000005000', access: write, event: F_TRANSLATION, recorded: true }
  - { step: 4, op: dma, result: fault, device: d, iova: '0x0000000000001ff0', access: write, size: 32, transactions: 2, addrs: ['0x0000000000001ff0', '0x0000000000002000'], results: [ok, fault], pas: ['0x0000000080001ff0', null] }
  - { step: 5, op: cmdq, result: ok }
`;
  t.same(
    [...expectedWritePas(golden)],
    [
      [1, [0x8020_1234n]],
      [4, [0x8000_1ff0n, null]],
    ],
  );
  t.same([...expectedWritePas(undefined)], []);
  t.same([...expectedWritePas('not: [valid')], []);
  t.equal(
    paMissMessage({ step: 4, txn: 0, pa: 0x8000_1ff0n }, 'qemu-7.2', true),
    'steps[3] (step 4 dma): field pas[0]: expected "0x0000000080001ff0", but the write\'s data is not there (qemu-7.2 cannot report the output address, so its memory at that PA is read back)',
  );
});

// run-one probes the target's ID registers (requires:), so a real QEMU stands behind the fake
t.test('a DMA write not found at the golden PA is a golden mismatch naming the field', missing !== undefined ? { skip: missing } : {}, async (t) => {
  process.once('exit', () => threadBridge().stop());
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const task = (id: string): RunTask => ({
    id,
    file: `${root}scenarios/${id}.yaml`,
    display: `scenarios/${id}.yaml`,
    goldenFile: `${root}golden/${id}.yaml`,
    goldenDisplay: `golden/${id}.yaml`,
    keepActual: false,
    timings: false,
  });
  const ctx = {
    executorModule: new URL('../../test/fixtures/pa-miss-executor.ts', import.meta.url).href,
    profile: { name: 'emulator', features: [...FEATURES] },
    target: { kind: 'qemu' as const, binary: SYSTEM_QEMU },
  };
  const r = await runOne(task('smoke/s1-translate'), ctx);
  t.equal(r.state, 'fail');
  t.equal(r.golden, 'mismatch');
  t.match(r.divergence, /^steps\[0\] \(step 1 dma\): field pa: expected "0x0000000080201234", but the write's data is not there/);
  t.match(r.messages.join('\n'), /output address checked at the golden's PA for 1 DMA write/);
  // no write in the golden: nothing to check, the scenario passes
  const read = await runOne(task('smoke/s1-translation-fault'), ctx);
  t.equal(read.state, 'pass', read.messages.join('\n'));
});

t.test('the golden PA goes to the target, except in a page software wrote (a canary there could change the walk)', async (t) => {
  const seen: Array<bigint | undefined> = [];
  class Checking extends EmulatorTarget {
    override readonly capabilities = { ...EMULATOR_CAPABILITIES, transactionOutcome: false };
    override transaction(tx: Parameters<EmulatorTarget['transaction']>[0]): ReturnType<EmulatorTarget['transaction']> {
      seen.push(tx.expectPa);
      super.transaction(tx);
      return { kind: 'unobserved' };
    }
  }
  const id = 'smoke/s1-translate';
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const s = loadScenarioFile(`${root}scenarios/${id}.yaml`, { file: `scenarios/${id}.yaml`, id }).scenario;
  if (s === undefined) throw new Error(`cannot load ${id}`);
  const run = (pas: ReturnType<typeof expectedWritePas>): void => {
    const ep = execProfile(s);
    const target = new Checking(new SmmuDevice({ mem: new SparseMemory(), profile: ep.profile, cachePolicy: ep.cachePolicy }));
    executeOnTarget(s, { profile: { name: 'emulator', features: [...FEATURES] }, expectedPas: pas }, target);
  };
  const golden = expectedWritePas(readFileSync(`${root}golden/${id}.yaml`, 'utf8'));
  run(golden);
  t.same(seen.splice(0), [0x8020_1234n, undefined], "the write gets the golden's PA (the read none)");
  // the stage-1 table root (layout s1_pt0_ttb) is a page software wrote
  run(new Map([[1, [0x1000_8010n]]]));
  t.same(seen.splice(0), [undefined, undefined], 'not a PA in a table page');
});
