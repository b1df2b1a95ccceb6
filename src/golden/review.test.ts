// The reviewed-golden manifest: shape problems by code, and a golden edited after its review is stale.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { goldenSha256, parseReviewManifest, staleReviews } from './review.ts';

const GOLDEN = 'scenario: s1/x\nsteps: []\n';
const entry = (sha: string, extra = ''): string =>
  `reviews:\n  s1/x:\n    reviewer: r\n    date: '2026-12-03'\n    verdict: agree\n    sections: [SMMUv3 §5.4 TTB0]\n    golden_sha256: ${sha}\n${extra}`;

t.test('a well-formed entry parses; the hash of the reviewed text matches', async (t) => {
  const { entries, problems } = parseReviewManifest(entry(goldenSha256(GOLDEN), '    note: fine\n'));
  t.same(problems, []);
  t.equal(entries.length, 1);
  t.equal(entries[0]?.note, 'fine');
  const dir = mkdtempSync(join(tmpdir(), 'review-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 's1'));
  writeFileSync(join(dir, 's1', 'x.yaml'), GOLDEN);
  t.same(staleReviews(entries, dir), [], 'unchanged golden: no problem');
  writeFileSync(join(dir, 's1', 'x.yaml'), GOLDEN.replace('[]', "[{ step: 1, op: dma, pa: '0x1' }]"));
  const stale = staleReviews(entries, dir);
  t.same(
    stale.map((p) => [p.code, p.id]),
    [['REVIEW_STALE', 's1/x']],
    'a changed golden makes its entry stale',
  );
  t.match(stale[0]?.message, /golden_sha256: [0-9a-f]{64}/, 'the message names the hash to renew with');
  rmSync(join(dir, 's1', 'x.yaml'));
  t.same(
    staleReviews(entries, dir).map((p) => p.code),
    ['REVIEW_NO_GOLDEN'],
  );
});

t.test('every shape problem is reported with its code, not only the first', async (t) => {
  const bad = "reviews:\n  a/b:\n    reviewer: ''\n    date: 3 Dec\n    verdict: maybe\n    sections: []\n    golden_sha256: abc\n    note: 1\n  c/d: 7\n";
  const { entries, problems } = parseReviewManifest(bad);
  t.equal(entries.length, 0);
  t.same(
    problems.map((p) => [p.code, p.id, p.message.split(':')[0]]),
    [
      ['REVIEW_FIELD', 'a/b', 'reviewer'],
      ['REVIEW_FIELD', 'a/b', 'date'],
      ['REVIEW_FIELD', 'a/b', 'verdict'],
      ['REVIEW_FIELD', 'a/b', 'sections'],
      ['REVIEW_FIELD', 'a/b', 'golden_sha256'],
      ['REVIEW_FIELD', 'a/b', 'note'],
      ['REVIEW_FIELD', 'c/d', 'entry is not a mapping'],
    ],
  );
  t.same(
    parseReviewManifest('reviews: [1]\n').problems.map((p) => p.code),
    ['REVIEW_FIELD'],
  );
  t.same(parseReviewManifest('reviews: {\n').problems.map((p) => p.code)[0], 'REVIEW_SYNTAX');
});
