/**
 * The reviewed-golden manifest (docs/audit/golden-review.yaml, issue 14 part 2): per scenario an
 * independent reviewer's verdict on its golden, with the sections the values were re-derived from
 * and the SHA-256 of the exact golden text reviewed. A review is only as good as the text it saw,
 * so an entry whose hash no longer matches the golden on disk is stale: the golden changed without
 * the review being renewed. Scenarios with no entry are unreviewed, which is reported, not an error.
 * Problems are collected with stable codes, never thrown.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { goldenPath, readGolden } from './store.ts';

export const REVIEW_VERDICTS = ['agree', 'disagree'] as const;
export type ReviewVerdict = (typeof REVIEW_VERDICTS)[number];

export interface ReviewEntry {
  readonly id: string;
  readonly reviewer: string;
  readonly date: string;
  readonly verdict: ReviewVerdict;
  readonly sections: readonly string[];
  readonly goldenSha256: string;
  readonly note?: string;
}

export type ReviewProblemCode = 'REVIEW_SYNTAX' | 'REVIEW_FIELD' | 'REVIEW_NO_GOLDEN' | 'REVIEW_STALE' | 'REVIEW_DUPLICATE';

export interface ReviewProblem {
  readonly code: ReviewProblemCode;
  /** Scenario id, or '' for a problem with the file as a whole. */
  readonly id: string;
  readonly message: string;
}

export function goldenSha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const SHA = /^[0-9a-f]{64}$/;

/** Parse the manifest text into entries plus every shape problem found (all of them, not the first). */
export function parseReviewManifest(text: string): { entries: ReviewEntry[]; problems: ReviewProblem[] } {
  const problems: ReviewProblem[] = [];
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    return { entries: [], problems: doc.errors.map((e) => ({ code: 'REVIEW_SYNTAX' as const, id: '', message: e.message })) };
  }
  const root: unknown = doc.toJS();
  const reviews = typeof root === 'object' && root !== null ? (root as Record<string, unknown>).reviews : undefined;
  if (typeof reviews !== 'object' || reviews === null || Array.isArray(reviews)) {
    return { entries: [], problems: [{ code: 'REVIEW_FIELD', id: '', message: 'expected a top-level mapping `reviews: { <scenario id>: entry }`' }] };
  }
  const entries: ReviewEntry[] = [];
  for (const [id, raw] of Object.entries(reviews as Record<string, unknown>)) {
    const bad = (message: string): void => {
      problems.push({ code: 'REVIEW_FIELD', id, message });
    };
    if (typeof raw !== 'object' || raw === null) {
      bad('entry is not a mapping');
      continue;
    }
    const e = raw as Record<string, unknown>;
    const str = (k: string): string | undefined => (typeof e[k] === 'string' && (e[k] as string).length > 0 ? (e[k] as string) : undefined);
    const reviewer = str('reviewer');
    const date = str('date');
    const verdict = str('verdict');
    const sha = str('golden_sha256');
    const sections = Array.isArray(e.sections) && e.sections.every((s) => typeof s === 'string' && s.length > 0) ? (e.sections as string[]) : undefined;
    const before = problems.length;
    if (reviewer === undefined) bad('reviewer: expected a non-empty string');
    if (date === undefined || !DATE.test(date)) bad('date: expected YYYY-MM-DD (a quoted string)');
    if (verdict === undefined || !(REVIEW_VERDICTS as readonly string[]).includes(verdict)) bad(`verdict: expected one of ${REVIEW_VERDICTS.join(', ')}`);
    if (sections === undefined || sections.length === 0) bad('sections: expected a non-empty list of the sections the values were derived from');
    if (sha === undefined || !SHA.test(sha)) bad('golden_sha256: expected 64 lower-case hex digits');
    if (e.note !== undefined && typeof e.note !== 'string') bad('note: expected a string');
    if (problems.length > before) continue;
    entries.push({
      id,
      reviewer: reviewer as string,
      date: date as string,
      verdict: verdict as ReviewVerdict,
      sections: sections as string[],
      goldenSha256: sha as string,
      ...(typeof e.note === 'string' ? { note: e.note } : {}),
    });
  }
  return { entries, problems };
}

/** Every entry whose golden is missing or whose golden text is not the text reviewed. */
export function staleReviews(entries: readonly ReviewEntry[], goldenDir: string): ReviewProblem[] {
  const out: ReviewProblem[] = [];
  for (const e of entries) {
    const text = readGolden(goldenPath(goldenDir, e.id));
    if (text === undefined) {
      out.push({ code: 'REVIEW_NO_GOLDEN', id: e.id, message: `golden/${e.id}.yaml does not exist` });
      continue;
    }
    const now = goldenSha256(text);
    if (now !== e.goldenSha256) {
      out.push({
        code: 'REVIEW_STALE',
        id: e.id,
        message: `golden/${e.id}.yaml changed since its review (${e.reviewer}, ${e.date}): re-derive its values, then renew the entry with golden_sha256: ${now}`,
      });
    }
  }
  return out;
}

/**
 * The whole manifest: `<auditDir>/golden-review.yaml` plus every `<auditDir>/golden-review/*.yaml`
 * (one file per review batch, so reviewers working in parallel never edit the same file). A
 * scenario reviewed in two files is a REVIEW_DUPLICATE problem: one entry per scenario.
 */
export function loadReviewManifests(auditDir: string): { entries: ReviewEntry[]; problems: ReviewProblem[] } {
  const files = [join(auditDir, 'golden-review.yaml')];
  const batchDir = join(auditDir, 'golden-review');
  if (existsSync(batchDir)) {
    for (const f of readdirSync(batchDir).sort()) if (f.endsWith('.yaml')) files.push(join(batchDir, f));
  }
  const entries: ReviewEntry[] = [];
  const problems: ReviewProblem[] = [];
  const seenIn = new Map<string, string>();
  for (const file of files) {
    if (!existsSync(file)) continue;
    const one = parseReviewManifest(readFileSync(file, 'utf8'));
    for (const p of one.problems) problems.push({ ...p, message: `${file}: ${p.message}` });
    for (const e of one.entries) {
      const first = seenIn.get(e.id);
      if (first !== undefined) {
        problems.push({ code: 'REVIEW_DUPLICATE', id: e.id, message: `reviewed in both ${first} and ${file}: keep one entry` });
        continue;
      }
      seenIn.set(e.id, file);
      entries.push(e);
    }
  }
  return { entries, problems };
}
