/**
 * Queue index arithmetic (SMMUv3 §3.5), for every ring: the SMMU's CMDQ and EVTQ (smmu/regfile.ts
 * QueuePtr), the vSMMU's guest queues, the guest CMDQ the rfc-2023 host walks. A PROD or CONS
 * value holds the index in its low log2size bits and the wrap bit at bit log2size. Empty when
 * index and wrap are equal; full when the indexes are equal and the wraps differ.
 */
import { EVENTQ_CONS, EVENTQ_PROD } from './registers.ts';

export interface Ring {
  readonly log2: number;
}

const mask = (log2: number): number => (1 << (log2 + 1)) - 1;

export function ringIndex(r: Ring, v: number): number {
  return v & ((1 << r.log2) - 1);
}
/** The wrap bit (bit log2). */
export function ringWrap(r: Ring, v: number): number {
  return (v >> r.log2) & 1;
}
export function ringInc(r: Ring, v: number): number {
  return (v + 1) & mask(r.log2);
}
/** The value before `v` (the last entry written when `v` is PROD). */
export function ringDec(r: Ring, v: number): number {
  return (v - 1) & mask(r.log2);
}
export function ringEmpty(r: Ring, prod: number, cons: number): boolean {
  return (prod & mask(r.log2)) === (cons & mask(r.log2));
}
export function ringFull(r: Ring, prod: number, cons: number): boolean {
  return ringIndex(r, prod) === ringIndex(r, cons) && ringWrap(r, prod) !== ringWrap(r, cons);
}
/** Entries between cons and prod. */
export function ringCount(r: Ring, prod: number, cons: number): number {
  return ((prod & mask(r.log2)) - (cons & mask(r.log2)) + (2 << r.log2)) % (2 << r.log2);
}

/**
 * Consume every entry from CONS up to PROD, in order (§3.5): `read(index)` for each. Returns the
 * entries and the CONS value (index + wrap) after them; CONS is returned as given when the queue
 * is empty. The SMMU's event queue drain and the vSMMU's guest event queue reader both use it.
 */
export function ringConsume<T>(r: Ring, prod: number, cons: number, read: (index: number) => T): { entries: T[]; cons: number } {
  const entries: T[] = [];
  let c = cons;
  while (!ringEmpty(r, prod, c)) {
    entries.push(read(ringIndex(r, c)));
    c = ringInc(r, c);
  }
  return { entries, cons: c };
}

/**
 * EVENTQ_PROD after a record is lost (§7.4): OVFLG toggles only while no overflow is pending
 * (PROD.OVFLG == CONS.OVACKFLG); otherwise PROD is returned unchanged. The SMMU's event queue and
 * the vSMMU's guest event queue both follow it.
 */
export function eventqOverflow(prod: bigint, cons: bigint): bigint {
  const ovflg = EVENTQ_PROD.get([prod], 'OVFLG');
  if (ovflg !== EVENTQ_CONS.get([cons], 'OVACKFLG')) return prod;
  return EVENTQ_PROD.with([prod], 'OVFLG', ovflg ^ 1n)[0] ?? 0n;
}

/**
 * A queue's base address: BASE.ADDR aligned down to the queue's size in bytes, and to at least
 * 32 bytes (§6.3.26 CMDQ_BASE, §6.3.29 EVENTQ_BASE).
 */
export function queueBase(addr: bigint, entries: number, entryBytes: number): bigint {
  return addr & ~(BigInt(Math.max(32, entryBytes * entries)) - 1n);
}
