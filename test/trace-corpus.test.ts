/**
 * The hazard corpus (issue 15 item 9): hand-written kernel logs under
 * test/fixtures/traces/corpus/, one file per hazard family, each with `<name>.expected.yaml`
 * holding every record with every field (the trace JSON shape of schemas/trace.schema.json),
 * the diagnostics as `line:CODE`, the import statistics and, where given, the exit code of
 * `trace import`. Written from the message formats of the reference notes, not copied from logs.
 */
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { importTrace, runTraceImport } from '../src/trace/cli.ts';
import { traceToJson } from '../src/trace/serialize.ts';

const DIR = fileURLToPath(new URL('./fixtures/traces/corpus/', import.meta.url));

interface Expected {
  hazard: string;
  format?: string;
  exit?: number;
  diagnostics: string[];
  stats?: { lines: number; used: number; reported: number };
  records: unknown[];
}

const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.expected.yaml'))
  .sort();

t.test('corpus is not empty', async (t) => {
  t.ok(files.length >= 3, `${files.length} hazard families`);
});

for (const f of files) {
  const name = f.replace(/\.expected\.yaml$/, '');
  const log = readdirSync(DIR).find((x) => x.startsWith(`${name}.`) && !x.endsWith('.expected.yaml'));
  t.test(`${name}`, async (t) => {
    if (log === undefined) {
      t.fail(`no log file for ${f}`);
      return;
    }
    const exp = parseYaml(readFileSync(DIR + f, 'utf8')) as Expected;
    const text = readFileSync(DIR + log, 'utf8');
    const tr = importTrace(text, exp.format !== undefined ? { format: exp.format as 'dmesg' } : {});
    const json = traceToJson(tr) as { records: unknown[] };
    t.equal(json.records.length, exp.records.length, `${exp.hazard}: record count`);
    exp.records.forEach((r, i) => t.same(json.records[i], r, `${log} record #${i + 1}`));
    t.same(
      tr.diagnostics.map((d) => `${d.line}:${d.code}`),
      exp.diagnostics,
      `${log} diagnostics`,
    );
    if (exp.stats !== undefined) t.same(tr.stats, exp.stats, `${log} lines read/used/reported`);
    const r = runTraceImport([DIR + log]);
    t.equal(r.exitCode, exp.exit ?? 0, `${log}: trace import exit code`);
    if ((exp.exit ?? 0) === 1) t.equal(runTraceImport([DIR + log, '--lenient']).exitCode, 0, `${log}: --lenient`);
  });
}
