/**
 * `run --trace-compare SCENARIO=LOG` (issue 15): the `trace compare` results of each pair,
 * computed on the run's executor and profile, side by side in the HTML report (one
 * <details class="trace-compare"> per pair, with its verdict), and a line per pair on stderr.
 * Misuse is a clear usage error (exit 2), never a report without the comparison.
 */
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCliOutErr } from './support/run-cli.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'smmu-run-trace-'));
// Not t.teardown: a root-level teardown ends the shared root test of test/suites/*.ts early.
process.once('exit', () => rmSync(dir, { recursive: true, force: true }));

const run = (args: string[]): Promise<{ code: number; out: string; err: string }> => runCliOutErr(ROOT, args);

const LOG = 'test/fixtures/traces/scaffold-roundtrip.log';
const OTHER = 'test/fixtures/traces/smoke-s1-fault-pre614.log';

t.test('each pair is compared and shown in the HTML report with its verdict', async (t) => {
  const scaffold = await run(['trace', 'scaffold', LOG]);
  const scenario = join(dir, 'scaffold.yaml');
  writeFileSync(scenario, scaffold.out);
  const html = join(dir, 'report.html');
  const r = await run([
    'run',
    'scenarios/s1/walk-eabt.yaml',
    '--trace-compare',
    `${scenario}=${LOG}`,
    '--trace-compare',
    `${scenario}=${OTHER}`,
    '--trace-profile',
    'hardware',
    '--reporter',
    `html:${html}`,
  ]);
  t.equal(r.code, 0, r.err);
  t.match(r.err, new RegExp(`trace compare ${scenario} vs ${LOG}: MATCH\\n`));
  t.match(r.err, new RegExp(`trace compare ${scenario} vs ${OTHER}: DIFFER\\n`));
  const page = readFileSync(html, 'utf8');
  t.match(page, /<h2 id="trace-compare-h">Trace compare \(2\)<\/h2>/);
  const verdicts = [...page.matchAll(/<details class="trace-compare" id="[^"]+" data-verdict="([A-Z]+)"/g)].map((m) => m[1]);
  t.same(verdicts, ['MATCH', 'DIFFER'], 'one section per pair, in order, with the verdict trace compare gives');
  t.match(page, new RegExp(`<code>${LOG.replace(/[.]/g, '\\.')}</code>`), 'the log is named as given');
});

t.test('without the option the report has no trace section', async (t) => {
  const html = join(dir, 'plain.html');
  const r = await run(['run', 'scenarios/s1/walk-eabt.yaml', '--reporter', `html:${html}`]);
  t.equal(r.code, 0, r.err);
  t.notMatch(readFileSync(html, 'utf8'), /id="trace-compare-h"/);
});

t.test('misuse is a usage error naming what is wrong', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['--trace-compare', `scenarios/s1/walk-eabt.yaml=${LOG}`], /--trace-compare attaches comparisons to the HTML report; add --reporter html:FILE/],
    [['--trace-compare', 'no-equals-sign', '--reporter', `html:${join(dir, 'x.html')}`], /--trace-compare expects SCENARIO=LOG .* got "no-equals-sign"/],
    [
      ['--trace-compare', `scenarios/s1/walk-eabt.yaml=${LOG}`, '--trace-profile', 'lax', '--reporter', `html:${join(dir, 'x.html')}`],
      /--trace-profile must be one of strict, architectural, hardware, qemu, got "lax"/,
    ],
    [
      ['--trace-compare', `scenarios/s1/walk-eabt.yaml=${join(dir, 'missing.log')}`, '--reporter', `html:${join(dir, 'x.html')}`],
      /--trace-compare scenarios\/s1\/walk-eabt\.yaml=.*missing\.log: Cannot read/,
    ],
  ];
  for (const [extra, msg] of cases) {
    const r = await run(['run', 'scenarios/s1/walk-eabt.yaml', ...extra]);
    t.equal(r.code, 2, extra.join(' '));
    t.match(r.err, msg);
  }
});
