/**
 * Runs many `*.test.ts` files in one process. Each file starting its own node + tsx costs about
 * a second of CPU before any assertion runs; loading them into one process pays that once and
 * lets c8 merge one coverage file instead of dozens. The files stay ordinary tap files, so
 * `npx tap path/to/x.test.ts` still runs one of them alone.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import t from 'tap';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The whole suite on QEMU: a process of its own (test/suites/qemu.ts). */
export const QEMU_SUITE = 'test/qemu-suite.test.ts';

/** Every `*.test.ts` under `dir` (relative to the project root), sorted, recursing. */
export function testFiles(dir: string, recurse: boolean): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        if (recurse) walk(p);
      } else if (e.name.endsWith('.test.ts')) out.push(p);
    }
  };
  walk(join(ROOT, dir));
  return out.map((p) => relative(ROOT, p)).sort();
}

/**
 * Suite-level files (test/) that run in process 1, beside the unit tests. tap runs the three
 * processes at once (`jobs: 3` in .taprc; its default on two cores is one at a time), so
 * `npm test` lasts as long as the longest one. These are heavy files with no tie to the rest of
 * the suite (CPU seconds under c8: jobs parity ~3 (one worker run), the coverage map ~4, the HTML report ~3),
 * chosen so that processes 1 and 2 use about the same CPU: measured 50 and 42.5 s with the loader
 * fuzzer (~4) in process 1, so it now runs in process 2, which also has the browser test with
 * Chromium (~10) and the package API (~6). The CI-only QEMU suite has process 3,
 * test/suites/qemu.ts. A name that no longer exists fails the run (loadAll), so a rename cannot
 * drop a file from both processes.
 */
export const SUITE_FILES_IN_UNIT: readonly string[] = ['test/coverage-map.test.ts', 'test/html-report.test.ts', 'test/jobs-parity.test.ts'];

/** Import the files one after another; a file that fails to load is a failed test, not a crash. */
export async function loadAll(files: readonly string[]): Promise<void> {
  if (files.length === 0) t.fail('no test files found');
  for (const f of files) {
    if (!existsSync(join(ROOT, f))) {
      t.fail(`${f} is listed but does not exist`);
      continue;
    }
    if (rootEnded(f)) return;
    try {
      await import(pathToFileURL(join(ROOT, f)).href);
    } catch (e) {
      t.fail(`${f} failed to load: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
  }
  rootEnded('the end of the list');
}

/**
 * A file that ends the shared root test (a top-level t.teardown, t.plan or t.end) makes tap drop
 * every later file's tests with a printed "cannot create subtest after parent test ends" and a
 * green summary. The root can no longer take a failing assertion then, so fail the process.
 */
function rootEnded(next: string): boolean {
  if (!(t as unknown as { ended?: boolean }).ended) return false;
  process.exitCode = 1;
  process.stderr.write(
    `load-all: the shared root test ended before ${next}: a file loaded earlier ends it (top-level t.teardown/t.plan/t.end); use process.once('exit', ...) for file-level cleanup\n`,
  );
  return true;
}
