/**
 * QEMU's SMMUv3 model (`qemu-system-aarch64 -M virt,iommu=smmuv3`) as a target, driven over qtest
 * with no guest kernel (shared/reference/qemu-qtest.md has the measured facts used here):
 *  - SMMU registers at 0x0905_0000 (page 1 aliased onto page 0);
 *  - the vCPU is parked in a WFI loop and `-icount shift=0,sleep=off` makes edu's 100 ms DMA
 *    timer fire at once (Debian strips the qtest accelerator, so clock_step is unavailable);
 *  - one PCI `edu` device per StreamID (StreamID = RID = devfn on bus 0), DMA of one naturally
 *    aligned access of up to 4 bytes so that a fault gives exactly one event record (QEMU records
 *    one per failing access it splits a DMA into: dmaBytes), IOVA < 2^48;
 *  - the harness's memory layout (src/engine/exec/layout.ts: tables from 0x1000_0000) is backed
 *    without relocation: RAM from 0x4000_0000 (4 GiB) plus three ivshmem-plain RAM BARs placed at
 *    0x1000_0000, 0x2000_0000 and 0x3000_0000, so no address in any golden changes.
 * One QEMU per runner thread, reused across scenarios (reuse.ts has why that is safe): closing a
 * target parks its QEMU clean (memory it touched zeroed, QMP system_reset, registers checked
 * against a fresh start, PCI set up again); the next scenario whose StreamIDs that machine has
 * takes it, any other starts a fresh QEMU, and so does everything after a transport error.
 */
import { execFileSync } from 'node:child_process';
import {
  TargetFailure,
  type SmmuTarget,
  type TargetCapabilities,
  type TargetIdRegs,
  type TargetMemoryRange,
  type TargetTransaction,
  type TargetTransactionOutcome,
} from '../contract.ts';
import { REG, REG64, regName } from '../../arch/registers.ts';
import { performance } from 'node:perf_hooks';
import { SyncQtest } from './bridge.ts';
import { okValue } from './qtest.ts';
import { type Machine, REG_LIST, type RegSnapshot, dirtyMemset, noteDropped, parkMachine, qemuReuse, regRestore, reuseStats, unparkMachine } from './reuse.ts';
import { hex } from '../../arch/hex.ts';

export const SMMU_BASE = 0x0905_0000n;
const ECAM_BASE = 0x40_1000_0000n;
const RAM_BASE = 0x4000_0000n;
const RAM_SIZE = 4n << 30n;
/** The vCPU's park loop: `WFI; B .-4` (little-endian), on the last RAM page. */
const PARK = RAM_BASE + RAM_SIZE - 0x1000n;
const PARK_CODE = '0x17ffffffd503207f';
const IVSHMEM: ReadonlyArray<{ base: bigint; size: bigint }> = [
  { base: 0x1000_0000n, size: 256n << 20n },
  { base: 0x2000_0000n, size: 256n << 20n },
  { base: 0x3000_0000n, size: 128n << 20n },
];
const EDU_BAR_BASE = 0x3800_0000n;
const EDU_BAR_SIZE = 0x10_0000n;
const EDU_ID = 0x11e8_1234n;
/** edu registers (QEMU docs/specs/edu.rst): DMA source, destination, count, command/status. */
const EDU_DMA_SRC = 0x80n;
const EDU_DMA_DST = 0x88n;
const EDU_DMA_CNT = 0x90n;
const EDU_DMA_CMD = 0x98n;
/** edu's own buffer in its DMA address space (4 KiB; a DMA touching its last byte aborts QEMU). */
const EDU_BUF = 0x4_0000n;
/**
 * Where a DMA write takes its data from: half-way into edu's buffer, which no DMA ever writes
 * (reads land at EDU_BUF), so every DMA write stores zeros whatever ran before: what a write
 * leaves in memory does not depend on earlier scenarios, and a canary shows where it landed.
 */
const EDU_WRITE_SRC = EDU_BUF + 0x800n;
/** The StreamID every reusable machine has an edu for (the one most scenarios use). */
const COMMON_SID = 0x10;
/**
 * Bytes of a DMA: one naturally aligned access of up to 4 bytes. QEMU's memory core splits an
 * access at its natural alignment and translates (and faults) each piece, so an unaligned 4-byte
 * DMA at 0x…123 records three events (0x…123, 0x…124, 0x…126) where the architecture has one
 * transaction and one record.
 */
export function dmaBytes(iova: bigint): number {
  return (iova & 1n) !== 0n ? 1 : (iova & 2n) !== 0n ? 2 : 4;
}
const MAX_POLLS = 10_000;
const DMA_POLLS = 3;
/** The byte a write's expected PA is filled with before the DMA (any non-zero value). */
const CANARY = 0xa5;
const EVENTQ_BASE_REG = REG.EVENTQ_BASE;
/** QEMU's IDR1.EVENTQS (7.2 and 10.0): the largest event queue it uses, whatever LOG2SIZE says. */
const MAX_EVENTQ_LOG2 = 19;

export const QEMU_MEMORY: readonly TargetMemoryRange[] = [...IVSHMEM, { base: RAM_BASE, size: RAM_SIZE - 0x1000n }];

/**
 * Which StreamIDs an edu can have (StreamID = PCI requester ID = bus<<8 | devfn on virt). Bus 0
 * (the root bus): slots 1–31, any function; slot 0 is the host bridge (gpex-root, single-function,
 * so no device can sit at 00:00.1–7). Buses 1–255: each behind its own PCIe root port, whose
 * secondary bus number is programmed over ECAM; a PCIe link has only device 0 below it, so on
 * those buses devfn 0–7 (RID bus<<8 | 0..7). Other RIDs would need a conventional PCI bus, where
 * QEMU masks every device behind the bridge's own requester ID, as bare metal does.
 */
export function qemuStreamIdProblem(sid: number): string | undefined {
  if (sid >= 8 && sid <= 0xff) return undefined;
  if (sid < 8)
    return `StreamID ${sid} is not reachable on QEMU virt: RID 0x0-0x7 is slot 0 of the root bus, where the single-function PCI host bridge sits (00:00.0), so no edu can issue it`;
  if (sid > 0xffff) return `StreamID 0x${sid.toString(16)} is not reachable on QEMU virt: a PCI requester ID has 16 bits`;
  if ((sid & 0xf8) !== 0)
    return `StreamID 0x${sid.toString(16)} is not reachable on QEMU virt: bus ${sid >> 8} is the link below a PCIe root port, which has only device 0 (RID 0x${(sid & 0xff00).toString(16)}-0x${((sid & 0xff00) | 7).toString(16)}); a conventional PCI bus would alias every device to the bridge's requester ID`;
  return undefined;
}

interface Edu {
  readonly sid: number;
  readonly bar: bigint;
}

/** A PCIe root port on the root bus (its devfn) whose secondary bus is `bus`, with the MMIO window of the edus below it. */
interface RootPort {
  readonly devfn: number;
  readonly bus: number;
  readonly window: { readonly base: bigint; readonly limit: bigint };
}

export interface QemuTargetOptions {
  readonly binary: string;
  /** StreamIDs that will issue transactions (one edu each). */
  readonly sids: readonly number[];
  /** Reuse a bridge (one worker per runner thread); created when absent. */
  readonly bridge?: SyncQtest;
}

const versions = new Map<string, string>();
/** `qemu-system-aarch64 --version` → "7.2.22"; throws TargetFailure naming the binary when it cannot run. */
export function qemuVersion(binary: string): string {
  let v = versions.get(binary);
  if (v === undefined) {
    let out: string;
    try {
      out = execFileSync(binary, ['--version'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new TargetFailure(
        code === 'ENOENT'
          ? `QEMU not found: ${binary} (install it with scripts/install-qemu.sh)`
          : `Cannot run ${binary} --version: ${e instanceof Error ? (e.message.split('\n')[0] ?? '') : String(e)}`,
      );
    }
    const m = /QEMU emulator version (\d+\.\d+\.\d+)/.exec(out);
    if (m === null) throw new TargetFailure(`${binary} is not a QEMU system emulator (--version said "${out.split('\n')[0] ?? ''}")`);
    v = m[1] as string;
    versions.set(binary, v);
  }
  return v;
}

let sharedBridge: SyncQtest | undefined;
/** One bridge (worker thread) per runner thread, started on first use. */
export function threadBridge(): SyncQtest {
  sharedBridge ??= new SyncQtest();
  return sharedBridge;
}

export class QemuTarget implements SmmuTarget {
  readonly name: string;
  readonly version: string;
  readonly memory = QEMU_MEMORY;
  readonly capabilities: TargetCapabilities;
  readonly #q: SyncQtest;
  readonly #edus = new Map<number, Edu>();
  #idRegs: TargetIdRegs | undefined;
  #closed = false;
  readonly #machine: Machine;
  /** A request failed: the QEMU is not reused. */
  #tainted = false;
  /** 4 KiB pages this scenario wrote, and event-queue ranges the SMMU may have written: zeroed before reuse. */
  readonly #dirtyPages = new Set<bigint>();
  readonly #dirtyRanges: Array<{ base: bigint; size: bigint }> = [];

  constructor(opts: QemuTargetOptions) {
    qemuVersion(opts.binary); // a clear error before anything starts when the binary is missing
    this.#q = opts.bridge ?? threadBridge();
    const sids = [...new Set(opts.sids)].filter((s) => qemuStreamIdProblem(s) === undefined).sort((a, b) => a - b);
    const reuse = qemuReuse();
    let m = reuse ? unparkMachine(this.#q, opts.binary, sids) : undefined;
    if (m === undefined) m = this.#fresh(opts.binary, reuse ? [...new Set([...sids, COMMON_SID])].sort((a, b) => a - b) : sids);
    this.#machine = m;
    for (const e of m.edus) this.#edus.set(e.sid, e);
    const v = qemuVersion(opts.binary);
    this.version = v.split('.').slice(0, 2).join('.');
    this.name = `qemu-${this.version}`;
    this.capabilities = {
      substreams: false,
      privileged: false,
      instruction: false,
      iovaLimit: 1n << 48n,
      streamIds: (sid) => qemuStreamIdProblem(sid) ?? (this.#edus.has(sid) ? undefined : `StreamID 0x${sid.toString(16)} has no edu device`),
      transactionOutcome: false,
      interrupts: false,
      msi: false,
      stall: false,
      faultInjection: false,
    };
  }

  /** Start a fresh QEMU with an edu per StreamID, set its PCI devices up and take the register snapshot reuse compares with. */
  #fresh(binary: string, sids: readonly number[]): Machine {
    const t0 = performance.now();
    const args = machineArgs(sids);
    this.#q.start(binary, args.argv);
    try {
      this.#setupPci(args);
      const regs = this.#regSnapshot();
      reuseStats.fresh++;
      reuseStats.freshMs += performance.now() - t0;
      return { binary, sids: new Set(args.edus.map((e) => e.sid)), edus: args.edus, ivshmem: args.ivshmem, ports: args.ports, regs };
    } catch (e) {
      this.#q.stop();
      throw e;
    }
  }

  /** Every architected register as read now (64-bit ones whole). */
  #regSnapshot(): RegSnapshot {
    const cmds = REG_LIST.map(([off, is64]) => `${is64 ? 'readq' : 'readl'} ${hex(SMMU_BASE + BigInt(off))}`);
    const v = this.#q.batch(cmds).map((r, i) => okValue(cmds[i] ?? '', r));
    return new Map(REG_LIST.map(([off], i) => [off, v[i] ?? 0n]));
  }

  /** The QEMU version string (`qemu-system-aarch64 --version`) is not needed per scenario; the caller names the binary. */
  #setupPci(m: Pick<Machine, 'edus' | 'ivshmem' | 'ports'>): void {
    const lines: string[] = [];
    const cfg = (bdf: number, off: number): string => hex(ECAM_BASE + BigInt((bdf << 12) + off));
    for (const v of m.ivshmem) {
      // BAR2 is ivshmem-plain's 64-bit RAM BAR (§PCI 3.0 6.2.5.1: BAR pair low/high)
      lines.push(
        `writel ${cfg(v.devfn, 0x18)} ${hex(v.base & 0xffff_ffffn)}`,
        `writel ${cfg(v.devfn, 0x1c)} ${hex(v.base >> 32n)}`,
        `writel ${cfg(v.devfn, 0x04)} 0x2`,
      );
    }
    for (const p of m.ports) {
      // type-1 header (PCI-to-PCI Bridge 1.2 §3.2): primary 0, secondary = subordinate = bus;
      // memory window [base, limit] in 1 MiB units; MEM + bus master so MMIO goes down and DMA up
      const win = (((p.window.limit >> 16n) & 0xfff0n) << 16n) | ((p.window.base >> 16n) & 0xfff0n);
      lines.push(
        `writel ${cfg(p.devfn, 0x18)} ${hex(BigInt((p.bus << 16) | (p.bus << 8)))}`,
        `writel ${cfg(p.devfn, 0x20)} ${hex(win)}`,
        `writel ${cfg(p.devfn, 0x04)} 0x6`,
      );
    }
    for (const e of m.edus) lines.push(`writel ${cfg(e.sid, 0x10)} ${hex(e.bar)}`, `writel ${cfg(e.sid, 0x04)} 0x6`);
    const checks = m.edus.map((e) => `readl ${cfg(e.sid, 0)}`);
    const replies = this.#q.batch([...lines, ...checks]);
    replies.slice(0, lines.length).forEach((r, i) => {
      if (r !== 'OK') throw new TargetFailure(`QEMU PCI set-up "${lines[i] ?? ''}" answered "${r}"`);
    });
    replies.slice(lines.length).forEach((r, i) => {
      const v = okValue(checks[i] ?? '', r) & 0xffff_ffffn;
      if (v !== EDU_ID) throw new TargetFailure(`QEMU PCI set-up: no edu at RID 0x${(m.edus[i]?.sid ?? 0).toString(16)} (ECAM read ${hex(v)})`);
    });
  }

  idRegs(): TargetIdRegs {
    if (this.#idRegs === undefined) {
      const offs = [0x0, 0x4, 0x8, 0xc, 0x10, 0x14, 0x18, 0x1c];
      const cmds = offs.map((o) => `readl ${hex(SMMU_BASE + BigInt(o))}`);
      const v = this.#batch(cmds).map((r, i) => this.#value(cmds[i] ?? '', r));
      const g = (i: number): bigint => v[i] ?? 0n;
      this.#idRegs = { idr0: g(0), idr1: g(1), idr2: g(2), idr3: g(3), idr4: g(4), idr5: g(5), iidr: g(6), aidr: g(7) };
    }
    return this.#idRegs;
  }
  readReg32(offset: number): number {
    const cmd = `readl ${hex(SMMU_BASE + BigInt(offset))}`;
    return Number(this.#value(cmd, this.#one(cmd)) & 0xffff_ffffn);
  }
  writeReg32(offset: number, value: number): void {
    this.#ok(`writel ${hex(SMMU_BASE + BigInt(offset))} ${hex(BigInt(value >>> 0))}`);
    if (offset === EVENTQ_BASE_REG || offset === EVENTQ_BASE_REG + 4) this.#noteEventq();
  }
  readReg64(offset: number): bigint {
    const cmd = `readq ${hex(SMMU_BASE + BigInt(offset))}`;
    return this.#value(cmd, this.#one(cmd));
  }
  writeReg64(offset: number, value: bigint): void {
    this.#ok(`writeq ${hex(SMMU_BASE + BigInt(offset))} ${hex(BigInt.asUintN(64, value))}`);
    if (offset === EVENTQ_BASE_REG) this.#noteEventq();
  }
  readMem(pa: bigint, length: number): Uint8Array {
    const cmd = `read ${hex(pa)} ${length}`;
    return this.#bytes(cmd, this.#one(cmd), length);
  }
  writeMem(pa: bigint, data: Uint8Array): void {
    this.writeMemMany([{ pa, data }]);
  }
  /** One pipelined batch of `write` commands. */
  writeMemMany(writes: ReadonlyArray<{ readonly pa: bigint; readonly data: Uint8Array }>): void {
    const ws = writes.filter((w) => w.data.length > 0);
    if (ws.length === 0) return;
    for (const w of ws) for (let p = w.pa >> 12n; p <= (w.pa + BigInt(w.data.length) - 1n) >> 12n; p++) this.#dirtyPages.add(p);
    const lines = ws.map((w) => `write ${hex(w.pa)} ${w.data.length} 0x${Buffer.from(w.data).toString('hex')}`);
    this.#batch(lines).forEach((r, i) => {
      if (r !== 'OK') throw this.#fail(`qtest "${(lines[i] ?? '').slice(0, 40)}…" answered "${r}"`);
    });
  }
  transaction(t: TargetTransaction): TargetTransactionOutcome {
    const edu = this.#edus.get(t.sid);
    if (edu === undefined) throw this.#fail(`No edu device for StreamID 0x${t.sid.toString(16)}`);
    // cmd bit0 RUN, bit1 direction (1: edu → RAM, a DMA write); count ≤ 4095 (edu off-by-one)
    const write = t.access === 'write';
    const size = t.size ?? dmaBytes(t.iova);
    const reg = (o: bigint): string => hex(edu.bar + o);
    const lines = [
      `writeq ${reg(EDU_DMA_SRC)} ${hex(write ? EDU_WRITE_SRC : t.iova)}`,
      `writeq ${reg(EDU_DMA_DST)} ${hex(write ? t.iova : EDU_BUF)}`,
      `writeq ${reg(EDU_DMA_CNT)} ${hex(BigInt(size))}`,
      `writeq ${reg(EDU_DMA_CMD)} ${write ? '0x3' : '0x1'}`,
      // the DMA runs from a timer icount fires within 2 polls (7.2) or 3 (10.0): pipelined with the start
      ...Array<string>(DMA_POLLS).fill(`readl ${reg(EDU_DMA_CMD)}`),
    ];
    const probe = write && t.expectPa !== undefined ? this.#canary(t.expectPa, size) : undefined;
    const r = this.#batch(lines);
    r.slice(0, 4).forEach((x, i) => {
      if (x !== 'OK') throw this.#fail(`qtest "${lines[i] ?? ''}" answered "${x}"`);
    });
    let status = this.#value(lines[4] ?? '', r[lines.length - 1] ?? '');
    for (let polls = 0; (status & 1n) !== 0n; polls++) {
      if (polls >= MAX_POLLS) throw this.#fail(`edu DMA at StreamID 0x${t.sid.toString(16)} did not complete after ${MAX_POLLS} polls`);
      status = this.#value(lines[4] ?? '', this.#one(lines[4] ?? ''));
    }
    if (probe === undefined) return { kind: 'unobserved' };
    // the write stores zeros (EDU_WRITE_SRC): the canary gone means it landed at expectPa; then
    // the software's copy of that memory is put back (the reference model moves no data)
    const after = this.readMem(probe.pa, size);
    this.writeMem(probe.pa, probe.saved);
    return after.every((b) => b === 0) ? { kind: 'completed', pa: probe.pa } : { kind: 'unobserved', notAt: probe.pa };
  }
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (!qemuReuse()) this.#q.stop();
    else if (this.#tainted) {
      noteDropped('a request failed');
      this.#q.stop();
    } else if (!this.#park()) this.#q.stop();
  }

  /**
   * Leave this QEMU as a fresh one would be (reuse.ts): zero what the scenario may have written,
   * system_reset, registers back to their fresh values, PCI set up again. False when any of it
   * failed or a register cannot be restored: the caller stops the QEMU.
   */
  #park(): boolean {
    const m = this.#machine;
    const t0 = performance.now();
    const drop = (why: string): false => {
      noteDropped(why);
      return false;
    };
    try {
      const clear = dirtyMemset(this.#dirtyPages, this.#dirtyRanges);
      if (clear.length > 0) for (const r of this.#q.batch(clear)) if (r !== 'OK') return drop('memset failed');
      this.#q.reset();
      const { writes, unrestorable } = regRestore(m.regs, this.#regSnapshot());
      if (unrestorable.length > 0) return drop(`read-only register differs after reset (${unrestorable.map((o) => regName(o) ?? hex(BigInt(o))).join(', ')})`);
      if (writes.length > 0) {
        const lines = writes.map(([off, v]) => `${REG64.has(off) ? 'writeq' : 'writel'} ${hex(SMMU_BASE + BigInt(off))} ${hex(v)}`);
        for (const r of this.#q.batch(lines)) if (r !== 'OK') return drop('register restore failed');
        const left = regRestore(m.regs, this.#regSnapshot()).writes;
        if (left.length > 0) return drop(`register cannot be restored (${left.map(([o]) => regName(o) ?? hex(BigInt(o))).join(', ')})`);
      }
      this.#setupPci(m);
      parkMachine(this.#q, m);
      reuseStats.parked++;
      reuseStats.parkMs += performance.now() - t0;
      return true;
    } catch (e) {
      return drop(`park failed: ${e instanceof Error ? e.message.split(';')[0] : String(e)}`);
    }
  }

  /** The bytes at `pa` (saved), then a non-zero canary written there. */
  #canary(pa: bigint, size: number): { pa: bigint; saved: Uint8Array } {
    const saved = this.readMem(pa, size);
    this.writeMem(pa, new Uint8Array(size).fill(CANARY));
    return { pa, saved };
  }

  /** Record the event-queue ring the SMMU may write (EVENTQ_BASE as it now reads: ADDR[51:5], LOG2SIZE capped by QEMU). */
  #noteEventq(): void {
    const v = this.readReg64(EVENTQ_BASE_REG);
    const log2 = Math.min(Number(v & 0x1fn), MAX_EVENTQ_LOG2);
    this.#dirtyRanges.push({ base: v & 0x000f_ffff_ffff_ffe0n, size: 32n << BigInt(log2) });
  }

  #batch(lines: readonly string[]): readonly string[] {
    try {
      return this.#q.batch(lines);
    } catch (e) {
      this.#tainted = true;
      throw e;
    }
  }
  #one(cmd: string): string {
    return this.#batch([cmd])[0] ?? '';
  }
  #ok(cmd: string): void {
    const r = this.#one(cmd);
    if (r !== 'OK') throw this.#fail(`qtest "${cmd}" answered "${r}"`);
  }
  #value(cmd: string, reply: string): bigint {
    try {
      return okValue(cmd, reply);
    } catch (e) {
      throw this.#fail(e instanceof Error ? e.message : String(e));
    }
  }
  #bytes(cmd: string, reply: string, length: number): Uint8Array {
    const m = /^OK 0x([0-9a-fA-F]*)$/.exec(reply);
    if (m === null) throw this.#fail(`qtest "${cmd}" answered "${reply}"`);
    const h = m[1] as string;
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
    return out;
  }
  /** A failure that also keeps this QEMU from being reused. */
  #fail(message: string): TargetFailure {
    this.#tainted = true;
    return new TargetFailure(message);
  }
}

/** The QEMU command line for a scenario's StreamIDs (docs: shared/reference/qemu-qtest.md §2). */
export function machineArgs(sids: readonly number[]): { argv: string[]; edus: Edu[]; ivshmem: Array<{ devfn: number; base: bigint }>; ports: RootPort[] } {
  const argv = [
    '-M',
    'virt,iommu=smmuv3',
    '-cpu',
    'max',
    '-m',
    `${RAM_SIZE >> 20n}M`,
    '-display',
    'none',
    '-nodefaults',
    '-icount',
    'shift=0,sleep=off',
    '-device',
    `loader,addr=${hex(PARK)},data=${PARK_CODE},data-len=8`,
    '-device',
    `loader,addr=${hex(PARK)},cpu-num=0`,
  ];
  const edus: Edu[] = [];
  // (bus, slot) → functions wanted; bus 0 slots 1–31, other buses slot 0 below a root port
  const slots = new Map<number, number[]>();
  for (const sid of sids) slots.set(sid >> 3, [...(slots.get(sid >> 3) ?? []), sid & 7]);
  const rootSlots = new Set([...slots.keys()].filter((k) => k < 32));
  const buses = [...new Set([...slots.keys()].filter((k) => k >= 32).map((k) => k >> 5))].sort((a, b) => a - b);
  const free = [...Array(31).keys()].map((i) => 31 - i).filter((s) => s > 0 && !rootSlots.has(s));
  if (free.length < IVSHMEM.length + buses.length) throw new TargetFailure('No free PCI slots on the root bus for the memory windows and root ports');
  let bar = EDU_BAR_BASE;
  const ports: RootPort[] = [];
  const portSlot = new Map<number, number>();
  buses.forEach((bus, i) => {
    const slot = free[IVSHMEM.length + i] as number;
    portSlot.set(bus, slot);
    argv.push('-device', `pcie-root-port,id=rp${bus},bus=pcie.0,addr=${slot.toString(16).padStart(2, '0')}.0,chassis=${bus},slot=${bus}`);
  });
  for (const [key, fns] of [...slots].sort((a, b) => a[0] - b[0])) {
    const bus = key >> 5;
    const slot = key & 31;
    const multi = fns.some((f) => f !== 0);
    const all = multi && !fns.includes(0) ? [0, ...fns] : fns;
    const first = bar;
    for (const fn of all.sort((a, b) => a - b)) {
      const addr = `${slot.toString(16).padStart(2, '0')}.${fn}`;
      argv.push('-device', `edu,${bus > 0 ? `bus=rp${bus},` : ''}addr=${addr},dma_mask=0xffffffffffffffff${multi && fn === 0 ? ',multifunction=on' : ''}`);
      if (fns.includes(fn)) {
        edus.push({ sid: (key << 3) | fn, bar });
        bar += EDU_BAR_SIZE;
      }
    }
    if (bus > 0) ports.push({ devfn: (portSlot.get(bus) as number) << 3, bus, window: { base: first, limit: bar - 1n } });
  }
  const ivshmem = IVSHMEM.map((r, i) => {
    const slot = free[i] as number;
    argv.push(
      '-object',
      `memory-backend-ram,id=ivm${i},size=${r.size >> 20n}M,share=on`,
      '-device',
      `ivshmem-plain,memdev=ivm${i},addr=${slot.toString(16).padStart(2, '0')}.0`,
    );
    return { devfn: slot << 3, base: r.base };
  });
  return { argv, edus, ivshmem, ports };
}
