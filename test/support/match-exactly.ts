/**
 * `t.match(list, [p1, p2])` passes when `list` has more items than the patterns (tap matches
 * arrays by index), so an error list with an unexpected extra error would pass. This asserts the
 * length first, naming what was found, then matches item by item.
 */
import type { Test } from 'tap';

export function matchExactly(t: Test, found: readonly unknown[], patterns: readonly unknown[], message = 'list'): boolean {
  const what = found.map((e) => (typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : JSON.stringify(e))).join(', ');
  const n = t.equal(found.length, patterns.length, `${message}: exactly ${patterns.length} item(s), found [${what}]`);
  return t.match(found, patterns, message) && n;
}
