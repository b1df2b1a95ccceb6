/**
 * Expected-failure list: one scenario id (or glob) per line, `#` comments. A listed scenario that
 * fails is XFAIL; one that passes is XPASS and counts as a failure, so the list cannot go stale
 * silently (lit XPASS, kselftest XFAIL_ADD).
 */
import { readFileSync } from 'node:fs';
import { globToRegExp } from './discover.ts';

export interface ExpectFailList {
  readonly matches: (id: string) => boolean;
  /** Entries that matched no selected scenario (reported as notes). */
  readonly unused: (ids: readonly string[]) => string[];
  /** Why the scenario is expected to fail (rule and section), shown with XFAIL / XPASS. */
  readonly reason?: (id: string) => string | undefined;
}

export function loadExpectFail(path: string): ExpectFailList | string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return `Cannot read --expect-fail file "${path}": ${e instanceof Error ? e.message : String(e)}`;
  }
  return parseExpectFail(text);
}

export function parseExpectFail(text: string): ExpectFailList {
  const entries = text
    .split(/\r?\n/)
    .map((l) => l.replace(/#.*/, '').trim())
    .filter((l) => l !== '')
    .map((l) => l.replace(/\.yaml$/, '').replace(/^scenarios\//, ''));
  const res = entries.map((e) => ({ entry: e, re: /[*?]/.test(e) ? globToRegExp(e) : undefined }));
  const hit = (id: string, r: (typeof res)[number]): boolean => (r.re !== undefined ? r.re.test(id) : r.entry === id);
  return {
    matches: (id) => res.some((r) => hit(id, r)),
    unused: (ids) => res.filter((r) => !ids.some((id) => hit(id, r))).map((r) => r.entry),
  };
}
