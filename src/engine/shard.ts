/**
 * Deterministic sharding: scenarios are ordered by a stable hash of their id (FNV-1a, then the id
 * to break ties) and cut into n contiguous, balanced slices. Every scenario lands in exactly one
 * shard, and the assignment depends only on the selected ids, never on timing or the machine.
 */
import { cmp } from './discover.ts';

export interface Shard {
  /** 1-based. */
  readonly index: number;
  readonly count: number;
}

export function parseShard(text: string): Shard | string {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  if (m === null) return `Cannot parse --shard "${text}": expected i/n, e.g. 1/4`;
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index < 1 || index > count) return `Cannot use --shard ${text}: need 1 <= i <= n`;
  return { index, count };
}

export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function selectShard<T>(items: readonly T[], keyOf: (t: T) => string, shard: Shard): T[] {
  const ordered = [...items].sort((a, b) => fnv1a(keyOf(a)) - fnv1a(keyOf(b)) || cmp(keyOf(a), keyOf(b)));
  const start = Math.floor(((shard.index - 1) * ordered.length) / shard.count);
  const end = Math.floor((shard.index * ordered.length) / shard.count);
  return ordered.slice(start, end).sort((a, b) => cmp(keyOf(a), keyOf(b)));
}
