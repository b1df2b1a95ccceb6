/**
 * Command queue (§3.5, §4, §7.1): a ring of 16-byte commands at CMDQ_BASE. Consumption runs
 * synchronously inside a CMDQ_PROD write (and after a GERRORN ack that clears CMDQ_ERR).
 *
 * Fault injection: `stallAt` (no progress) and `abortFetches(n)` (the next n fetches of the
 * entry at CONS abort: CERROR_ABT, the entry itself is untouched, so after the GERRORN ack the
 * same slot is fetched again and runs; §7.1 CERROR_ABT, linux-smmuv3-iommufd.md §3.3).
 *
 * Error mechanics (§7.1, errata B.4): CONS.RD stays on the failing command, CONS.ERR is set,
 * then GERROR.CMDQ_ERR toggles; older commands have executed, newer ones have not. Nothing is
 * consumed while CMDQ_ERR is active; after software acknowledges it (GERRORN), the command at
 * CONS is fetched again (software may have rewritten it). CONS.ERR keeps its last value.
 *
 * CERROR_ILL checks (errata B.3, §4.1.5): reserved opcodes; Secure and EL3 commands; SSec=1;
 * commands of features the profile lacks; CMD_SYNC CS=0b11; PRI_RESP Resp=0b11; the reserved
 * range-TLBI encodings; ATC_INV Size>52 (an allowed IMPDEF choice); and, when the profile's
 * `cmdRes0` is 'ill', any non-zero bit the command does not define, NUM/SCALE/TG/TTL/TTL128 with
 * IDR3.RIL=0, SCALE[5] with IDR5.DS=0, NUM/SCALE/TTL/TTL128 with TG=0 and TTL128 with TTL=0
 * (§4.4.1.1), the TLBI_NH_* VMID without stage 2 (§4.4.2) and PA/IPA field bits [55:52] in
 * v3.1-v3.3 (§4.1.6). With 'ignore', cmd-exec.ts treats
 * those fields as zero.
 * Not CERROR_ILL (§4.1.7, §4.2, §4.4): out-of-range StreamID/SubstreamID, SSV=1 with IDR1.SSIDSIZE=0
 * (CONSTRAINED UNPREDICTABLE: acts as SSV=0 or has no effect; here no effect), upper ASID/VMID bits.
 */
import { CERROR, CERROR_NAME, COMMANDS, type CerrorName, type DecodedCommand, decodeCommand } from '../arch/command.ts';
import { CMDQ_BASE, CMDQ_CONS, GERROR_BIT, REG } from '../arch/registers.ts';
import type { SparseMemory } from '../memory/sparse-memory.ts';
import { type SmmuProfile, commandPaBits } from './profile.ts';
import { QueueGeometry, type QueuePtr, type RegFile } from './regfile.ts';

export type { CerrorName } from '../arch/command.ts';

export interface SyncSignal {
  /** Ring index of the CMD_SYNC. */
  index: number;
  /** 'msi' when an MSI was written; else 'irq' when only the wired interrupt fired. */
  signal: 'none' | 'msi' | 'sev' | 'irq';
  /** The wired completion interrupt was asserted as well (profile `wiredIrq`). */
  wiredIrq?: boolean;
  msiAddr?: bigint;
  msiData?: number;
}

export interface CmdqResult {
  cons: bigint;
  prod: bigint;
  error: CerrorName;
  /** Ring index of the failing command, and why (when error != CERROR_NONE). */
  errorIndex?: number;
  errorReason?: string;
  gerror: bigint;
  executed: DecodedCommand[];
  syncs: SyncSignal[];
  /** Injected fault: the queue stopped making progress with CONS behind PROD. */
  stalled: boolean;
}

/** What executing a (valid) command does to the rest of the device. */
export interface CommandSink {
  execute(cmd: DecodedCommand): void;
  /** ATC_INV for `sid`: false when the device never completes the invalidation. */
  atcInvalidate(sid: number): boolean;
}

const RANGE_TLBI = new Set([0x12, 0x13, 0x22, 0x23, 0x2a]);
const SECURE_OR_EL3 = new Set([0x18, 0x1a, 0x50, 0x51, 0x52, 0x53, 0x58, 0x5a, 0x60]);

/**
 * A decoded command's field, 0 when the command has none (a module-level function, not a closure
 * made per call: illegalReason runs for every command consumed, up to 2^19 in one batch).
 */
function field(cmd: DecodedCommand, n: string): bigint {
  return cmd.fields[n] ?? 0n;
}

/** Why a decoded command is ILLEGAL on this profile's Non-secure queue, or undefined. */
export function illegalReason(cmd: DecodedCommand, raw: readonly bigint[], p: SmmuProfile): string | undefined {
  const op = cmd.opcode;
  if (cmd.name === 'UNKNOWN') return `reserved opcode 0x${op.toString(16)}`;
  if (SECURE_OR_EL3.has(op)) return `${cmd.name} is not allowed on the Non-secure command queue`;
  if (field(cmd, 'SSec') !== 0n) return 'SSec=1 on the Non-secure command queue';
  // Feature checks (§7.1 table, §4.3-4.7).
  if (op >= 0x10 && op <= 0x13 && !p.s1p) return `${cmd.name} without stage 1 (IDR0.S1P=0)`;
  if ((op === 0x28 || op === 0x2a) && !p.s2p) return `${cmd.name} without stage 2 (IDR0.S2P=0)`;
  if (op >= 0x20 && op <= 0x23 && (!p.hyp || !p.s1p)) return `${cmd.name} without IDR0.HYP`;
  if ((op === 0x05 || op === 0x06) && !p.s1p) return `${cmd.name} without stage 1`;
  if (op === 0x07) return 'CFGI_VMS_PIDM without MPAM/VMS support';
  if (op === 0x70 || op === 0x73) return `${cmd.name} without IDR3.DPT`;
  if (op === 0x40 && !p.ats) return 'ATC_INV without IDR0.ATS';
  if (op === 0x41 && !p.pri) return 'PRI_RESP without IDR0.PRI';
  if ((op === 0x44 || op === 0x45) && p.stallModel === 1) return `${cmd.name} with IDR0.STALL_MODEL=0b01`;
  // Illegal values.
  if (op === 0x46 && field(cmd, 'CS') === 3n) return 'CMD_SYNC CS=0b11 is reserved';
  if (op === 0x41 && field(cmd, 'Resp') === 3n) return 'PRI_RESP Resp=0b11 is reserved';
  if (op === 0x40 && field(cmd, 'Size') > 52n) return `ATC_INV Size=${field(cmd, 'Size')} > 52`;
  if (RANGE_TLBI.has(op) && p.ril) {
    const tg = field(cmd, 'TG');
    // With IDR5.DS=0, TG=16KB and TTL=0b01 is reserved and treated as TTL=0b00 (§4.4.1.1 TTL
    // table), so it is ILLEGAL only as the single-granule NUM=0, SCALE=0 form.
    const ttl = !p.ds && tg === 2n && field(cmd, 'TTL') === 1n ? 0n : field(cmd, 'TTL');
    if (tg !== 0n && field(cmd, 'NUM') === 0n && field(cmd, 'SCALE') === 0n && ttl === 0n) {
      return field(cmd, 'TTL') === 0n
        ? `${cmd.name} TG!=0 with NUM=0, SCALE=0, TTL=0 is reserved`
        : `${cmd.name} TG=16KB with TTL=0b01 (treated as 0b00 without IDR5.DS) and NUM=0, SCALE=0 is reserved`;
    }
  }
  if (p.cmdRes0 === 'ill') {
    const codec = COMMANDS.get(op)?.codec;
    if (codec !== undefined) {
      for (let i = 0; i < 2; i++) {
        const extra = BigInt.asUintN(64, raw[i] ?? 0n) & ~(codec.definedMask[i] ?? 0n);
        if (extra !== 0n) return `${cmd.name} has non-zero RES0 bits 0x${extra.toString(16)} in dw${i}`;
      }
    }
    if (RANGE_TLBI.has(op) && !p.ril && (field(cmd, 'NUM') | field(cmd, 'SCALE') | field(cmd, 'TG') | field(cmd, 'TTL') | field(cmd, 'TTL128')) !== 0n) {
      return `${cmd.name} range fields are RES0 without IDR3.RIL`;
    }
    if (RANGE_TLBI.has(op) && !p.ds && (field(cmd, 'SCALE') & 0x20n) !== 0n) return `${cmd.name} SCALE[5] is RES0 without IDR5.DS`;
    if (RANGE_TLBI.has(op) && p.ril && field(cmd, 'TG') === 0n && (field(cmd, 'NUM') | field(cmd, 'SCALE') | field(cmd, 'TTL') | field(cmd, 'TTL128')) !== 0n)
      return `${cmd.name} NUM/SCALE/TTL/TTL128 are RES0 with TG=0`;
    if (RANGE_TLBI.has(op) && p.ril && field(cmd, 'TTL') === 0n && field(cmd, 'TTL128') !== 0n) return `${cmd.name} TTL128 is RES0 with TTL=0`;
    // IPA/PA fields: bits above commandPaBits are RES0 (§4.1.6).
    const paTop = BigInt(commandPaBits(p));
    if (op === 0x2a && field(cmd, 'Address') >> paTop !== 0n) return `${cmd.name} Address bits [55:${paTop}] are RES0`;
    if (op === 0x46 && field(cmd, 'MSIAddr') >> paTop !== 0n) return `${cmd.name} MSIAddr bits [55:${paTop}] are RES0`;
    // VMID of TLBI_NH_* is RES0 without stage 2 (§4.4.2).
    if (op >= 0x10 && op <= 0x13 && !p.s2p && field(cmd, 'VMID') !== 0n) return `${cmd.name} VMID is RES0 without stage 2 (IDR0.S2P=0)`;
  }
  return undefined;
}

export class CommandQueue {
  readonly #regs: RegFile;
  readonly #geometry: QueueGeometry;
  readonly #mem: SparseMemory;
  readonly #sink: CommandSink;
  /** Total commands consumed since reset (fault injection counts against this). */
  consumedTotal = 0;
  /** Injected: stop making progress once `consumedTotal` reaches this value. */
  stallAt: number | undefined;
  /**
   * Injected: the next this-many command fetches abort (CERROR_ABT, §7.1; the external abort is
   * on the read of the queue entry, the entry in memory is untouched). Each fetch at CONS uses
   * one, including the re-fetch after GERRORN is acknowledged.
   */
  fetchAbortsPending = 0;
  /** ATC invalidations issued since the last CMD_SYNC that will never complete. */
  #atcFailed = false;

  constructor(regs: RegFile, mem: SparseMemory, sink: CommandSink) {
    this.#regs = regs;
    this.#mem = mem;
    this.#sink = sink;
    this.#geometry = new QueueGeometry(regs, REG.CMDQ_BASE, CMDQ_BASE, 'CMDQS', 16);
    this.stallAt = regs.profile.cmdqStallAt;
  }

  /** Fault injection at run time: the next `n` command fetches abort (CERROR_ABT). */
  abortFetches(n: number): void {
    this.fetchAbortsPending = n;
  }

  /** Fault injection at run time: consume `n` more commands, then stop making progress (undefined: never stop). */
  stallAfter(n: number | undefined): void {
    this.stallAt = n === undefined ? undefined : this.consumedTotal + n;
  }

  ptr(): QueuePtr {
    return this.#geometry.get().ptr;
  }

  /** Effective base: aligned to the larger of the queue size and 32 bytes (§6.3.26). */
  base(): bigint {
    return this.#geometry.get().base;
  }

  /** Consume commands from CONS up to PROD (or until an error / injected stall). */
  consume(): CmdqResult {
    const executed: DecodedCommand[] = [];
    const syncs: SyncSignal[] = [];
    let error: CerrorName = 'CERROR_NONE';
    let errorIndex: number | undefined;
    let errorReason: string | undefined;
    let stalled = false;
    const p = this.ptr();
    const canRun = (): boolean => this.#regs.cr0('CMDQEN') && !this.#regs.isGerrorActive(GERROR_BIT.CMDQ_ERR);
    while (canRun()) {
      const prod = this.#regs.get(REG.CMDQ_PROD);
      const cons = this.#regs.get(REG.CMDQ_CONS);
      if (p.empty(prod, cons)) break;
      if (this.stallAt !== undefined && this.consumedTotal >= this.stallAt) {
        stalled = true;
        break;
      }
      const idx = p.index(cons);
      const raw = this.#mem.readWords(this.base() + BigInt(idx * 16), 2);
      let fail: { code: number; reason: string } | undefined;
      let cmd: DecodedCommand | undefined;
      if (raw === undefined) {
        fail = { code: CERROR.ABT, reason: `command fetch from unbacked memory at 0x${(this.base() + BigInt(idx * 16)).toString(16)}` };
      } else if (this.fetchAbortsPending > 0) {
        this.fetchAbortsPending--;
        fail = { code: CERROR.ABT, reason: `injected abort on command fetch at 0x${(this.base() + BigInt(idx * 16)).toString(16)}` };
      } else {
        cmd = decodeCommand(raw);
        const ill = illegalReason(cmd, raw, this.#regs.profile);
        if (ill !== undefined) fail = { code: CERROR.ILL, reason: ill };
        else if (cmd.name === 'CMD_SYNC') {
          if (this.#atcFailed) {
            // The timed-out invalidations are reported once; a re-executed SYNC completes.
            this.#atcFailed = false;
            fail = { code: CERROR.ATC_INV_SYNC, reason: 'an ATC invalidation before this CMD_SYNC did not complete' };
          } else {
            syncs.push(this.#signalSync(cmd, idx));
          }
        } else if (cmd.name === 'ATC_INV') {
          // IGNORED while SMMUEN=0 (§4.5.1).
          if (this.#regs.cr0('SMMUEN') && !this.#sink.atcInvalidate(Number(cmd.fields['StreamID'] ?? 0n))) this.#atcFailed = true;
        } else {
          this.#sink.execute(cmd);
        }
      }
      if (fail !== undefined) {
        error = CERROR_NAME[fail.code] as CerrorName;
        errorIndex = idx;
        errorReason = fail.reason;
        // ERR becomes visible before GERROR.CMDQ_ERR toggles (§7.1).
        this.#regs.set(REG.CMDQ_CONS, CMDQ_CONS.encode({ ERR: fail.code }, [cons])[0] ?? 0n);
        this.#regs.raiseGerror(GERROR_BIT.CMDQ_ERR);
        break;
      }
      if (cmd !== undefined) executed.push(cmd);
      this.consumedTotal++;
      const keep = cons & ~BigInt(2 * p.size - 1);
      this.#regs.set(REG.CMDQ_CONS, keep | BigInt(p.inc(cons)));
    }
    return {
      cons: this.#regs.get(REG.CMDQ_CONS),
      prod: this.#regs.get(REG.CMDQ_PROD),
      error,
      ...(errorIndex !== undefined ? { errorIndex } : {}),
      ...(errorReason !== undefined ? { errorReason } : {}),
      gerror: this.#regs.get(REG.GERROR),
      executed,
      syncs,
      stalled,
    };
  }

  /**
   * CMD_SYNC completion signal per CS (§4.7.3, errata row 22): SIG_IRQ writes MSIData to
   * MSIAddress when MSIs are supported and MSIAddress != 0, and asserts the wired interrupt when
   * one exists; SIG_SEV acts as SIG_NONE without IDR0.SEV.
   */
  #signalSync(cmd: DecodedCommand, index: number): SyncSignal {
    const p = this.#regs.profile;
    const cs = cmd.fields['CS'] ?? 0n;
    if (cs === 2n) return { index, signal: p.sev ? 'sev' : 'none' };
    if (cs !== 1n) return { index, signal: 'none' };
    const wired = p.wiredIrq ? { wiredIrq: true } : {};
    const addr = cmd.fields['MSIAddr'] ?? 0n;
    if (!p.msi || addr === 0n) return { index, signal: p.wiredIrq ? 'irq' : 'none', ...wired };
    const data = Number(cmd.fields['MSIData'] ?? 0n);
    const pa = addr & ((1n << BigInt(p.oas)) - 1n); // truncated to the OAS (§3.4.3)
    if (!this.#mem.isBacked(pa)) {
      this.#regs.raiseGerror(GERROR_BIT.MSI_CMDQ_ABT_ERR);
      return { index, signal: p.wiredIrq ? 'irq' : 'none', ...wired };
    }
    this.#mem.write32(pa, data);
    return { index, signal: 'msi', msiAddr: pa, msiData: data, ...wired };
  }
}
