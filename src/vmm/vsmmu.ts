/**
 * The guest-visible vSMMU a VMM presents over the Iommufd API (QEMU-accel-like; reference
 * emulator-models §1.1, linux-smmuv3-iommufd §6.6/§6.7). Everything the guest owns lives in guest
 * memory (GuestMemory: IPA space over the same IPA→PA regions as the nest parent's stage 2):
 * the command queue, the event queue and a linear stream table.
 *
 * CMDQ: a CMDQ_PROD write (or a GERRORN ack / CMDQEN 0→1 that lets the queue run) consumes from
 * guest CONS to PROD. Forwardable commands are collected and handed to Iommufd.invalidate in one
 * call per CMD_SYNC (and before any STE command, and at PROD); the host chunks by 63. CMD_SYNC
 * completes locally after its batch (CS=IRQ with an MSIAddr writes MSIData there, 32 bits).
 * EIO with entry_num i: guest CONS = the i-th forwarded command, CONS.ERR = CERROR_ILL, then
 * GERROR.CMDQ_ERR toggles; nothing runs until the guest writes GERRORN (§7.1; the guest driver
 * rewrites the slot first). ETIMEDOUT: guest CONS stays on the CMD_SYNC, which never completes —
 * the queue is hung (state().hung) and a guest-level timeout is recorded; only CMDQEN 0→1
 * restarts it. Note the host quirk (§6.6): with EIO at i, the converted commands of the same
 * unflushed host chunk before i were never issued, although the guest CONS passed them.
 *
 * EVTQ: pollEvents() moves vEVENTQ records (dw0 StreamID already the vSID) into the guest ring;
 * a full ring, or a vEVENTQ loss (LOST_EVENTS header or a sequence gap), toggles
 * EVENTQ_PROD.OVFLG once per unacknowledged overflow (§7.4), as the SMMU itself does.
 * Not modelled: SMMUEN=0/GBPA, 2-level stream tables, PRI, guest IRQ lines.
 */
import { CERROR, commandInfo } from '../arch/command.ts';
import type { StructCodec } from '../arch/fields.ts';
import { CMDQ_BASE, CMDQ_CONS, CMDQ_PROD, CR0, GERROR_BIT, IDR0, IDR1, REG, type RegName } from '../arch/registers.ts';
import type { Iommufd } from '../host/iommufd.ts';
import { INVALIDATE_DATA_ARM_SMMUV3, INVALIDATE_ENTRY_SIZE, commandsToBytes } from '../host/invalidate.ts';
import { VEVENTQ_FLAG_LOST_EVENTS } from '../host/veventq.ts';
import { type GuestRegs, readGuestEvents, signalOverflow, writeGuestEvent } from './guest-evtq.ts';
import type { GuestMemory } from './guest-mem.ts';
import { classifyGuestCommand, steInvalidationTargets } from './policy.ts';
import { type Ring, queueBase, ringEmpty, ringInc, ringIndex } from '../arch/queue.ts';
import { syncGuestSte } from './ste-sync.ts';

const CMDQ_ERR = GERROR_BIT.CMDQ_ERR;
const CMD_SYNC = commandInfo('CMD_SYNC').codec;
/** One field of a 1-dword register value. */
const field = (codec: StructCodec, v: bigint, name: string): bigint => codec.get([v], name);
/** The guest enabled its command queue (CR0.CMDQEN). */
const cmdqEnabled = (cr0: bigint): boolean => field(CR0, cr0, 'CMDQEN') !== 0n;

export interface VSmmuOptions {
  readonly iommufd: Iommufd;
  readonly viommuId: number;
  readonly guestMem: GuestMemory;
  /** vSID → host device object ID (the device has a vDEVICE with that virt_id on the vIOMMU). */
  readonly vdevs: ReadonlyMap<number, number>;
  /** The vIOMMU's vEVENTQ (type ARM_SMMUV3), if the VMM allocated one. */
  readonly veventqId?: number;
  /** Guest-visible IDR0..IDR5 (default: zeros except IDR0.S1P, IDR1.CMDQS/EVENTQS = 19). */
  readonly idr?: readonly bigint[];
}

export interface GuestTimeout {
  /** Guest CONS value (index + wrap) of the CMD_SYNC that never completes. */
  readonly cons: number;
  readonly reason: string;
}

export interface VSmmuState {
  readonly cons: number;
  readonly prod: number;
  /** CMDQ_CONS.ERR. */
  readonly err: number;
  readonly gerror: bigint;
  readonly gerrorn: bigint;
  readonly hung: boolean;
  readonly timeouts: readonly GuestTimeout[];
  readonly evtqProd: bigint;
  readonly evtqCons: bigint;
  /** Records written into the guest EVTQ so far, in order. */
  readonly events: readonly (readonly bigint[])[];
  /** Batches handed to Iommufd.invalidate (guest commands, before host conversion). */
  readonly forwarded: readonly (readonly bigint[][])[];
  /** VMM log lines (STE re-attach failures, ignored reads). */
  readonly log: readonly string[];
}

interface Pending {
  readonly cons: number;
  readonly cmd: bigint[];
}

export class VSmmu {
  readonly #o: VSmmuOptions;
  readonly #regs = new Map<number, bigint>();
  readonly #hwpts = new Map<number, number>();
  readonly #timeouts: GuestTimeout[] = [];
  readonly #events: bigint[][] = [];
  readonly #forwarded: bigint[][][] = [];
  readonly #log: string[] = [];
  #hung = false;
  readonly #regView: GuestRegs = {
    get: (o) => this.#regs.get(o) ?? 0n,
    set: (o, v) => {
      this.#regs.set(o, v);
    },
  };
  #nextSeq: number | undefined;

  constructor(o: VSmmuOptions) {
    this.#o = o;
    const idr = o.idr ?? [IDR0.encode({ S1P: 1 })[0] ?? 0n, IDR1.encode({ CMDQS: 19, EVENTQS: 19 })[0] ?? 0n];
    idr.slice(0, 6).forEach((v, i) => this.#regs.set(4 * i, v));
  }

  static offsetOf(reg: RegName | number): number {
    return typeof reg === 'number' ? reg : REG[reg];
  }

  readReg(reg: RegName | number): bigint {
    return this.#regs.get(VSmmu.offsetOf(reg)) ?? 0n;
  }

  /** Guest MMIO write. Read-only registers (IDRs, CR0ACK, GERROR, CMDQ_CONS while enabled, EVENTQ_PROD) ignore writes. */
  writeReg(reg: RegName | number, value: bigint): void {
    const off = VSmmu.offsetOf(reg);
    const v = BigInt.asUintN(64, value);
    switch (off) {
      case REG.IDR0:
      case REG.IDR1:
      case REG.IDR2:
      case REG.IDR3:
      case REG.IDR4:
      case REG.IDR5:
      case REG.CR0ACK:
      case REG.GERROR:
      case REG.EVENTQ_PROD:
        this.#log.push(`write to read-only register 0x${off.toString(16)} ignored`);
        return;
      case REG.CR0: {
        const was = this.readReg('CR0');
        this.#regs.set(REG.CR0, v);
        this.#regs.set(REG.CR0ACK, v);
        if (!cmdqEnabled(was) && cmdqEnabled(v)) {
          this.#hung = false;
          this.#consume();
        }
        return;
      }
      case REG.CMDQ_CONS:
        if (cmdqEnabled(this.readReg('CR0'))) return; // CONS is software-writable only while CMDQEN=0
        this.#regs.set(off, v & 0xffff_ffffn);
        return;
      case REG.CMDQ_PROD:
        this.#regs.set(off, field(CMDQ_PROD, v, 'WR'));
        this.#consume();
        return;
      case REG.GERRORN:
        this.#regs.set(off, v & 0xffff_ffffn);
        this.#consume();
        return;
      default:
        this.#regs.set(off, v);
    }
  }

  state(): VSmmuState {
    const cons = this.readReg('CMDQ_CONS');
    return {
      cons: Number(field(CMDQ_CONS, cons, 'RD')),
      prod: Number(field(CMDQ_PROD, this.readReg('CMDQ_PROD'), 'WR')),
      err: Number(field(CMDQ_CONS, cons, 'ERR')),
      gerror: this.readReg('GERROR'),
      gerrorn: this.readReg('GERRORN'),
      hung: this.#hung,
      timeouts: this.#timeouts.slice(),
      evtqProd: this.readReg('EVENTQ_PROD'),
      evtqCons: this.readReg('EVENTQ_CONS'),
      events: this.#events.map((e) => e.slice()),
      forwarded: this.#forwarded.map((b) => b.map((c) => c.slice())),
      log: this.#log.slice(),
    };
  }

  /** Nested HWPT the VMM created for a vSID (after a CFGI_STE). */
  hwptOf(vsid: number): number | undefined {
    return this.#hwpts.get(vsid);
  }

  #cmdqRing(): Ring {
    return { log2: Math.min(Number(field(CMDQ_BASE, this.readReg('CMDQ_BASE'), 'LOG2SIZE')), 19) };
  }

  #setCons(cons: number, err?: number): void {
    const e = err !== undefined ? BigInt(err) : field(CMDQ_CONS, this.readReg('CMDQ_CONS'), 'ERR');
    this.#regs.set(REG.CMDQ_CONS, CMDQ_CONS.encode({ RD: cons, ERR: e })[0] ?? 0n);
  }

  #raiseCmdqErr(cons: number, code: number): void {
    this.#setCons(cons, code); // ERR visible before GERROR.CMDQ_ERR toggles (§7.1)
    this.#regs.set(REG.GERROR, this.readReg('GERROR') ^ CMDQ_ERR);
  }

  #cmdqErrActive(): boolean {
    return ((this.readReg('GERROR') ^ this.readReg('GERRORN')) & CMDQ_ERR) !== 0n;
  }

  /** Forward a batch. Returns false when consumption must stop (error raised or hang). */
  #flush(batch: readonly Pending[], syncCons: number | undefined): boolean {
    if (batch.length === 0) return true;
    const cmds = batch.map((p) => p.cmd);
    this.#forwarded.push(cmds.map((c) => c.slice()));
    const r = this.#o.iommufd.invalidate(this.#o.viommuId, {
      dataType: INVALIDATE_DATA_ARM_SMMUV3,
      entryLen: INVALIDATE_ENTRY_SIZE,
      entryNum: cmds.length,
      data: commandsToBytes(cmds),
    });
    if (r.errno === 0) return true;
    if (r.errno === 'ETIMEDOUT') {
      // the forwarded commands were consumed; the CMD_SYNC (or, at PROD, the end) never completes
      const at = syncCons ?? this.state().prod;
      this.#setCons(at);
      this.#hung = true;
      this.#timeouts.push({ cons: at, reason: `host IOMMU_HWPT_INVALIDATE timed out (entry_num ${r.entryNum}): guest CMD_SYNC never completes` });
      return false;
    }
    // EIO (or any other refusal): entry_num names the command the host stopped at
    const at = batch[Math.min(r.entryNum, batch.length - 1)]?.cons ?? 0;
    this.#log.push(`host ${r.errno} at entry ${r.entryNum}: ${r.reason ?? ''}`);
    this.#raiseCmdqErr(at, CERROR.ILL);
    return false;
  }

  #consume(): void {
    if (!cmdqEnabled(this.readReg('CR0')) || this.#cmdqErrActive() || this.#hung) return;
    const ring = this.#cmdqRing();
    // the effective base is aligned to the queue size in bytes (§6.3.26), as on the SMMU
    const base = queueBase(field(CMDQ_BASE, this.readReg('CMDQ_BASE'), 'ADDR'), 1 << ring.log2, 16);
    const prod = Number(field(CMDQ_PROD, this.readReg('CMDQ_PROD'), 'WR'));
    let cons = Number(field(CMDQ_CONS, this.readReg('CMDQ_CONS'), 'RD'));
    const pending: Pending[] = [];
    const flush = (syncCons?: number): boolean => {
      const batch = pending.splice(0, pending.length);
      return this.#flush(batch, syncCons);
    };
    while (!ringEmpty(ring, prod, cons)) {
      const cmd = this.#o.guestMem.readWords(base + BigInt(ringIndex(ring, cons) * 16), 2);
      if (cmd === undefined) {
        if (!flush()) return;
        this.#raiseCmdqErr(cons, CERROR.ABT);
        return;
      }
      const action = classifyGuestCommand(cmd);
      if (action === 'forward') {
        pending.push({ cons, cmd });
      } else if (action === 'sync') {
        if (!flush(cons)) return;
        this.#syncMsi(cmd);
      } else if (action === 'ste') {
        if (!flush()) return;
        this.#cfgiSte(cmd);
      } else if (action === 'illegal') {
        if (!flush()) return;
        this.#raiseCmdqErr(cons, CERROR.ILL);
        return;
      }
      cons = ringInc(ring, cons);
      this.#setCons(cons);
    }
    flush();
  }

  /** CMD_SYNC CS=IRQ (1) with a non-zero MSIAddr[55:2]: 32-bit MSIData written at that IPA. */
  #syncMsi(cmd: readonly bigint[]): void {
    const addr = CMD_SYNC.get(cmd, 'MSIAddr');
    if (CMD_SYNC.get(cmd, 'CS') !== 1n || addr === 0n) return;
    const data = CMD_SYNC.get(cmd, 'MSIData');
    const word = addr & ~7n;
    const old = this.#o.guestMem.read64(word);
    if (old === undefined) {
      this.#log.push(`CMD_SYNC MSI to 0x${addr.toString(16)} is not guest RAM`);
      return;
    }
    const sh = (addr & 4n) * 8n;
    this.#o.guestMem.write64(word, (old & ~(0xffff_ffffn << sh)) | (data << sh));
  }

  #cfgiSte(cmd: readonly bigint[]): void {
    const known = [...this.#o.vdevs.keys()].sort((a, b) => a - b);
    for (const vsid of steInvalidationTargets(cmd, known)) {
      const devId = this.#o.vdevs.get(vsid);
      if (devId === undefined) continue;
      const r = syncGuestSte(
        {
          fd: this.#o.iommufd,
          viommuId: this.#o.viommuId,
          mem: this.#o.guestMem,
          strtabBase: this.readReg('STRTAB_BASE'),
          strtabCfg: this.readReg('STRTAB_BASE_CFG'),
        },
        vsid,
        devId,
        this.#hwpts.get(vsid),
      );
      if (r.hwptId !== undefined) this.#hwpts.set(vsid, r.hwptId);
      if (!r.ok) this.#log.push(r.reason);
    }
  }

  /**
   * Move every vEVENTQ record into the guest EVTQ. Returns how many records were written and
   * how many the guest lost (guest ring full, EVENTQEN=0, or lost on the host side).
   */
  pollEvents(): { written: number; lost: number } {
    let written = 0;
    let lost = 0;
    if (this.#o.veventqId === undefined) return { written, lost };
    const rd = this.#o.iommufd.readVeventq(this.#o.veventqId, 1 << 20);
    if (rd.errno !== 0) {
      this.#log.push(`vEVENTQ read failed: ${rd.reason}`);
      return { written, lost };
    }
    for (const rec of rd.records) {
      const gap = this.#nextSeq !== undefined && rec.sequence !== this.#nextSeq;
      this.#nextSeq = (rec.sequence + 1) & 0x7fff_ffff;
      if (gap || (rec.flags & VEVENTQ_FLAG_LOST_EVENTS) !== 0 || rec.data === undefined) {
        lost++;
        signalOverflow(this.#regView);
        if (rec.data === undefined) continue;
      }
      const rec4 = [0, 1, 2, 3].map((i) => rec.data?.[i] ?? 0n);
      const w = writeGuestEvent(this.#regView, this.#o.guestMem, rec4);
      if (w === 'written') {
        written++;
        this.#events.push(rec4);
        continue;
      }
      lost++;
      if (w === 'not-guest-ram') this.#log.push('guest EVTQ is not guest RAM: event dropped');
    }
    return { written, lost };
  }

  /** Guest-driver helper: read the records between guest EVTQ CONS and PROD, advancing CONS. */
  readGuestEvents(): bigint[][] {
    return readGuestEvents(this.#regView, this.#o.guestMem);
  }
}
