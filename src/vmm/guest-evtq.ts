/**
 * The guest event queue of the vSMMU: a ring of 32-byte records in guest memory with
 * EVENTQ_BASE / EVENTQ_PROD / EVENTQ_CONS in the guest register file. Writing a record follows
 * the SMMU's rules (§7.4): EVENTQEN=0 discards; a full ring discards and toggles
 * EVENTQ_PROD.OVFLG, once, only while no overflow is pending (OVFLG == CONS.OVACKFLG).
 */
import { REG } from '../arch/registers.ts';
import type { GuestMemory } from './guest-mem.ts';
import { type Ring, ringEmpty, ringFull, ringInc, ringIndex } from './ring.ts';

const OVFLG = 1n << 31n;
const RD_MASK = 0xfffffn;

export interface GuestRegs {
  get(offset: number): bigint;
  set(offset: number, value: bigint): void;
}

export type EventWrite = 'written' | 'discarded-disabled' | 'discarded-overflow' | 'not-guest-ram';

function ring(regs: GuestRegs): { ring: Ring; base: bigint } {
  const b = regs.get(REG.EVENTQ_BASE);
  return { ring: { log2: Math.min(Number(b & 0x1fn), 19) }, base: b & 0x00ff_ffff_ffff_ffe0n };
}

/** Signal an overflow (a lost event) the way the SMMU does. */
export function signalOverflow(regs: GuestRegs): void {
  const prod = regs.get(REG.EVENTQ_PROD);
  if ((prod & OVFLG) === (regs.get(REG.EVENTQ_CONS) & OVFLG)) regs.set(REG.EVENTQ_PROD, prod ^ OVFLG);
}

export function writeGuestEvent(regs: GuestRegs, mem: GuestMemory, rec: readonly bigint[]): EventWrite {
  if ((regs.get(REG.CR0) & 4n) === 0n) return 'discarded-disabled';
  const { ring: r, base } = ring(regs);
  const prodReg = regs.get(REG.EVENTQ_PROD);
  const prod = Number(prodReg & RD_MASK);
  if (ringFull(r, prod, Number(regs.get(REG.EVENTQ_CONS) & RD_MASK))) {
    signalOverflow(regs);
    return 'discarded-overflow';
  }
  if (!mem.writeWords(base + BigInt(ringIndex(r, prod) * 32), rec)) return 'not-guest-ram';
  regs.set(REG.EVENTQ_PROD, (prodReg & OVFLG) | BigInt(ringInc(r, prod)));
  return 'written';
}

/** What a guest driver does: read the records between CONS and PROD and advance CONS (OVACKFLG kept). */
export function readGuestEvents(regs: GuestRegs, mem: GuestMemory): bigint[][] {
  const { ring: r, base } = ring(regs);
  const prod = Number(regs.get(REG.EVENTQ_PROD) & RD_MASK);
  const consReg = regs.get(REG.EVENTQ_CONS);
  let cons = Number(consReg & RD_MASK);
  const out: bigint[][] = [];
  while (!ringEmpty(r, prod, cons)) {
    out.push(mem.readWords(base + BigInt(ringIndex(r, cons) * 32), 4) ?? [0n, 0n, 0n, 0n]);
    cons = ringInc(r, cons);
  }
  regs.set(REG.EVENTQ_CONS, (consReg & OVFLG) | BigInt(cons));
  return out;
}
