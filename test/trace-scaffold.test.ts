/**
 * `trace scaffold LOG` round trip (issue 15 item 8): the scenario scaffolded from a kernel log,
 * run on the emulator, matches that log under `--profile hardware`, for every record kind the
 * scaffold reproduces (stage-1 F_TRANSLATION read and write, C_BAD_STE, CERROR_ILL at the logged
 * CONS index). A record it cannot reproduce stays visible: a comment in the scenario, and no MATCH.
 */
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cli } from '../src/cli/app.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'smmu-scaffold-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await cli(['trace', ...args], { stdout: (x) => (out += x), stderr: (x) => (err += x), env: {}, cwd: ROOT, isTTY: false });
  return { code, out, err };
}

async function roundTrip(log: string): Promise<{ scenario: string; compare: { code: number; out: string; err: string } }> {
  const s = await run(['scaffold', log]);
  const file = join(dir, `${log.split('/').pop()}.yaml`);
  writeFileSync(file, s.out);
  return { scenario: s.out, compare: await run(['compare', file, log, '--profile', 'hardware']) };
}

t.test('scaffold + compare --profile hardware: MATCH for each reproduced record kind', async (t) => {
  const { scenario, compare } = await roundTrip('test/fixtures/traces/scaffold-roundtrip.log');
  t.match(scenario, /- dma: \{ device: dev10, iova: 0x2468, access: write, expect: \{ result: fault \} \}/);
  t.match(scenario, /- dma: \{ device: dev10, iova: 0x345000, access: read, expect: \{ result: fault \} \}/);
  t.match(scenario, /- dma: \{ device: dev20, iova: 0x0, access: read/);
  t.match(scenario, /- cmdq: \{ index: 5, commands: \[ \{ raw: \['0xff', '0x0'\] \} \]/);
  t.equal(compare.code, 0, compare.out + compare.err);
  t.match(compare.out, /records: 5 match, 0 differ, 0 missing, 0 extra\n\nRESULT: MATCH\n$/);
});

t.test('a record the scaffold cannot reproduce is a comment and never a MATCH', async (t) => {
  const log = join(dir, 'cd-fetch.log');
  writeFileSync(
    log,
    ['event 0x09 received:', '\t0x0000000300000009', '\t0x0000000000000000', '\t0x0000000000000000', '\t0x0000000040001040']
      .map((l) => `[  1.000000] arm-smmu-v3 arm-smmu-v3.0.auto: ${l}`)
      .join('\n'),
  );
  const { scenario, compare } = await roundTrip(log);
  t.match(scenario, /# not reproduced: line 1: F_CD_FETCH \(0x09\) sid=0x3: no scaffold for this event type yet/);
  t.equal(compare.code, 1);
  t.match(compare.out, /RESULT: DIFFER/);
});
