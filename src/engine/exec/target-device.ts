/**
 * The executor's view of an external target (src/target/contract.ts): the same surface the
 * executor uses on the built-in SmmuDevice (registers, `transaction`, event drain, queue geometry,
 * physical memory), implemented the way software does it, over the contract only:
 *  - memory: the executor builds every structure in a staging SparseMemory (the software's copy);
 *    before each register write or transaction the pages that changed since the last flush are
 *    written to the target (a page outside the target's memory is TargetUnsupported);
 *  - a CMDQ_PROD / GERRORN / CR0 write reports what software can see: CONS before and after,
 *    CMDQ_CONS.ERR while GERROR.CMDQ_ERR is active (§6.3.28), the commands consumed;
 *  - events are read from the event queue in target memory and EVENTQ_CONS is advanced (§7.2).
 * Emulator-only hooks (fault injection, stall completions, walk traces) are not here: steps that
 * need them are TargetUnsupported (SKIP with the reason).
 */
import { dwordsFromBytes, dwordsToBytes } from '../../arch/dwords.ts';
import { type EventName, decodeEvent } from '../../arch/event.ts';
import { CERROR_NAME, type DecodedCommand, decodeCommand } from '../../arch/command.ts';
import { queueBase } from '../../arch/queue.ts';
import { CMDQ_BASE, CMDQ_CONS, EVENTQ_BASE, GERROR, REG, REG64 } from '../../arch/registers.ts';
import { PAGE_SIZE, SparseMemory } from '../../memory/sparse-memory.ts';
import type { CerrorName, CmdqResult } from '../../smmu/cmdq.ts';
import type { TransactionRequest, TransactionResult } from '../../smmu/transaction.ts';
import type { SmmuProfile } from '../../smmu/profile.ts';
import { QueuePtr } from '../../smmu/regfile.ts';
import { type SmmuTarget, TargetFailure, TargetUnsupported } from '../../target/contract.ts';

/** Wall-clock budget of one scenario on an external target. */
const SCENARIO_BUDGET_MS = 30_000;
import { profileFromIdRegs } from '../../target/idregs.ts';
import type { ExpectedPas, PaMiss } from '../../target/pa-check.ts';

/** Registers the SMMU never changes (§6.3.24, §6.3.27): only software writes them. */
const SW_ONLY: ReadonlySet<number> = new Set([REG.CMDQ_BASE, REG.EVENTQ_BASE]);

const CMDQ_ERR_BIT = 1n << BigInt(GERROR.fields.find((f) => f.name === 'CMDQ_ERR')?.lo ?? 0);

export class TargetDevice {
  readonly target: SmmuTarget;
  readonly profile: SmmuProfile;
  readonly mem = new SparseMemory();
  /** Pages as last written to the target (flush sends only what changed since). */
  readonly #shadow = new Map<number, Uint8Array>();
  readonly cmdq: { ptr(): QueuePtr; base(): bigint };
  evtqConsumerStopped = false;
  readonly #started = Date.now();
  /** The golden's PA of each DMA write (by step), for a target that can check but not report output addresses. */
  expectedPas: ExpectedPas | undefined;
  /** The step being run (1-based; set by the executor), and how many transactions it has issued. */
  #step = 0;
  #txn = 0;
  readonly paChecks: { checked: number; missed: PaMiss[] } = { checked: 0, missed: [] };

  set step(n: number) {
    this.#step = n;
    this.#txn = 0;
  }

  constructor(target: SmmuTarget) {
    this.target = target;
    this.profile = profileFromIdRegs(target.name, target.idRegs());
    this.mem.trackWrites();
    this.cmdq = {
      ptr: () => new QueuePtr(Number(CMDQ_BASE.get([this.readReg(REG.CMDQ_BASE)], 'LOG2SIZE'))),
      base: () => queueBase(CMDQ_BASE.get([this.readReg(REG.CMDQ_BASE)], 'ADDR'), this.cmdq.ptr().size, 16),
    };
  }

  readReg(offset: number): bigint {
    this.#budget();
    const known = this.#swOnly.get(offset);
    if (known !== undefined) return known;
    const v = REG64.has(offset) ? this.target.readReg64(offset) : BigInt(this.target.readReg32(offset));
    if (SW_ONLY.has(offset)) this.#swOnly.set(offset, v);
    return v;
  }

  /**
   * Registers only software writes (the queue bases): read once and kept until software writes
   * them again, which saves a round trip per queue access on a target behind a transport. The
   * value kept is the one read back, so the target's own masking of the written value is seen.
   */
  readonly #swOnly = new Map<number, bigint>();

  writeReg(offset: number, value: bigint): CmdqResult | undefined {
    this.flush();
    const runsQueue = offset === REG.CMDQ_PROD || offset === REG.GERRORN || offset === REG.CR0;
    const consBefore = runsQueue ? this.readReg(REG.CMDQ_CONS) : 0n;
    const gerrorBefore = runsQueue ? this.readReg(REG.GERROR) : 0n;
    const errBefore = runsQueue && ((gerrorBefore ^ this.readReg(REG.GERRORN)) & CMDQ_ERR_BIT) !== 0n;
    this.#swOnly.delete(offset);
    this.#swOnly.delete(offset - 4); // the upper half of a 64-bit register
    if (REG64.has(offset)) this.target.writeReg64(offset, value);
    else this.target.writeReg32(offset, Number(value & 0xffff_ffffn));
    if (!runsQueue) return undefined;
    if (offset !== REG.CMDQ_PROD && (this.readReg(REG.CR0) & 0b1000n) === 0n) return undefined; // CR0.CMDQEN=0
    return this.#cmdqResult(consBefore, errBefore, gerrorBefore);
  }

  /** A scenario that keeps a target busy beyond its budget fails instead of holding the run. */
  #budget(): void {
    if (Date.now() - this.#started > SCENARIO_BUDGET_MS)
      throw new TargetFailure(`scenario still running on ${this.target.name} after ${SCENARIO_BUDGET_MS / 1000} s`);
  }

  transaction(req: TransactionRequest): TransactionResult {
    const caps = this.target.capabilities;
    if (req.ssid !== undefined && !caps.substreams) throw new TargetUnsupported(`${this.target.name} cannot issue transactions with a SubstreamID`);
    if (req.privileged === true && !caps.privileged) throw new TargetUnsupported(`${this.target.name} cannot issue privileged (PnU=1) transactions`);
    if (req.access === 'exec' && !caps.instruction) throw new TargetUnsupported(`${this.target.name} cannot issue instruction fetches (InD=1)`);
    const iova = BigInt.asUintN(64, req.iova);
    if (iova >= caps.iovaLimit)
      throw new TargetUnsupported(`${this.target.name} cannot issue IOVA 0x${iova.toString(16)} (limit 0x${caps.iovaLimit.toString(16)})`);
    const bad = caps.streamIds?.(req.sid);
    if (bad !== undefined) throw new TargetUnsupported(bad);
    this.flush();
    const prodBefore = this.readReg(REG.EVENTQ_PROD);
    const txn = this.#txn++;
    const golden = req.access === 'write' && !caps.transactionOutcome ? (this.expectedPas?.get(this.#step)?.[txn] ?? undefined) : undefined;
    // not where software keeps structures: a target checking the PA may put a canary there
    // before the transaction, which must not be a descriptor this transaction's walk reads
    const expectPa = golden !== undefined && !this.#shadow.has(Number(golden / BigInt(PAGE_SIZE))) ? golden : undefined;
    const o = this.target.transaction({
      sid: req.sid,
      iova,
      access: req.access,
      ...(expectPa !== undefined ? { expectPa } : {}),
      ...(req.ssid !== undefined ? { ssid: req.ssid } : {}),
      ...(req.privileged !== undefined ? { privileged: req.privileged } : {}),
    });
    switch (o.kind) {
      case 'completed':
        if (expectPa !== undefined) this.#paChecked(expectPa, txn, o.pa !== expectPa);
        // without an observed PA the outcome is compared through the event queue only (run-one projection)
        return o.pa !== undefined ? { kind: 'translated', pa: o.pa, stages: 's1' } : { kind: 'aborted', reason: 'unobserved' };
      case 'stalled':
        return { kind: 'stalled', stag: o.stag ?? 0 };
      case 'aborted': {
        // what software sees of an abort: the record it produced, if one was written (§7.2)
        const event = this.#recordedSince(prodBefore);
        return event !== undefined ? { kind: 'aborted', event, recorded: true } : { kind: 'aborted', reason: 'aborted' };
      }
      case 'unobserved':
        // notAt: the target looked for the data at the golden's PA and it was not there
        if (o.notAt !== undefined) this.#paChecked(o.notAt, txn, true);
        return { kind: 'aborted', reason: 'unobserved' };
    }
  }

  #paChecked(pa: bigint, txn: number, missed: boolean): void {
    this.paChecks.checked++;
    if (missed) this.paChecks.missed.push({ step: this.#step, txn, pa });
  }

  /** New event records since the last drain, read from target memory; advances EVENTQ_CONS. */
  drainEvents(explicit = false): Array<{ raw: bigint[] }> {
    if (this.evtqConsumerStopped && !explicit) return [];
    const baseReg = this.readReg(REG.EVENTQ_BASE);
    if (baseReg === 0n) return [];
    const { p, base } = evtqGeometry(baseReg);
    const prod = this.readReg(REG.EVENTQ_PROD);
    let cons = this.readReg(REG.EVENTQ_CONS);
    const out: Array<{ raw: bigint[] }> = [];
    while (!p.empty(prod, cons)) {
      out.push({ raw: dwordsFromBytes(this.target.readMem(base + BigInt(p.index(cons) * 32), 32), 4) });
      cons = (cons & ~BigInt(2 * p.size - 1)) | BigInt(p.inc(cons));
    }
    if (out.length > 0) this.target.writeReg32(REG.EVENTQ_CONS, Number(cons & 0xffff_ffffn));
    return out;
  }

  /** Type of the first event record written since EVENTQ_PROD was `prodBefore`, if any. */
  #recordedSince(prodBefore: bigint): EventName | undefined {
    const baseReg = this.readReg(REG.EVENTQ_BASE);
    const { p, base } = evtqGeometry(baseReg);
    if (p.norm(this.readReg(REG.EVENTQ_PROD)) === p.norm(prodBefore)) return undefined;
    const d = decodeEvent(dwordsFromBytes(this.target.readMem(base + BigInt(p.index(prodBefore) * 32), 32), 4));
    return d.name === 'UNKNOWN' ? undefined : (d.name as EventName);
  }

  /** Write every staged page that changed since the last flush to the target. */
  flush(): void {
    const writes: Array<{ pa: bigint; data: Uint8Array }> = [];
    for (const page of this.mem.takeDirtyPages()) {
      if (!this.mem.isBacked(BigInt(page) * BigInt(PAGE_SIZE))) continue;
      const pa = BigInt(page) * BigInt(PAGE_SIZE);
      const cur = this.#pageBytes(pa);
      const old = this.#shadow.get(page);
      if (old !== undefined && equal(old, cur)) continue;
      if (!this.#backed(pa)) throw new TargetUnsupported(`${this.target.name} has no memory at PA 0x${pa.toString(16)}`);
      // only the 64-byte lines that changed (a DMA-written word elsewhere in the page is kept),
      // runs of changed lines as one write
      let start = -1;
      for (let off = 0; off <= PAGE_SIZE; off += 64) {
        const changed = off < PAGE_SIZE && (old === undefined || !equal(old.subarray(off, off + 64), cur.subarray(off, off + 64)));
        if (changed && start < 0) start = off;
        if (!changed && start >= 0) {
          writes.push({ pa: pa + BigInt(start), data: cur.subarray(start, off) });
          start = -1;
        }
      }
      this.#shadow.set(page, cur);
    }
    if (writes.length === 0) return;
    if (this.target.writeMemMany !== undefined) this.target.writeMemMany(writes);
    else for (const w of writes) this.target.writeMem(w.pa, w.data);
  }

  #backed(pa: bigint): boolean {
    return this.target.memory.some((r) => pa >= r.base && pa + BigInt(PAGE_SIZE) <= r.base + r.size);
  }

  #pageBytes(pa: bigint): Uint8Array {
    return dwordsToBytes(Array.from({ length: PAGE_SIZE / 8 }, (_, i) => this.mem.read64(pa + BigInt(8 * i)) ?? 0n));
  }

  /** Like the emulator's CmdqResult: `error` is an error this write raised; `stalled` means no progress without an error. */
  #cmdqResult(consBefore: bigint, errBefore: boolean, gerrorBefore: bigint): CmdqResult {
    const p = this.cmdq.ptr();
    const base = this.cmdq.base();
    const prod = this.readReg(REG.CMDQ_PROD);
    const cons = this.readReg(REG.CMDQ_CONS);
    const gerror = this.readReg(REG.GERROR);
    const active = ((gerror ^ this.readReg(REG.GERRORN)) & CMDQ_ERR_BIT) !== 0n;
    // a new error toggles GERROR.CMDQ_ERR (§6.3.19): also when the command refetched after an ack
    // (GERRORN write, §7.1) fails again at the same CONS
    const raised = active && (!errBefore || cons !== consBefore || ((gerror ^ gerrorBefore) & CMDQ_ERR_BIT) !== 0n);
    const error = (raised ? (CERROR_NAME[Number(CMDQ_CONS.get([cons], 'ERR'))] ?? 'CERROR_NONE') : 'CERROR_NONE') as CerrorName;
    const executed: DecodedCommand[] = [];
    for (let c = consBefore; !p.empty(cons, c); c = (c & ~BigInt(2 * p.size - 1)) | BigInt(p.inc(c))) {
      const slot = base + BigInt(p.index(c) * 16);
      executed.push(decodeCommand([this.mem.read64(slot) ?? 0n, this.mem.read64(slot + 8n) ?? 0n]));
    }
    return { cons, prod, error, gerror, executed, syncs: [], stalled: !active && !p.empty(prod, cons) };
  }
}

/** The event queue as software reads EVENTQ_BASE: its ring and its 32-byte records' base. */
function evtqGeometry(baseReg: bigint): { p: QueuePtr; base: bigint } {
  const p = new QueuePtr(Number(EVENTQ_BASE.get([baseReg], 'LOG2SIZE')));
  return { p, base: queueBase(EVENTQ_BASE.get([baseReg], 'ADDR'), p.size, 32) };
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
