/**
 * Test fixtures for the device tests (src/smmu/*.test.ts): a booted device, STE/CD builders with
 * legal defaults, and a minimal VMSAv8-64 4KB-granule table writer (39-bit input, start level 1)
 * so the device tests do not depend on the io-pgtable builders. Not used by production code.
 */
import { CD } from '../arch/cd.ts';
import { decodeEvent, type DecodedEvent } from '../arch/event.ts';
import type { FieldInput } from '../arch/fields.ts';
import { STE } from '../arch/ste.ts';
import { PageAllocator } from '../memory/page-allocator.ts';
import { SparseMemory } from '../memory/sparse-memory.ts';
import { type BootInfo, type BootOptions, bootSmmu } from './boot.ts';
import { SmmuDevice } from './device.ts';
import type { SmmuProfile } from './profile.ts';
import type { CachePolicy } from './cache-policy.ts';

export interface Kit {
  dev: SmmuDevice;
  mem: SparseMemory;
  alloc: PageAllocator;
  boot: BootInfo;
}

export function mkKit(opts: { profile?: Partial<SmmuProfile>; boot?: Partial<BootOptions>; cachePolicy?: CachePolicy } = {}): Kit {
  const mem = new SparseMemory();
  const alloc = new PageAllocator(0x1000_0000n, 0x8000_0000n, mem);
  const dev = new SmmuDevice({ mem, ...(opts.profile ? { profile: opts.profile } : {}), ...(opts.cachePolicy ? { cachePolicy: opts.cachePolicy } : {}) });
  const boot = bootSmmu(dev, alloc, { strtab: 'linear', cmdqLog2: 8, evtqLog2: 6, ...opts.boot });
  return { dev, mem, alloc, boot };
}

/** Stage-1 STE (Config=0b101) with legal defaults. */
export function steS1(f: FieldInput): bigint[] {
  return STE.encode({ V: 1, Config: 5, S1CIR: 1, S1COR: 1, S1CSH: 3, ...f });
}

/** Stage-2 fields with legal defaults: 4KB granule, 39-bit IPA, start level 1, 48-bit PS. */
export function s2Fields(ttb: bigint, vmid = 1): FieldInput {
  return { S2VMID: vmid, S2T0SZ: 25, S2SL0: 1, S2TG: 0, S2PS: 5, S2AA64: 1, S2R: 1, S2TTB: ttb, S2IR0: 1, S2OR0: 1, S2SH0: 3 };
}

export function steS2(ttb: bigint, f: FieldInput = {}): bigint[] {
  return STE.encode({ V: 1, Config: 6, ...s2Fields(ttb), ...f });
}

export function steNested(ttb: bigint, f: FieldInput): bigint[] {
  return STE.encode({ V: 1, Config: 7, S1CIR: 1, S1COR: 1, S1CSH: 3, ...s2Fields(ttb), ...f });
}

/** Stage-1 CD with legal defaults: 4KB, T0SZ=25, EPD1=1, IPS=48 bits, R=1, A=1. */
export function cdS1(ttb0: bigint, f: FieldInput = {}): bigint[] {
  return CD.encode({ V: 1, AA64: 1, R: 1, A: 1, ASET: 1, T0SZ: 25, TG0: 0, EPD1: 1, T1SZ: 25, TG1: 2, IPS: 5, ASID: 1, TTB0: ttb0, ...f });
}

/** A 4KB table page, zeroed. */
export function table(alloc: PageAllocator): bigint {
  return alloc.alloc(4096, 4096);
}

/**
 * Map one 4KB page in a 3-level (L1..L3) table rooted at `root`. Table pages come from `alloc`
 * (their addresses are used as-is: PAs, or IPAs that the caller maps identity at stage 2).
 */
export function mapPage(mem: SparseMemory, alloc: PageAllocator, root: bigint, va: bigint, pa: bigint, stage: 1 | 2, perm: 'rw' | 'ro' = 'rw'): void {
  let t = root;
  for (let level = 1; level <= 3; level++) {
    const shift = BigInt(12 + 9 * (3 - level));
    const slot = t + ((va >> shift) & 0x1ffn) * 8n;
    if (level === 3) {
      const ap = stage === 1 ? (perm === 'rw' ? 0b01n : 0b11n) << 6n : (perm === 'rw' ? 0b11n : 0b01n) << 6n;
      // Stage 1: nG=1 (bit 11) so entries are ASID-tagged; stage 2: MemAttr Normal WB.
      const attr = stage === 2 ? 0b1111n << 2n : 1n << 11n;
      mem.write64(slot, pa | (1n << 10n) | ap | attr | 0b11n);
      return;
    }
    let d = mem.read64(slot) ?? 0n;
    if ((d & 3n) !== 3n) {
      const next = table(alloc);
      d = next | 0b11n;
      mem.write64(slot, d);
    }
    t = d & 0x0000_ffff_ffff_f000n;
  }
}

/** Drain the event queue and decode every record. */
export function events(dev: SmmuDevice): DecodedEvent[] {
  return dev.drainEvents().map((e) => decodeEvent(e.raw));
}
