/**
 * HTML report size (issue 17 target: the report of the whole suite <= 2 MB): the shipped suite on
 * the built-in emulator with `--reporter html:FILE`, as `npm start` writes it. The per-QEMU report
 * sizes come with the QEMU rows (qemu.bench.ts). Uses the compiled CLI.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../', import.meta.url));

export const REPORT_TARGET_BYTES = 2 * 1024 * 1024;

export function benchReport(): { readonly bytes: number; readonly scenarios: number } | string {
  const dir = mkdtempSync(join(tmpdir(), 'smmu-report-bench-'));
  try {
    const html = join(dir, 'report.html');
    const r = spawnSync(process.execPath, [CLI, 'run', '-j', '2', '-R', 'json', '-R', `html:${html}`], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
    try {
      const doc = JSON.parse(r.stdout) as { results: unknown[] };
      return { bytes: statSync(html).size, scenarios: doc.results.length };
    } catch (e) {
      return `no report (${e instanceof Error ? e.message : String(e)})`;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
