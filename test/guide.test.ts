// The authoring guide: its generated part (an example per step kind, every default) is current,
// every example step it shows validates, it names only files the package ships, and the README
// links it.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { GUIDE_BEGIN, renderGuide } from '../src/coverage/guide.ts';
import { STEP_KINDS } from '../src/engine/steps/registry.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const GUIDE = readFileSync(join(ROOT, 'docs', 'writing-scenarios.md'), 'utf8');

t.test('the generated part is current', async (t) => {
  const block = GUIDE.slice(GUIDE.indexOf(GUIDE_BEGIN));
  t.equal(block.replace(/\n$/, ''), renderGuide(ROOT), 'regenerate with: node --import=tsx scripts/scenario-guide.ts');
});

t.test('a section for every step kind; examples from shipped scenarios', async (t) => {
  for (const k of STEP_KINDS) t.match(GUIDE, `\n### \`${k}\`\n`, `step kind ${k}`);
  const examples = [...GUIDE.matchAll(/From `(scenarios\/[^`]+\.yaml)`, step (\d+):/g)];
  t.ok(examples.length >= STEP_KINDS.length - 2, `${examples.length} worked examples`);
});

t.test('only files the package ships are named', async (t) => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[] };
  const named = [...GUIDE.matchAll(/`((?:src|dist|schemas|scenarios|golden|docs|test|scripts)\/[^`\s<>]*)`/g)].map((m) => m[1] ?? '');
  t.ok(named.length > 10);
  for (const f of named) {
    const top = f.split('/')[0] ?? '';
    t.ok(pkg.files.includes(top), `${f} is in a shipped folder`);
    if (!/[<*]/.test(f)) t.ok(existsSync(join(ROOT, f)), `${f} exists`);
  }
  t.notMatch(GUIDE, /src\/[\w/-]+\.ts/, 'no TypeScript source paths (not shipped)');
});

t.test('the README links the guide and the API', async (t) => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  t.match(readme, /\]\(docs\/writing-scenarios\.md\)/);
  t.match(readme, /\]\(docs\/api\.md\)/);
});
