/**
 * Reusing one QEMU for many scenarios (one per runner thread) instead of starting one per
 * scenario, which is most of a scenario's cost. A closed target parks its QEMU only in a state
 * indistinguishable from a fresh start, as far as any scenario can observe:
 *  - memory: QMP system_reset does not clear guest RAM, so every page the scenario wrote (tables,
 *    queues, STEs) and every event-queue ring the SMMU may have written is zeroed; DMA writes
 *    store zeros only (target.ts EDU_WRITE_SRC) and the PA canary is put back, so nothing else
 *    in memory changed;
 *  - SMMU: system_reset runs the model's reset (registers, the sticky 2-level stream-table
 *    flag, configuration and TLB caches); registers whose reset leaves an old value (QEMU keeps
 *    STRTAB_BASE, queue base addresses, IRQ_CFG*) are written back to what a fresh QEMU reads,
 *    and the machine is dropped when a register still differs (unrestorable);
 *  - PCI: the reset clears BARs and COMMAND, which are programmed again.
 * A transport error, a timeout or a failed step of the park drops the QEMU; the next scenario
 * starts a fresh one. test/qemu-reuse.test.ts proves the result of every scenario is byte for
 * byte that of a fresh QEMU, run forwards and backwards on one reused QEMU.
 * SMMU_CONFORM_QEMU_REUSE=0 turns reuse off (one fresh QEMU per scenario).
 */
import { REG, REG64 } from '../../arch/registers.ts';
import type { SyncQtest } from './bridge.ts';

/** Architected register offset → value as read (64-bit registers whole). */
export type RegSnapshot = ReadonlyMap<number, bigint>;

/** A running QEMU's machine: what it was started with and its register values when fresh. */
export interface Machine {
  readonly binary: string;
  /** StreamIDs that have an edu. */
  readonly sids: ReadonlySet<number>;
  readonly edus: ReadonlyArray<{ readonly sid: number; readonly bar: bigint }>;
  readonly ivshmem: ReadonlyArray<{ readonly devfn: number; readonly base: bigint }>;
  /** PCIe root ports whose secondary bus numbers the harness programs (their reset clears them). */
  readonly ports: ReadonlyArray<{ readonly devfn: number; readonly bus: number; readonly window: { readonly base: bigint; readonly limit: bigint } }>;
  readonly regs: RegSnapshot;
}

/** Every architected register, 64-bit flag; read for the snapshot. */
export const REG_LIST: ReadonlyArray<readonly [number, boolean]> = Object.values(REG).map((o) => [o, REG64.has(o)] as const);

/** Registers software cannot write (ID registers, acknowledgements, status): a difference there cannot be restored. */
const READ_ONLY: ReadonlySet<number> = new Set([
  REG.IDR0,
  REG.IDR1,
  REG.IDR2,
  REG.IDR3,
  REG.IDR4,
  REG.IDR5,
  REG.IIDR,
  REG.AIDR,
  REG.CR0ACK,
  REG.IRQ_CTRLACK,
  REG.GERROR,
  REG.STATUSR,
]);

let override: boolean | undefined;

/** Whether closed targets park their QEMU for the next scenario (default on). */
export function qemuReuse(): boolean {
  return override ?? process.env['SMMU_CONFORM_QEMU_REUSE'] !== '0';
}

/** Force reuse on or off in this thread (tests); undefined: back to the environment. */
export function setQemuReuse(on: boolean | undefined): void {
  override = on;
}

const parked = new WeakMap<SyncQtest, Machine>();

/** What happened to this thread's QEMUs (the benchmark and the tests read it). */
export interface ReuseStats {
  /** QEMUs started (spawn, connect, PCI set-up) and the milliseconds it took. */
  fresh: number;
  freshMs: number;
  /** Scenarios that took a parked QEMU. */
  reused: number;
  /** Parks (clear, reset, restore, PCI) that succeeded, and their milliseconds. */
  parked: number;
  parkMs: number;
  /** Why a closed QEMU was not parked, by reason. */
  dropped: Record<string, number>;
}

export const reuseStats: ReuseStats = { fresh: 0, freshMs: 0, reused: 0, parked: 0, parkMs: 0, dropped: {} };

export function noteDropped(why: string): void {
  reuseStats.dropped[why] = (reuseStats.dropped[why] ?? 0) + 1;
}

export function parkMachine(q: SyncQtest, m: Machine): void {
  parked.set(q, m);
}

/** The parked machine of this bridge, if it still runs `binary` and has an edu for every StreamID. */
export function unparkMachine(q: SyncQtest, binary: string, sids: readonly number[]): Machine | undefined {
  const m = parked.get(q);
  parked.delete(q);
  if (m === undefined || q.running?.binary !== binary || !sids.every((s) => m.sids.has(s))) return undefined;
  reuseStats.reused++;
  return m;
}

const PAGE = 0x1000n;

/** qtest `memset` lines zeroing the pages and ranges (adjacent pages merged into one run). */
export function dirtyMemset(pages: ReadonlySet<bigint>, ranges: ReadonlyArray<{ readonly base: bigint; readonly size: bigint }>): string[] {
  const out: string[] = [];
  const sorted = [...pages].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (let i = 0; i < sorted.length; ) {
    const start = sorted[i] as bigint;
    let end = start;
    while (i + 1 < sorted.length && sorted[i + 1] === end + 1n) end = sorted[++i] as bigint;
    i++;
    out.push(memset(start * PAGE, (end - start + 1n) * PAGE));
  }
  for (const r of ranges) if (r.size > 0n) out.push(memset(r.base, r.size));
  return out;
}

function memset(base: bigint, size: bigint): string {
  return `memset 0x${base.toString(16)} ${size.toString()} 0x00`;
}

/**
 * What to write so the registers read as in `fresh` again, given what they read `now`; a
 * read-only register that differs is unrestorable (the machine is then not reused).
 */
export function regRestore(fresh: RegSnapshot, now: RegSnapshot): { writes: Array<readonly [number, bigint]>; unrestorable: number[] } {
  const writes: Array<readonly [number, bigint]> = [];
  const unrestorable: number[] = [];
  for (const [off, v] of fresh) {
    if (now.get(off) === v) continue;
    if (READ_ONLY.has(off)) unrestorable.push(off);
    else writes.push([off, v]);
  }
  return { writes, unrestorable };
}
