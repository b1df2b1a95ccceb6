/**
 * The guest event queue of the vSMMU: a ring of 32-byte records in guest memory with
 * EVENTQ_BASE / EVENTQ_PROD / EVENTQ_CONS in the guest register file. Writing a record follows
 * the SMMU's rules (§7.4): EVENTQEN=0 discards; a full ring discards and toggles
 * EVENTQ_PROD.OVFLG, once, only while no overflow is pending (OVFLG == CONS.OVACKFLG).
 */
import { CR0, EVENTQ_BASE, EVENTQ_CONS, EVENTQ_PROD, REG } from '../arch/registers.ts';
import type { GuestMemory } from './guest-mem.ts';
import { type Ring, eventqOverflow, queueBase, ringConsume, ringFull, ringInc, ringIndex } from '../arch/queue.ts';

export interface GuestRegs {
  get(offset: number): bigint;
  set(offset: number, value: bigint): void;
}

export type EventWrite = 'written' | 'discarded-disabled' | 'discarded-overflow' | 'not-guest-ram';

/**
 * The ring EVENTQ_BASE describes. As on the SMMU (§6.3.29), the address bits below the queue's
 * size in bytes are treated as zero: a guest that programs an unaligned base gets the aligned one.
 */
function ring(regs: GuestRegs): { ring: Ring; base: bigint } {
  const b = [regs.get(REG.EVENTQ_BASE)];
  const log2 = Math.min(Number(EVENTQ_BASE.get(b, 'LOG2SIZE')), 19);
  return { ring: { log2 }, base: queueBase(EVENTQ_BASE.get(b, 'ADDR'), 1 << log2, 32) };
}

/** Signal an overflow (a lost event) the way the SMMU does. */
export function signalOverflow(regs: GuestRegs): void {
  const prod = regs.get(REG.EVENTQ_PROD);
  const next = eventqOverflow(prod, regs.get(REG.EVENTQ_CONS));
  if (next !== prod) regs.set(REG.EVENTQ_PROD, next);
}

export function writeGuestEvent(regs: GuestRegs, mem: GuestMemory, rec: readonly bigint[]): EventWrite {
  if (CR0.get([regs.get(REG.CR0)], 'EVENTQEN') === 0n) return 'discarded-disabled';
  const { ring: r, base } = ring(regs);
  const prodReg = [regs.get(REG.EVENTQ_PROD)];
  const prod = Number(EVENTQ_PROD.get(prodReg, 'WR'));
  if (ringFull(r, prod, Number(EVENTQ_CONS.get([regs.get(REG.EVENTQ_CONS)], 'RD')))) {
    signalOverflow(regs);
    return 'discarded-overflow';
  }
  if (!mem.writeWords(base + BigInt(ringIndex(r, prod) * 32), rec)) return 'not-guest-ram';
  regs.set(REG.EVENTQ_PROD, EVENTQ_PROD.encode({ WR: ringInc(r, prod), OVFLG: EVENTQ_PROD.get(prodReg, 'OVFLG') })[0] ?? 0n);
  return 'written';
}

/** What a guest driver does: read the records between CONS and PROD and advance CONS (OVACKFLG kept). */
export function readGuestEvents(regs: GuestRegs, mem: GuestMemory): bigint[][] {
  const { ring: r, base } = ring(regs);
  const prod = Number(EVENTQ_PROD.get([regs.get(REG.EVENTQ_PROD)], 'WR'));
  const consReg = [regs.get(REG.EVENTQ_CONS)];
  const done = ringConsume(r, prod, Number(EVENTQ_CONS.get(consReg, 'RD')), (i) => mem.readWords(base + BigInt(i * 32), 4) ?? [0n, 0n, 0n, 0n]);
  regs.set(REG.EVENTQ_CONS, EVENTQ_CONS.encode({ RD: done.cons, OVACKFLG: EVENTQ_CONS.get(consReg, 'OVACKFLG') })[0] ?? 0n);
  return done.entries;
}
