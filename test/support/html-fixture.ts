/**
 * A report of a real run with failures: the repository's scenarios (all, or some paths) run on
 * the built-in emulator against a copy of the goldens in which two records were changed, so two
 * scenarios fail with a golden diff (one of them a nested walk). Used by the DOM-level test and
 * the headless-Chromium test.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from './run-cli.ts';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** The two scenarios whose golden copies are changed. */
export const BROKEN = ['nested/priority-s1-permission-over-s2-translation', 'nested/s1-translation-fault'] as const;

export interface FailingReport {
  readonly html: string;
  readonly file: string;
  readonly code: number;
  readonly json: {
    totals: Record<string, number>;
    summary: Record<string, number>;
    exit_code: number;
    results: Array<{ id: string; state: string }>;
    target?: string;
  };
}

export async function failingReport(
  patterns: readonly string[],
  outDir = mkdtempSync(join(tmpdir(), 'smmu-html-')),
  extraArgs: readonly string[] = [],
): Promise<FailingReport> {
  const golden = join(mkdtempSync(join(tmpdir(), 'smmu-golden-')), 'golden');
  cpSync(join(REPO, 'golden'), golden, { recursive: true });
  for (const id of BROKEN) {
    const f = join(golden, `${id}.yaml`);
    // One event field changed: the run reports a mismatch at that field.
    writeFileSync(
      f,
      readFileSync(f, 'utf8').replace(/class: (\w+)/, (_m, c: string) => `class: ${c === 'TT' ? 'IN' : 'TT'}`),
    );
  }
  const file = join(outDir, 'report.html');
  const json = join(outDir, 'report.json');
  const r = await runCli(REPO, [
    'run',
    ...patterns,
    '--golden',
    golden,
    '--reporter',
    `html:${file}`,
    '--reporter',
    `json:${json}`,
    // in-process: see test/conformance.test.ts (workers only add start-up under `npm test`)
    '--jobs',
    '1',
    ...extraArgs,
  ]);
  return { html: readFileSync(file, 'utf8'), file, code: r.code, json: JSON.parse(readFileSync(json, 'utf8')) as FailingReport['json'] };
}
