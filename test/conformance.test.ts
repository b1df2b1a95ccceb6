// The conformance suite as tap subtests: every scenario under scenarios/ runs through the same
// suite runner as `smmu-conform run` (src/engine/run-suite.ts), with the real executor
// (src/engine/execute.ts). The engine never imports tap; this file is the only adapter.
// TAP_SNAPSHOT=1 updates and creates goldens, exactly like `run --update --create` (refused under CI).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { loadExpectFail } from '../src/engine/expect-fail.ts';
import { runSuite } from '../src/engine/run-suite.ts';
import { isCi } from '../src/golden/store.ts';
import { FEATURES } from '../src/scenario/features.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const EXECUTOR = new URL('../src/engine/execute.ts', import.meta.url);
const EXPECT_FAIL = fileURLToPath(new URL('expected-failures.txt', import.meta.url));

{
  const update = process.env['TAP_SNAPSHOT'] === '1';
  if (update && isCi(process.env)) throw new Error('Refusing to update goldens under CI (TAP_SNAPSHOT=1 with CI set)');
  const expectFail = existsSync(EXPECT_FAIL) ? loadExpectFail(EXPECT_FAIL) : undefined;
  if (typeof expectFail === 'string') throw new Error(expectFail);
  const suite = await runSuite({
    cwd: ROOT,
    root: `${ROOT}scenarios`,
    goldenDir: `${ROOT}golden`,
    patterns: [],
    // In-process: `npm test` already keeps both cores busy with its two tap processes, so worker
    // threads here would only add their start-up (each loads the engine again, ~1 s of CPU);
    // test/jobs-parity.test.ts shows the workers give the same results.
    jobs: 1,
    update,
    create: update,
    ...(expectFail !== undefined ? { expectFail } : {}),
    profile: { name: 'emulator', features: [...FEATURES] },
    executorModule: EXECUTOR.href,
  });
  // An empty run proves nothing: a moved or mistyped scenarios root must be red, not green.
  if (suite.results.length === 0) t.fail(`no scenarios found under ${ROOT}scenarios`);
  for (const r of suite.results) {
    const why = [...r.messages, ...(r.diff !== undefined ? [r.diff] : [])].join('\n');
    switch (r.state) {
      case 'skip':
        t.test(r.id, { skip: r.messages[0] ?? 'requires not met' }, () => {});
        break;
      case 'xfail':
        t.test(r.id, { todo: 'expected failure (test/expected-failures.txt)' }, async (t) => t.fail(why));
        break;
      default:
        t.test(r.id, async (t) => {
          if (r.state === 'pass') t.pass(r.file);
          else t.fail(`${r.state}: ${why}`, { file: r.file });
        });
    }
  }
  for (const w of suite.written) t.comment(`wrote ${w}`);
  for (const n of suite.notes) t.comment(`note: ${n}`);
}
