// Issue 14 part 2: every entry of docs/audit/golden-review.yaml names an existing scenario and the
// exact golden text its reviewer re-derived. A golden changed without its entry being renewed
// fails here; scenarios without an entry are unreviewed and only counted (see the file header).
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import t from 'tap';
import { loadReviewManifests, staleReviews } from '../src/golden/review.ts';
import { listYaml } from '../src/golden/store.ts';

const ROOT = join(import.meta.dirname, '..');
const AUDIT = join(ROOT, 'docs', 'audit');

t.test('reviewed-golden manifest: well formed, every reviewed golden unchanged since its review', async (t) => {
  const { entries, problems } = loadReviewManifests(AUDIT);
  t.same(
    problems.map((p) => `${p.code} ${p.id}: ${p.message}`),
    [],
    'manifest entries are well formed',
  );
  t.ok(entries.length > 0, 'the manifest reviews at least one scenario');
  t.same(
    entries.filter((e) => !existsSync(join(ROOT, 'scenarios', `${e.id}.yaml`))).map((e) => e.id),
    [],
    'every reviewed id is a scenario',
  );
  t.same(
    staleReviews(entries, join(ROOT, 'golden')).map((p) => `${p.code} ${p.id}: ${p.message}`),
    [],
    'no golden changed after its review',
  );
  const reviewed = new Set(entries.map((e) => e.id));
  const all = listYaml(join(ROOT, 'golden')).map((f) => relative(join(ROOT, 'golden'), f).replace(/\.yaml$/, ''));
  const disagree = entries.filter((e) => e.verdict === 'disagree').map((e) => e.id);
  t.comment(`golden review: ${reviewed.size} reviewed (${disagree.length} disagree), ${all.filter((id) => !reviewed.has(id)).length} unreviewed`);
});

t.test('review batches: entries from golden-review/*.yaml join the manifest, a scenario reviewed twice is a REVIEW_DUPLICATE', async (t) => {
  const { mkdtempSync, mkdirSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'review-'));
  const entry = (id: string): string =>
    `reviews:\n  ${id}:\n    reviewer: r\n    date: '2026-12-03'\n    verdict: agree\n    sections: [x]\n    golden_sha256: ${'a'.repeat(64)}\n`;
  writeFileSync(join(dir, 'golden-review.yaml'), entry('s1/a'));
  mkdirSync(join(dir, 'golden-review'));
  writeFileSync(join(dir, 'golden-review', 'b.yaml'), entry('s1/b'));
  writeFileSync(join(dir, 'golden-review', 'c.yaml'), entry('s1/a'));
  const { entries, problems } = loadReviewManifests(dir);
  t.same(
    entries.map((e) => e.id),
    ['s1/a', 's1/b'],
  );
  t.same(
    problems.map((p) => `${p.code} ${p.id}`),
    ['REVIEW_DUPLICATE s1/a'],
  );
});
