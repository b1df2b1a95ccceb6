// Issue 14 part 2: every entry of docs/audit/golden-review.yaml names an existing scenario and the
// exact golden text its reviewer re-derived. A golden changed without its entry being renewed
// fails here; scenarios without an entry are unreviewed and only counted (see the file header).
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import t from 'tap';
import { parseReviewManifest, staleReviews } from '../src/golden/review.ts';
import { listYaml } from '../src/golden/store.ts';

const ROOT = join(import.meta.dirname, '..');
const MANIFEST = join(ROOT, 'docs', 'audit', 'golden-review.yaml');

t.test('reviewed-golden manifest: well formed, every reviewed golden unchanged since its review', async (t) => {
  const { entries, problems } = parseReviewManifest(readFileSync(MANIFEST, 'utf8'));
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
