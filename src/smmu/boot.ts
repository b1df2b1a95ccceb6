/**
 * Driver-like bring-up of an SmmuDevice (the register order of Linux's arm_smmu_device_reset,
 * §3.5, §6.3): allocate the stream table and the queues, program the base registers, enable the
 * CMDQ, invalidate all configuration and TLB state, enable the EVTQ, then SMMUEN, checking each
 * CR0ACK. Plus helpers the scenario engine uses: `installSte` and `submitCommands`.
 *
 * The invalidation is either the compact harness batch (CFGI_ALL, TLBI_EL2_ALL when IDR0.Hyp,
 * TLBI_NSNH_ALL, one CMD_SYNC with CS=SIG_NONE: 4 or 3 commands) used by device-level scenarios,
 * or a caller's own sequence (`invalidate`): the host layer issues Linux's three
 * command+CMD_SYNC pairs (src/host/reset.ts).
 *
 * Defaults: sidBits = 8 for a linear table (a full 16-bit linear table is 4 MiB of zeroed
 * memory), profile SIDSIZE for 2-level; SPLIT = 8 (Linux); RECINVSID = 1 (Linux sets it).
 */
import { encodeCommand } from '../arch/command.ts';
import { L1STD } from '../arch/l1std.ts';
import { CMDQ_BASE, CR0, CR1, CR2, EVENTQ_BASE, IRQ_CTRL, REG, STRTAB_BASE, STRTAB_BASE_CFG } from '../arch/registers.ts';
import type { PageAllocator } from '../memory/page-allocator.ts';
import type { SparseMemory } from '../memory/sparse-memory.ts';
import type { CmdqResult } from './cmdq.ts';
import type { SmmuProfile } from './profile.ts';
import { CR0_ENABLE, type QueuePtr } from './regfile.ts';

/**
 * What bring-up needs from an SMMU: the software-visible surface (registers, the memory software
 * writes structures into, the CMDQ geometry). SmmuDevice has it; so has an external target's
 * driver view (src/engine/exec/target-device.ts).
 */
export interface DrivenSmmu {
  readonly profile: SmmuProfile;
  readonly mem: SparseMemory;
  readonly cmdq: { ptr(): QueuePtr; base(): bigint };
  /** Set by bootSmmu, read by installSte (kept on the SMMU: a WeakMap beside it cost more than the rest of bring-up). */
  bootState?: BootState | undefined;
  readReg(offset: number): bigint;
  writeReg(offset: number, value: bigint): CmdqResult | undefined;
}

export interface BootOptions {
  strtab: 'linear' | '2level';
  sidBits?: number;
  split?: number;
  cmdqLog2: number;
  evtqLog2: number;
  recinvsid?: boolean;
  /**
   * The boot batch keeps the length it has on an SMMU with IDR0.HYP (a second TLBI_NSNH_ALL in
   * place of TLBI_EL2_ALL), so queue indices in every later record match the reference model's.
   */
  padEl2?: boolean;
  /** SMMU_CR2.E2H=1 (a VHE host, as Linux sets it with ARM_SMMU_FEAT_E2H); ignored without IDR0.HYP (§6.3.12). */
  e2h?: boolean;
  /** Replaces the compact invalidation batch: called once CMDQEN is acknowledged. */
  invalidate?: (dev: DrivenSmmu) => void;
  /** Software's own placement (zeroed there, as a driver zeroes what it allocates); default: allocated. */
  strtabBase?: bigint;
  cmdqBase?: bigint;
  evtqBase?: bigint;
  /** PROD = CONS written before the queue is enabled (index and wrap bit; default 0). */
  cmdqStart?: bigint;
  evtqStart?: bigint;
  /** Raw level-1 descriptors written into a 2-level table before any STE (§5.1: any Span). */
  l1?: readonly { index: number; span: number; l2ptr?: bigint }[];
}

export interface BootInfo {
  strtabBase: bigint;
  cmdqBase: bigint;
  evtqBase: bigint;
  /** Result of the compact CFGI_ALL / TLBI / CMD_SYNC batch; undefined with `invalidate`. */
  init: CmdqResult | undefined;
}

/** Where bring-up put the stream table and how it is laid out: what installSte needs. */
export interface BootState {
  alloc: PageAllocator;
  twoLevel: boolean;
  split: number;
  sidBits: number;
  strtabBase: bigint;
}

const one = (v: bigint[]): bigint => v[0] ?? 0n;

// The compact reset batch's commands and the constant register values, encoded once (every
// scenario boots; the encodings never change).
const CFGI_ALL = encodeCommand('CFGI_STE_RANGE', { Range: 31 });
const TLBI_EL2_ALL = encodeCommand('TLBI_EL2_ALL', {});
const TLBI_NSNH_ALL = encodeCommand('TLBI_NSNH_ALL', {});
const SYNC_NONE = encodeCommand('CMD_SYNC', { CS: 0 });
const CR1_VALUE = one(CR1.encode({ QUEUE_IC: 1, QUEUE_OC: 1, QUEUE_SH: 3, TABLE_IC: 1, TABLE_OC: 1, TABLE_SH: 3 }));
const IRQ_CTRL_VALUE = one(IRQ_CTRL.encode({ GERROR_IRQEN: 1, EVENTQ_IRQEN: 1 }));

/** Set or clear one CR0 enable, keeping CR0's other fields, and check that CR0ACK follows (§6.3.9). */
function enable(dev: DrivenSmmu, name: keyof typeof CR0_ENABLE, on: boolean): void {
  const cur = dev.readReg(REG.CR0) & (CR0.definedMask[0] ?? 0n);
  const next = on ? cur | CR0_ENABLE[name] : cur & ~CR0_ENABLE[name];
  dev.writeReg(REG.CR0, next);
  if (dev.readReg(REG.CR0ACK) !== next) throw new Error(`SMMU_CR0ACK 0x${dev.readReg(REG.CR0ACK).toString(16)} did not follow SMMU_CR0 0x${next.toString(16)}`);
}

/**
 * Restart the command queue at ring index `index` (index and wrap bit, bits [log2:0]) with no
 * filler commands: CMDQ_CONS is writable only while CR0.CMDQEN and CR0ACK.CMDQEN are 0 (§6.3.28),
 * so software disables the queue, writes PROD = CONS = index and enables it again (§6.3.9). What
 * the queue still held (CONS behind PROD) is discarded, as when a driver resets its queue.
 */
export function restartCmdqAt(dev: DrivenSmmu, index: number): void {
  enable(dev, 'CMDQEN', false);
  dev.writeReg(REG.CMDQ_CONS, BigInt(index));
  dev.writeReg(REG.CMDQ_PROD, BigInt(index));
  enable(dev, 'CMDQEN', true);
}

export function bootSmmu(dev: DrivenSmmu, alloc: PageAllocator, opts: BootOptions): BootInfo {
  const p = dev.profile;
  const twoLevel = opts.strtab === '2level';
  if (twoLevel && p.stLevel !== 1) throw new Error('Cannot boot SMMU with a 2-level stream table: IDR0.ST_LEVEL=0');
  const sidBits = Math.min(opts.sidBits ?? (twoLevel ? p.sidSize : Math.min(8, p.sidSize)), p.sidSize);
  const split = opts.split ?? 8;
  if (opts.cmdqLog2 > p.cmdqs || opts.evtqLog2 > p.eventqs) throw new Error(`Cannot boot SMMU: queue size exceeds IDR1.CMDQS=${p.cmdqs}/EVENTQS=${p.eventqs}`);

  const place = (at: bigint | undefined, bytes: number, align: number): bigint => {
    if (at === undefined) return alloc.alloc(bytes, align);
    dev.mem.zero(at, bytes);
    return at;
  };
  const strtabBytes = twoLevel ? 8 * 2 ** Math.max(0, sidBits - split) : 64 * 2 ** sidBits;
  const strtabBase = place(opts.strtabBase, strtabBytes, twoLevel ? Math.max(64, strtabBytes) : strtabBytes);
  const cmdqBytes = 16 * 2 ** opts.cmdqLog2;
  const cmdqBase = place(opts.cmdqBase, cmdqBytes, Math.max(32, cmdqBytes));
  const evtqBytes = 32 * 2 ** opts.evtqLog2;
  const evtqBase = place(opts.evtqBase, evtqBytes, Math.max(32, evtqBytes));
  for (const d of twoLevel ? (opts.l1 ?? []) : []) {
    // A table for the STEs the Span covers, at most 2^SPLIT of them (a larger Span is still written as given).
    const stes = 2 ** (Math.min(d.span, split + 1) - 1);
    const l2 = d.l2ptr ?? (d.span === 0 ? 0n : alloc.alloc(64 * stes, 64 * stes));
    dev.mem.write64(strtabBase + BigInt(8 * d.index), one(L1STD.encode({ Span: d.span, L2Ptr: l2 })));
  }

  dev.writeReg(REG.CR0, 0n);
  dev.writeReg(REG.CR1, CR1_VALUE);
  dev.writeReg(REG.CR2, one(CR2.encode({ RECINVSID: (opts.recinvsid ?? true) ? 1 : 0, E2H: opts.e2h === true && p.hyp ? 1 : 0 })));
  dev.writeReg(REG.STRTAB_BASE, one(STRTAB_BASE.encode({ ADDR: strtabBase, RA: 1 })));
  dev.writeReg(REG.STRTAB_BASE_CFG, one(STRTAB_BASE_CFG.encode({ FMT: twoLevel ? 1 : 0, LOG2SIZE: sidBits, SPLIT: twoLevel ? split : 0 })));
  dev.writeReg(REG.CMDQ_BASE, one(CMDQ_BASE.encode({ ADDR: cmdqBase, LOG2SIZE: opts.cmdqLog2, RA: 1 })));
  dev.writeReg(REG.CMDQ_PROD, opts.cmdqStart ?? 0n);
  dev.writeReg(REG.CMDQ_CONS, opts.cmdqStart ?? 0n);
  dev.writeReg(REG.EVENTQ_BASE, one(EVENTQ_BASE.encode({ ADDR: evtqBase, LOG2SIZE: opts.evtqLog2, WA: 1 })));
  dev.writeReg(REG.EVENTQ_PROD, opts.evtqStart ?? 0n);
  dev.writeReg(REG.EVENTQ_CONS, opts.evtqStart ?? 0n);
  dev.writeReg(REG.IRQ_CTRL, IRQ_CTRL_VALUE);

  enable(dev, 'CMDQEN', true);
  let init: CmdqResult | undefined;
  if (opts.invalidate !== undefined) opts.invalidate(dev);
  else {
    const inv: (readonly bigint[])[] = [CFGI_ALL];
    // TLBI_EL2_ALL only exists with IDR0.Hyp (CERROR_ILL otherwise, §4.4); Hyp is RES0 unless S1P and S2P (§6.3.1)
    if (p.hyp) inv.push(TLBI_EL2_ALL);
    else if (opts.padEl2 === true) inv.push(TLBI_NSNH_ALL);
    inv.push(TLBI_NSNH_ALL);
    inv.push(SYNC_NONE);
    init = submitCommands(dev, inv);
  }
  enable(dev, 'EVENTQEN', true);
  enable(dev, 'SMMUEN', true);
  dev.bootState = { alloc, twoLevel, split, sidBits, strtabBase };
  return { strtabBase, cmdqBase, evtqBase, init };
}

/** Write an STE into the stream table (creating the L2 table on demand for 2-level). Returns its address. */
export function installSte(dev: DrivenSmmu, sid: number, dwords: readonly bigint[]): bigint {
  const st = dev.bootState;
  if (st === undefined) throw new Error('Cannot install STE: the device was not booted with bootSmmu');
  if (sid >= 2 ** st.sidBits) throw new RangeError(`Cannot install STE for StreamID 0x${sid.toString(16)}: the stream table covers ${st.sidBits} bits`);
  let addr: bigint;
  if (st.twoLevel) {
    const l1Addr = st.strtabBase + BigInt(Math.floor(sid / 2 ** st.split) * 8);
    let desc = dev.mem.read64(l1Addr) ?? 0n;
    if (L1STD.get([desc], 'Span') === 0n) {
      const bytes = 64 * 2 ** st.split;
      const l2 = st.alloc.alloc(bytes, bytes);
      desc = one(L1STD.encode({ Span: st.split + 1, L2Ptr: l2 }));
      dev.mem.write64(l1Addr, desc);
    }
    addr = L1STD.get([desc], 'L2Ptr') + BigInt((sid % 2 ** st.split) * 64);
  } else {
    addr = st.strtabBase + BigInt(sid * 64);
  }
  for (let i = 0; i < 8; i++) dev.mem.write64(addr + BigInt(8 * i), dwords[i] ?? 0n);
  return addr;
}

/**
 * Write commands at PROD (handling wrap) and publish them with one PROD write. A batch larger
 * than the free space is split: each chunk is published once the queue has room (if the queue
 * stops consuming, the remaining commands are not written and the last result is returned).
 */
export function submitCommands(dev: DrivenSmmu, cmds: readonly (readonly bigint[])[]): CmdqResult {
  const ptr = dev.cmdq.ptr();
  const base = dev.cmdq.base();
  let i = 0;
  let last: CmdqResult | undefined;
  const executed: CmdqResult['executed'] = [];
  const syncs: CmdqResult['syncs'] = [];
  do {
    const prod = dev.readReg(REG.CMDQ_PROD);
    const cons = dev.readReg(REG.CMDQ_CONS);
    const used = ptr.count(prod, cons);
    // Software may have written PROD behind CONS (used > size): like a driver, treat that as a
    // full queue rather than a negative free count, and give up once a publish made no room.
    const free = Math.max(0, ptr.size - used);
    if (free === 0 && last !== undefined) break;
    let wr = ptr.norm(prod);
    const take = Math.min(free, cmds.length - i);
    for (let k = 0; k < take; k++, i++) {
      const c = cmds[i] ?? [];
      const slot = base + BigInt((wr % ptr.size) * 16);
      dev.mem.write64(slot, c[0] ?? 0n);
      dev.mem.write64(slot + 8n, c[1] ?? 0n);
      wr = (wr + 1) % (2 * ptr.size);
    }
    const r = dev.writeReg(REG.CMDQ_PROD, (prod & ~BigInt(2 * ptr.size - 1)) | BigInt(wr));
    if (r === undefined) throw new Error('Cannot submit commands: CMDQ_PROD write had no effect');
    // (a loop, not push(...): a 2^19-entry batch overflows the call stack as arguments)
    for (const x of r.executed) executed.push(x);
    for (const x of r.syncs) syncs.push(x);
    last = r;
    if (r.error !== 'CERROR_NONE' || r.stalled) break;
  } while (i < cmds.length);
  const res = last as CmdqResult;
  // Commands left unwritten: the queue stopped making progress (§3.5: software cannot publish
  // into a full queue), reported as a stall like an injected one.
  return { ...res, executed, syncs, stalled: res.stalled || (i < cmds.length && res.error === 'CERROR_NONE') };
}
