/**
 * Event queue (§7.2, §7.4, §3.5): 32-byte records written to the in-memory ring at
 * EVENTQ_BASE, in order, one record per faulting transaction.
 *
 * - Disabled queue (EVENTQEN=0) or active EVENTQ_ABT_ERR: non-stall records are discarded.
 * - Full queue: the record is discarded and EVENTQ_PROD.OVFLG toggles, once, only if no overflow
 *   is pending (OVFLG == CONS.OVACKFLG); software acknowledges by copying OVFLG into
 *   CONS.OVACKFLG. No GERROR (errata B.11; QEMU's EVENTQ_ABT_ERR here is a deviation).
 * - Stall records are never discarded: when the queue is not writable (disabled, full, or
 *   EVENTQ_ABT_ERR active) `record` returns 'held' and writes nothing; the device keeps the
 *   transaction stalled and retries it as though it had just arrived once the queue is writable
 *   again, which records a new event if it faults again (§3.12.2, §7.2.1).
 * - A record write to unbacked memory: GERROR.EVENTQ_ABT_ERR, record lost.
 * - Interrupt: an edge on the empty→non-empty transition only, when EVENTQ_IRQEN=1 (§3.18.2);
 *   on an MSI-capable SMMU with EVENTQ_IRQ_CFG0.ADDR != 0 it is also sent as an MSI (msi.ts).
 * - Merging (§7.3.1): only when the profile enables it and STE.MEV=1: a record identical to the
 *   newest unconsumed one (InputAddr[11:0] ignored for translation-type events) is dropped.
 */
import { eventType } from '../arch/event.ts';
import { eventqOverflow, ringConsume } from '../arch/queue.ts';
import { EVENTQ_BASE, EVENTQ_CONS, EVENTQ_PROD, GERROR_BIT, REG } from '../arch/registers.ts';
import type { SparseMemory } from '../memory/sparse-memory.ts';
import { type MsiRecord, irqEnabled, sendMsi } from './msi.ts';
import { QueueGeometry, type QueuePtr, type RegFile } from './regfile.ts';

export type EventOutcome = 'written' | 'discarded-disabled' | 'discarded-overflow' | 'discarded-abort' | 'merged' | 'held';

/** Event types whose InputAddr[11:0] is ignored when merging (errata row 27). */
const ADDR_LOW_IGNORED = new Set([0x07, 0x0b, 0x10, 0x11, 0x12, 0x13, 0x20]);

export class EventQueue {
  readonly #regs: RegFile;
  readonly #geometry: QueueGeometry;
  readonly #mem: SparseMemory;
  /** Count of interrupt edges signalled (observable; wired IRQ or MSI). */
  irqEdges = 0;
  /** Outcome of every record offered, in order (for tests and traces). */
  readonly log: Array<{ type: number; outcome: EventOutcome }> = [];

  /** MSIs sent (or aborted) for the event-queue interrupt, in order (shared with the device's log). */
  readonly msis: MsiRecord[];

  constructor(regs: RegFile, mem: SparseMemory, msiLog: MsiRecord[] = []) {
    this.#regs = regs;
    this.#mem = mem;
    this.msis = msiLog;
    this.#geometry = new QueueGeometry(regs, REG.EVENTQ_BASE, EVENTQ_BASE, 'EVENTQS', 32);
  }

  ptr(): QueuePtr {
    return this.#geometry.get().ptr;
  }

  /** Effective base: aligned to the larger of the queue size and 32 bytes (§6.3.29). */
  base(): bigint {
    return this.#geometry.get().base;
  }

  /** Offer one record (4 dwords). `mev` = STE.MEV of the stream; `stall` = a Stall=1 record. */
  record(raw: readonly bigint[], opts: { mev?: boolean; stall?: boolean } = {}): EventOutcome {
    const outcome = this.#record(raw, opts);
    this.log.push({ type: eventType(raw), outcome });
    return outcome;
  }

  #record(raw: readonly bigint[], opts: { mev?: boolean; stall?: boolean }): EventOutcome {
    if (!this.#regs.cr0('EVENTQEN') || this.#regs.isGerrorActive(GERROR_BIT.EVENTQ_ABT_ERR)) {
      return opts.stall ? 'held' : 'discarded-disabled';
    }
    const p = this.ptr();
    const prod = this.#regs.get(REG.EVENTQ_PROD);
    const cons = this.#regs.get(REG.EVENTQ_CONS);
    if (opts.mev && this.#regs.profile.mergeEvents && !opts.stall && !p.empty(prod, cons)) {
      const lastIdx = (p.index(prod) + p.size - 1) % p.size;
      const last = this.#mem.readWords(this.base() + BigInt(lastIdx * 32), 4);
      if (last !== undefined && sameForMerge(last, raw)) return 'merged';
    }
    if (p.full(prod, cons)) {
      if (opts.stall) return 'held';
      // Overflow: toggle OVFLG only if no overflow is already pending (§7.4).
      const next = eventqOverflow(prod, cons);
      if (next !== prod) this.#regs.set(REG.EVENTQ_PROD, next);
      return 'discarded-overflow';
    }
    return this.#write(raw, p, prod, cons);
  }

  #write(raw: readonly bigint[], p: QueuePtr, prod: bigint, cons: bigint): EventOutcome {
    const slot = this.base() + BigInt(p.index(prod) * 32);
    if (!this.#mem.isBacked(slot)) {
      this.#regs.raiseGerror(GERROR_BIT.EVENTQ_ABT_ERR);
      return 'discarded-abort';
    }
    for (let i = 0; i < 4; i++) this.#mem.write64(slot + BigInt(8 * i), raw[i] ?? 0n);
    const wasEmpty = p.empty(prod, cons);
    const keep = prod & ~BigInt(2 * p.size - 1);
    this.#regs.set(REG.EVENTQ_PROD, keep | BigInt(p.inc(prod)));
    // The interrupt follows the PROD update, so the new record is observable first (§3.18).
    if (wasEmpty && irqEnabled(this.#regs, 'eventq')) {
      this.irqEdges++;
      sendMsi(this.#regs, this.#mem, 'eventq', this.msis);
    }
    return 'written';
  }

  /** The queue is writable: enabled, not full, no EVENTQ_ABT_ERR active (§7.2.1). */
  writable(): boolean {
    if (!this.#regs.cr0('EVENTQEN') || this.#regs.isGerrorActive(GERROR_BIT.EVENTQ_ABT_ERR)) return false;
    return !this.ptr().full(this.#regs.get(REG.EVENTQ_PROD), this.#regs.get(REG.EVENTQ_CONS));
  }

  /** Read new records like software does, advancing CONS (OVACKFLG is left unchanged). */
  drain(): Array<{ raw: bigint[] }> {
    const out: Array<{ raw: bigint[] }> = [];
    if (this.#regs.get(REG.EVENTQ_BASE) === 0n) return out;
    const p = this.ptr();
    const cons = this.#regs.get(REG.EVENTQ_CONS);
    const base = this.base();
    const done = ringConsume(p, p.norm(this.#regs.get(REG.EVENTQ_PROD)), p.norm(cons), (i) => ({
      raw: this.#mem.readWords(base + BigInt(i * 32), 4) ?? [0n, 0n, 0n, 0n],
    }));
    // CONS.RD advances; the bits above it (OVACKFLG) are software's and stay as written
    this.#regs.set(REG.EVENTQ_CONS, (cons & ~BigInt(2 * p.size - 1)) | BigInt(done.cons));
    return done.entries;
  }

  /** Overflow pending: PROD.OVFLG != CONS.OVACKFLG. */
  overflowPending(): boolean {
    return EVENTQ_PROD.get([this.#regs.get(REG.EVENTQ_PROD)], 'OVFLG') !== EVENTQ_CONS.get([this.#regs.get(REG.EVENTQ_CONS)], 'OVACKFLG');
  }
}

function sameForMerge(a: readonly bigint[], b: readonly bigint[]): boolean {
  const type = eventType(b);
  for (let i = 0; i < 4; i++) {
    let x = a[i] ?? 0n;
    let y = b[i] ?? 0n;
    if (i === 2 && ADDR_LOW_IGNORED.has(type)) {
      x &= ~0xfffn;
      y &= ~0xfffn;
    }
    if (x !== y) return false;
  }
  return true;
}
