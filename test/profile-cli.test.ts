// `--profile FILE` end to end through the CLI with the built-in emulator: the part changes the
// emulated SMMU (a golden written on the default part mismatches in the changed IDR field), the
// part's features decide `requires:`, and a bad profile file is exit 2 with file:line:col.
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { type CliOut, runCli } from './support/run-cli.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

const run = (cwd: string, args: string[]): Promise<CliOut> => runCli(cwd, args);

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'smmu-profile-'));
  for (const sub of ['scenarios/host', 'golden/host']) mkdirSync(join(dir, sub), { recursive: true });
  cpSync(join(ROOT, 'scenarios/host/hw-info.yaml'), join(dir, 'scenarios/host/hw-info.yaml'));
  cpSync(join(ROOT, 'golden/host/hw-info.yaml'), join(dir, 'golden/host/hw-info.yaml'));
  writeFileSync(join(dir, 'term.yaml'), 'name: term-model-part\nidr: { TERM_MODEL: 1 }\n');
  writeFileSync(join(dir, 's1only.yaml'), 'name: s1-only\nfeatures: { s2: false }\n');
  writeFileSync(join(dir, 'bad.yaml'), 'name: bad\nidr: { TTENDIAN: 1 }\n');
  return dir;
}

t.test('run --profile: the emulated SMMU is the part', async (t) => {
  const dir = project();
  const base = ['run', 'scenarios/host/hw-info.yaml', '--jobs', '1'];
  t.equal((await run(dir, base)).code, 0, 'default part: the golden matches');
  const term = await run(dir, [...base, '--profile', 'term.yaml']);
  t.equal(term.code, 1, 'TERM_MODEL part: IDR0 differs from the golden');
  t.match(term.stdout, /FAIL host\/hw-info[\s\S]*0x0c0c761b/, 'hw_info IDR0 now has TERM_MODEL (bit 26) set');
  const s1 = await run(dir, [...base, '--profile', 's1only.yaml']);
  t.match(s1.stdout, /SKIP host\/hw-info/, 'requires: checked against the part (s2, nesting missing)');
  t.equal(s1.code, 0);
  const bad = await run(dir, [...base, '--profile', 'bad.yaml']);
  t.equal(bad.code, 2);
  t.match(bad.stderr, /bad\.yaml:2:18: error\[BAD_VALUE\] at idr\.TTENDIAN: number 1 is not allowed; expected one of: 0, 2, 3/);
});
