// Features the reference emulator does not model (docs/not-modelled.md): a scenario that
// `requires:` one is a SKIP with the reason, whatever profile is selected.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { cli } from '../src/cli/app.ts';
import { FEATURES, NOT_MODELLED, notModelledReason } from '../src/scenario/features.ts';

const FAKE = fileURLToPath(new URL('fixtures/fake-execute.ts', import.meta.url));
const DOC = readFileSync(fileURLToPath(new URL('../docs/not-modelled.md', import.meta.url)), 'utf8');

async function runJson(cwd: string, args: string[]): Promise<{ code: number; results: { id: string; state: string; messages: string[] }[] }> {
  let stdout = '';
  const code = await cli([...args, '--reporter', 'json', '--executor', FAKE], { stdout: (s) => (stdout += s), stderr: () => {}, env: {}, cwd, isTTY: false });
  return { code, results: (JSON.parse(stdout) as { results: { id: string; state: string; messages: string[] }[] }).results };
}

t.test('every not-modelled feature is a known feature and is written down in docs/not-modelled.md', async (t) => {
  const names = Object.keys(NOT_MODELLED);
  t.same(names.sort(), ['aarch32', 'contiguous', 'ds', 's2fwb', 'secure']);
  for (const f of names) {
    t.ok((FEATURES as readonly string[]).includes(f), `${f} is in FEATURES`);
    t.match(DOC, new RegExp(`\`${f}\``), `${f} has a section in docs/not-modelled.md`);
  }
  t.equal(notModelledReason('s1'), undefined, 'modelled features have no reason');
});

t.test('requires: of a not-modelled feature is a SKIP with the reason, even when the profile lists it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'smmu-nm-'));
  mkdirSync(join(dir, 'scenarios', 's1'), { recursive: true });
  const scen = (req: string): string => `description: Needs a feature (SMMUv3 §3.2).\ntags: [x]\nrequires: [${req}]\nsteps: []\n`;
  writeFileSync(join(dir, 'scenarios', 's1', 'needs-ds.yaml'), scen('s1, ds'));
  writeFileSync(join(dir, 'scenarios', 's1', 'needs-contiguous.yaml'), scen('contiguous'));
  writeFileSync(join(dir, 'scenarios', 's1', 'needs-s1.yaml'), scen('s1'));
  await cli(['run', '--update', '--create', '--executor', FAKE], { stdout: () => {}, stderr: () => {}, env: {}, cwd: dir, isTTY: false });
  for (const features of [[], ['--features', 's1,ds,contiguous']]) {
    const r = await runJson(dir, ['run', ...features]);
    const get = (id: string) => r.results.find((x) => x.id === id);
    t.equal(get('s1/needs-ds')?.state, 'skip');
    t.match(get('s1/needs-ds')?.messages[0], /^requires ds: not modelled \(docs\/not-modelled\.md\): DS\/LPA2/);
    t.equal(get('s1/needs-contiguous')?.state, 'skip');
    t.match(get('s1/needs-contiguous')?.messages[0], /Contiguous hint/);
    t.equal(get('s1/needs-s1')?.state, 'pass', 'a modelled requirement still runs');
  }
});

t.test('smmu.features cannot switch a not-modelled feature on (schema)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'smmu-nm2-'));
  mkdirSync(join(dir, 'scenarios', 's1'), { recursive: true });
  mkdirSync(join(dir, 'golden'));
  writeFileSync(
    join(dir, 'scenarios', 's1', 'ds-on.yaml'),
    'description: Turns DS on (SMMUv3 §3.2).\ntags: [x]\nsmmu: { features: { ds: true } }\nsteps: []\n',
  );
  const r = await runJson(dir, ['run']);
  t.equal(r.code, 2, 'invalid input exits 2');
  t.equal(r.results[0]?.state, 'error');
  t.match(r.results[0]?.messages.join('\n'), /ds/);
});
