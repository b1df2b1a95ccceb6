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
 * One QEMU per scenario (the 2-level stream-table format is sticky until reset in QEMU 7.2–10.0).
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
import { SyncQtest } from './bridge.ts';
import { okValue } from './qtest.ts';

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
 * Bytes of a DMA: one naturally aligned access of up to 4 bytes. QEMU's memory core splits an
 * access at its natural alignment and translates (and faults) each piece, so an unaligned 4-byte
 * DMA at 0x…123 records three events (0x…123, 0x…124, 0x…126) where the architecture has one
 * transaction and one record.
 */
export function dmaBytes(iova: bigint): number {
  return (iova & 1n) !== 0n ? 1 : (iova & 2n) !== 0n ? 2 : 4;
}
const MAX_POLLS = 10_000;

export const QEMU_MEMORY: readonly TargetMemoryRange[] = [...IVSHMEM, { base: RAM_BASE, size: RAM_SIZE - 0x1000n }];

/** Which StreamIDs an edu on PCI bus 0 can have: RID = devfn, device 0 is the host bridge. */
export function qemuStreamIdProblem(sid: number): string | undefined {
  if (sid >= 8 && sid <= 0xff) return undefined;
  if (sid < 8) return `StreamID ${sid} is not reachable on QEMU virt: RID 0x0-0x7 is the PCI host bridge (00:00.x), so no edu can issue it`;
  return `StreamID 0x${sid.toString(16)} is not reachable on QEMU virt: only bus 0 (RID < 0x100) is set up`;
}

interface Edu {
  readonly sid: number;
  readonly bar: bigint;
}

const hex = (v: bigint): string => `0x${v.toString(16)}`;

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

  constructor(opts: QemuTargetOptions) {
    qemuVersion(opts.binary); // a clear error before anything starts when the binary is missing
    this.#q = opts.bridge ?? threadBridge();
    const sids = [...new Set(opts.sids)].filter((s) => qemuStreamIdProblem(s) === undefined).sort((a, b) => a - b);
    const args = machineArgs(sids);
    this.#q.start(opts.binary, args.argv);
    try {
      this.#setupPci(args.edus, args.ivshmem);
      for (const e of args.edus) this.#edus.set(e.sid, e);
    } catch (e) {
      this.#q.stop();
      throw e;
    }
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

  /** The QEMU version string (`qemu-system-aarch64 --version`) is not needed per scenario; the caller names the binary. */
  #setupPci(edus: readonly Edu[], ivshmem: ReadonlyArray<{ devfn: number; base: bigint }>): void {
    const lines: string[] = [];
    const cfg = (devfn: number, off: number): string => hex(ECAM_BASE + BigInt((devfn << 12) + off));
    for (const v of ivshmem) {
      // BAR2 is ivshmem-plain's 64-bit RAM BAR (§PCI 3.0 6.2.5.1: BAR pair low/high)
      lines.push(
        `writel ${cfg(v.devfn, 0x18)} ${hex(v.base & 0xffff_ffffn)}`,
        `writel ${cfg(v.devfn, 0x1c)} ${hex(v.base >> 32n)}`,
        `writel ${cfg(v.devfn, 0x04)} 0x2`,
      );
    }
    for (const e of edus) lines.push(`writel ${cfg(e.sid, 0x10)} ${hex(e.bar)}`, `writel ${cfg(e.sid, 0x04)} 0x6`);
    const checks = edus.map((e) => `readl ${cfg(e.sid, 0)}`);
    const replies = this.#q.batch([...lines, ...checks]);
    replies.slice(0, lines.length).forEach((r, i) => {
      if (r !== 'OK') throw new TargetFailure(`QEMU PCI set-up "${lines[i] ?? ''}" answered "${r}"`);
    });
    replies.slice(lines.length).forEach((r, i) => {
      const v = okValue(checks[i] ?? '', r) & 0xffff_ffffn;
      if (v !== EDU_ID) throw new TargetFailure(`QEMU PCI set-up: no edu at RID 0x${(edus[i]?.sid ?? 0).toString(16)} (ECAM read ${hex(v)})`);
    });
  }

  idRegs(): TargetIdRegs {
    if (this.#idRegs === undefined) {
      const offs = [0x0, 0x4, 0x8, 0xc, 0x10, 0x14, 0x18, 0x1c];
      const cmds = offs.map((o) => `readl ${hex(SMMU_BASE + BigInt(o))}`);
      const v = this.#q.batch(cmds).map((r, i) => okValue(cmds[i] ?? '', r));
      const g = (i: number): bigint => v[i] ?? 0n;
      this.#idRegs = { idr0: g(0), idr1: g(1), idr2: g(2), idr3: g(3), idr4: g(4), idr5: g(5), iidr: g(6), aidr: g(7) };
    }
    return this.#idRegs;
  }
  readReg32(offset: number): number {
    const cmd = `readl ${hex(SMMU_BASE + BigInt(offset))}`;
    return Number(okValue(cmd, this.#one(cmd)) & 0xffff_ffffn);
  }
  writeReg32(offset: number, value: number): void {
    this.#ok(`writel ${hex(SMMU_BASE + BigInt(offset))} ${hex(BigInt(value >>> 0))}`);
  }
  readReg64(offset: number): bigint {
    const cmd = `readq ${hex(SMMU_BASE + BigInt(offset))}`;
    return okValue(cmd, this.#one(cmd));
  }
  writeReg64(offset: number, value: bigint): void {
    this.#ok(`writeq ${hex(SMMU_BASE + BigInt(offset))} ${hex(BigInt.asUintN(64, value))}`);
  }
  readMem(pa: bigint, length: number): Uint8Array {
    const cmd = `read ${hex(pa)} ${length}`;
    const r = this.#one(cmd);
    const m = /^OK 0x([0-9a-fA-F]*)$/.exec(r);
    if (m === null) throw new TargetFailure(`qtest "${cmd}" answered "${r}"`);
    const h = m[1] as string;
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
    return out;
  }
  writeMem(pa: bigint, data: Uint8Array): void {
    this.writeMemMany([{ pa, data }]);
  }
  /** One pipelined batch of `write` commands. */
  writeMemMany(writes: ReadonlyArray<{ readonly pa: bigint; readonly data: Uint8Array }>): void {
    const lines = writes.filter((w) => w.data.length > 0).map((w) => `write ${hex(w.pa)} ${w.data.length} 0x${Buffer.from(w.data).toString('hex')}`);
    if (lines.length === 0) return;
    this.#q.batch(lines).forEach((r, i) => {
      if (r !== 'OK') throw new TargetFailure(`qtest "${(lines[i] ?? '').slice(0, 40)}…" answered "${r}"`);
    });
  }
  transaction(t: TargetTransaction): TargetTransactionOutcome {
    const edu = this.#edus.get(t.sid);
    if (edu === undefined) throw new TargetFailure(`No edu device for StreamID 0x${t.sid.toString(16)}`);
    // cmd bit0 RUN, bit1 direction (1: edu → RAM, a DMA write); count ≤ 4095 (edu off-by-one)
    const write = t.access === 'write';
    const reg = (o: bigint): string => hex(edu.bar + o);
    const lines = [
      `writeq ${reg(EDU_DMA_SRC)} ${hex(write ? EDU_BUF : t.iova)}`,
      `writeq ${reg(EDU_DMA_DST)} ${hex(write ? t.iova : EDU_BUF)}`,
      `writeq ${reg(EDU_DMA_CNT)} ${hex(BigInt(t.size ?? dmaBytes(t.iova)))}`,
      `writeq ${reg(EDU_DMA_CMD)} ${write ? '0x3' : '0x1'}`,
      `readl ${reg(EDU_DMA_CMD)}`,
    ];
    const r = this.#q.batch(lines);
    r.slice(0, 4).forEach((x, i) => {
      if (x !== 'OK') throw new TargetFailure(`qtest "${lines[i] ?? ''}" answered "${x}"`);
    });
    let status = okValue(lines[4] ?? '', r[4] ?? '');
    for (let polls = 0; (status & 1n) !== 0n; polls++) {
      if (polls >= MAX_POLLS) throw new TargetFailure(`edu DMA at StreamID 0x${t.sid.toString(16)} did not complete after ${MAX_POLLS} polls`);
      status = okValue(lines[4] ?? '', this.#one(lines[4] ?? ''));
    }
    return { kind: 'unobserved' };
  }
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#q.stop();
  }

  #one(cmd: string): string {
    return this.#q.batch([cmd])[0] ?? '';
  }
  #ok(cmd: string): void {
    const r = this.#one(cmd);
    if (r !== 'OK') throw new TargetFailure(`qtest "${cmd}" answered "${r}"`);
  }
}

/** The QEMU command line for a scenario's StreamIDs (docs: shared/reference/qemu-qtest.md §2). */
export function machineArgs(sids: readonly number[]): { argv: string[]; edus: Edu[]; ivshmem: Array<{ devfn: number; base: bigint }> } {
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
  const slots = new Map<number, number[]>();
  for (const sid of sids) slots.set(sid >> 3, [...(slots.get(sid >> 3) ?? []), sid & 7]);
  let bar = EDU_BAR_BASE;
  for (const [slot, fns] of [...slots].sort((a, b) => a[0] - b[0])) {
    const multi = fns.some((f) => f !== 0);
    const all = multi && !fns.includes(0) ? [0, ...fns] : fns;
    for (const fn of all.sort((a, b) => a - b)) {
      const addr = `${slot.toString(16).padStart(2, '0')}.${fn}`;
      argv.push('-device', `edu,addr=${addr},dma_mask=0xffffffffffffffff${multi && fn === 0 ? ',multifunction=on' : ''}`);
      if (fns.includes(fn)) {
        edus.push({ sid: (slot << 3) | fn, bar });
        bar += EDU_BAR_SIZE;
      }
    }
  }
  const free = [...Array(31).keys()].map((i) => 31 - i).filter((s) => s > 0 && !slots.has(s));
  const ivshmem = IVSHMEM.map((r, i) => {
    const slot = free[i];
    if (slot === undefined) throw new TargetFailure('No free PCI slot for the ivshmem memory windows');
    argv.push(
      '-object',
      `memory-backend-ram,id=ivm${i},size=${r.size >> 20n}M,share=on`,
      '-device',
      `ivshmem-plain,memdev=ivm${i},addr=${slot.toString(16).padStart(2, '0')}.0`,
    );
    return { devfn: slot << 3, base: r.base };
  });
  return { argv, edus, ivshmem };
}
