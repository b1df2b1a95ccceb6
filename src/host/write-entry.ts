/**
 * The Linux entry writer (arm_smmu_write_entry, reference §1.3) for STEs and CDs: given the live
 * entry and the target, the sequence of memory writes, each followed by one sync, that moves the
 * entry without the SMMU ever seeing a mix of old and new configuration on the bits it uses.
 *
 *  - exactly one qword needs its used bits changed → hitless: (1) write every bit the current
 *    entry ignores, (2) write the critical qword, (3) write the whole target (clears leftovers);
 *  - two or more → breaking: dw0 with V=0, then dw1..7, then dw0;
 *  - none → write the target in one pass.
 * A pass that changes nothing costs no sync.
 */
import { ENTRY_QWORDS, type EntryOps } from './used-bits.ts';

export interface WriteStep {
  /** The whole entry as it is in memory after this pass. */
  readonly dwords: bigint[];
  /** Indices of the qwords this pass changed. */
  readonly changed: number[];
  readonly syncs: 1;
}

export interface WritePlan {
  readonly kind: 'hitless' | 'breaking' | 'none';
  readonly steps: WriteStep[];
  readonly syncCount: number;
  /** Some sync observed qword 0 all zero, i.e. an invalid entry (KUnit's "non-hitless" test). */
  readonly invalidWritten: boolean;
  /** Bitmask of qwords whose used bits had to change (bit i = qword i). */
  readonly criticalQwords: number;
}

const norm = (e: readonly bigint[]): bigint[] => {
  const out = new Array<bigint>(ENTRY_QWORDS);
  for (let i = 0; i < ENTRY_QWORDS; i++) out[i] = BigInt.asUintN(64, e[i] ?? 0n);
  return out;
};
const at = (e: readonly bigint[], i: number): bigint => e[i] ?? 0n;

/**
 * Which qwords need used bits changed, and `unusedUpdate`: the current entry with every bit it
 * does not use (update-safe bits included) already set to the target value.
 */
export function qwordDiff(ops: EntryOps, cur: readonly bigint[], target: readonly bigint[]): { diff: number; unusedUpdate: bigint[] } {
  const curUsed = ops.usedBits(cur);
  const targetUsed = ops.usedBits(target);
  const safe = ops.updateSafeBits ? ops.updateSafeBits(cur, target) : new Array<bigint>(ENTRY_QWORDS).fill(0n);
  const unusedUpdate = new Array<bigint>(ENTRY_QWORDS).fill(0n);
  let diff = 0;
  for (let i = 0; i < ENTRY_QWORDS; i++) {
    // a safe bit only counts when both entries use it; otherwise the unused rule sequences it
    const s = at(safe, i) & at(targetUsed, i) & at(curUsed, i);
    const cu = at(curUsed, i) & ~s;
    const u = (at(cur, i) & cu) | (at(target, i) & ~cu);
    unusedUpdate[i] = u;
    if ((u & at(targetUsed, i)) !== at(target, i)) diff |= 1 << i;
  }
  return { diff, unusedUpdate };
}

function popcount(x: number): number {
  let n = 0;
  for (let v = x; v !== 0; v &= v - 1) n++;
  return n;
}

export function planEntryWrite(ops: EntryOps, current: readonly bigint[], target: readonly bigint[]): WritePlan {
  const live = norm(current);
  const tgt = norm(target);
  const steps: WriteStep[] = [];
  let invalidWritten = false;
  const pass = (src: readonly bigint[], start: number, len: number): void => {
    const changed: number[] = [];
    for (let i = start; i < start + len; i++) {
      const v = at(src, i);
      if (live[i] !== v) {
        live[i] = v;
        changed.push(i);
      }
    }
    if (changed.length === 0) return;
    if (at(live, 0) === 0n) invalidWritten = true;
    steps.push({ dwords: live.slice(), changed, syncs: 1 });
  };
  const { diff, unusedUpdate } = qwordDiff(ops, live, tgt);
  let kind: WritePlan['kind'];
  if (popcount(diff) === 1) {
    kind = 'hitless';
    const critical = 31 - Math.clz32(diff & -diff);
    unusedUpdate[critical] = at(live, critical);
    pass(unusedUpdate, 0, ENTRY_QWORDS);
    pass(tgt, critical, 1);
    pass(tgt, 0, ENTRY_QWORDS);
  } else if (diff !== 0) {
    kind = 'breaking';
    unusedUpdate[0] = 0n;
    pass(unusedUpdate, 0, 1);
    pass(tgt, 1, ENTRY_QWORDS - 1);
    pass(tgt, 0, 1);
  } else {
    kind = 'none';
    pass(tgt, 0, ENTRY_QWORDS);
  }
  return { kind, steps, syncCount: steps.length, invalidWritten, criticalQwords: diff };
}

/**
 * KUnit's torn-read invariant: after a sync, the live entry restricted to the bits it itself uses
 * equals the initial or the target entry on those bits, ignoring the update-safe bits of
 * (live, initial) resp. (live, target). A live qword 0 of zero is an invalid entry (a clean
 * break) and always passes.
 */
export function tornReadOk(ops: EntryOps, live: readonly bigint[], initial: readonly bigint[], target: readonly bigint[]): boolean {
  if (at(live, 0) === 0n) return true;
  const used = ops.usedBits(live);
  const same = (other: readonly bigint[]): boolean => {
    const safe = ops.updateSafeBits ? ops.updateSafeBits(live, other) : [];
    for (let i = 0; i < ENTRY_QWORDS; i++) {
      const m = at(used, i) & ~at(safe, i);
      if ((at(live, i) & m) !== (at(other, i) & m)) return false;
    }
    return true;
  };
  return same(initial) || same(target);
}
