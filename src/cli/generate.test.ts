// `smmu-conform generate`: files a scenario root can validate, byte-identical per seed, and
// located refusals of bad arguments.
import t from 'tap';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './app.ts';

function io(cwd: string) {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: (s: string) => out.push(s), stderr: (s: string) => err.push(s), env: {}, cwd, isTTY: false } };
}

t.test('writes DIR/<id>.yaml that validate accepts, the same bytes for the same seed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gen-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const a = io(dir);
  t.equal(await cli(['generate', '--seed', '0x10', '--count', '6', '--out', 'a'], a.io), 0, a.err.join(''));
  const b = io(dir);
  t.equal(await cli(['generate', '--seed', '16', '--count', '6', '--out', 'b'], b.io), 0);
  const files = readdirSync(join(dir, 'a')).sort();
  t.equal(files.length, 6);
  t.same(readdirSync(join(dir, 'b')).sort(), files);
  for (const f of files) t.equal(readFileSync(join(dir, 'a', f), 'utf8'), readFileSync(join(dir, 'b', f), 'utf8'), f);
  const v = io(dir);
  t.equal(await cli(['validate', '--root', 'a', 'a'], v.io), 0, v.out.join('') + v.err.join(''));
  const id = (files[0] ?? '').replace(/\.yaml$/, '');
  const one = io(dir);
  t.equal(await cli(['generate', '--id', id], one.io), 0);
  t.equal(one.out.join(''), readFileSync(join(dir, 'a', `${id}.yaml`), 'utf8'), '--id rebuilds the same scenario');
});

t.test('--profile: only scenarios the part can run, addresses below its OAS', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gen-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 's1only.yaml'), 'name: s1-only\nfeatures: { s2: false, granule_64k: false }\noas: 40\n');
  const r = io(dir);
  t.equal(await cli(['generate', '--seed', '5', '--count', '25', '--profile', 's1only.yaml', '--out', 'g'], r.io), 0, r.err.join(''));
  const texts = readdirSync(join(dir, 'g')).map((f) => readFileSync(join(dir, 'g', f), 'utf8'));
  t.equal(texts.length, 25);
  t.notOk(
    texts.some((x) => /requires: \[[^\]]*\b(s2|nesting|granule_64k)\b/.test(x)),
    'no scenario requires stage 2, nesting or the 64K granule',
  );
  t.notOk(
    texts.some((x) => /\bpa: 0x([0-9a-f]{11,})/.test(x)),
    'no output address of 41 bits or more',
  );
  const v = io(dir);
  t.equal(await cli(['validate', '--root', 'g', 'g'], v.io), 0, v.out.join('') + v.err.join(''));
  const bad = io(dir);
  writeFileSync(join(dir, 'bad.yaml'), 'name: bad\nidr: { TTENDIAN: 1 }\n');
  t.equal(await cli(['generate', '--seed', '5', '--count', '1', '--profile', 'bad.yaml'], bad.io), 2);
  t.match(bad.err.join(''), /bad\.yaml:2:/);
});

t.test('bad arguments exit 2 with the reason', async (t) => {
  const cases: [string[], RegExp][] = [
    [['generate', '--count', '1'], /--seed is required/],
    [['generate', '--seed', '1'], /--count is required/],
    [['generate', '--seed=0x1_0000_0000', '--count', '1'], /--seed must be an integer/],
    [['generate', '--seed', '1', '--count', '1', '--area', 's3'], /unknown area "s3"; expected one of: s1/],
    [['generate', '--id', 'gen-s9-00000001'], /is not gen-<area>-<8 hex digits>/],
    [['generate', '--sed', '1'], /did you mean --seed/],
  ];
  for (const [args, re] of cases) {
    const r = io(tmpdir());
    t.equal(await cli(args, r.io), 2, args.join(' '));
    t.match(r.err.join(''), re);
  }
  const h = io(tmpdir());
  t.equal(await cli(['generate', '--help'], h.io), 0);
  t.match(h.out.join(''), /Areas:\n {2}s1 /);
});
