/**
 * io-pgtable-like builder: turns mappings into real VMSAv8-64 translation tables in SparseMemory,
 * for stage 1 (one TTBx range) or stage 2 (with concatenated start tables, §5.2 S2SL0).
 *
 * Block mappings are used where size and alignment allow (4K: L1/L2, 16K: L2, 64K: L2 and L1 with
 * 52-bit OA) unless `pageOnly`. Raw overrides plant any value at any slot (illegal encodings).
 */
import { PageAllocator } from '../memory/page-allocator.ts';
import { SparseMemory } from '../memory/sparse-memory.ts';
import { POW2, TWO32, blockAllowed, encodeOA, encodeOAParts, isValid, levelShift, sl0ForLevel, startLevelS1, startLevelS2 } from '../arch/ttd.ts';
import { type DescriptorRead, type TableTree, WALK_LEAF, WALK_STOPPED, descriptorSlot, leafOutput, newTableWalk, walkTables } from '../smmu/walk.ts';
import {
  type Granule,
  type S1LeafAttrs,
  type S2LeafAttrs,
  type TableAttrs,
  granuleShift,
  psEncoding,
  s1Leaf,
  s2Leaf,
  tableDesc,
  tg0Encoding,
  tg1Encoding,
  withTableAttrs,
} from '../arch/ttd.ts';
import { MAX_SAFE_BIG } from '../arch/safe.ts';

/** What the builder needs of memory: SparseMemory, or a view of it (e.g. IPA space, see ipaView). */
export interface TableMemory {
  read64(addr: bigint): bigint | undefined;
  write64(addr: bigint, value: bigint): void;
  back(addr: bigint, size: number): void;
  /** Optional fast path: back [addr, addr+size) and set it to zero, the same as `back` and zero `write64`s over it. */
  zero?(addr: bigint, size: number): void;
  /** Optional fast path: `read64` at a safe-integer address as halves, false when undefined (SparseMemory.readU64Parts). */
  readU64Parts?(addr: number, out: Uint32Array): boolean;
}

/** Memory seen through an address translation (nested tables live at IPAs): `toPa(ipa)`. */
export function ipaView(mem: SparseMemory, toPa: (ipa: bigint) => bigint): TableMemory {
  return {
    read64: (a) => mem.read64(toPa(a)),
    write64: (a, v) => mem.write64(toPa(a), v),
    back: (a, size) => {
      for (let off = 0; off < size; off += 4096) mem.back(toPa(a + BigInt(off)), Math.min(4096, size - off));
    },
  };
}

export type TableAlloc = PageAllocator | ((size: number, level: number, va: bigint) => bigint);

export interface BuilderOptions {
  stage: 1 | 2;
  granule: Granule;
  /** Input address size in bits: 64 - TxSZ (stage 1) or 64 - S2T0SZ (stage 2). */
  iaBits: number;
  /** Output address size (IPS / S2PS) in bits. Default 48. */
  oaBits?: number;
  /** Stage 2: start level (default: as stage 1 would, no concatenation). Concatenation up to 16 tables. */
  startLevel?: number;
  mem: TableMemory;
  alloc: TableAlloc;
}

export interface MapOptions {
  /** Only level-3 pages. */
  pageOnly?: boolean;
  /** Force the leaf level (size and alignment must fit). */
  level?: number;
}

export type LeafAttrs = S1LeafAttrs & S2LeafAttrs;

/** The 32-bit halves of a 64-bit address, without bigint arithmetic when it is a safe integer. */
function halves(va: bigint, out: Uint32Array): void {
  if (va >= 0n && va <= MAX_SAFE_BIG) {
    const n = Number(va);
    out[0] = n >>> 0;
    out[1] = Math.floor(n / TWO32);
  } else {
    out[0] = Number(va & 0xffffffffn);
    out[1] = Number(BigInt.asUintN(64, va) >> 32n);
  }
}
const vaParts = new Uint32Array(2);
const slotParts = new Uint32Array(2);
/** map's OA halves: read right after encodeOAParts fills them (a nested map may run in between). */
const oaParts = new Uint32Array(2);
const hex = (hi: number, lo: number): string => ((BigInt(hi) << 32n) | BigInt(lo)).toString(16);

/**
 * Address of the descriptor for `va` at `level` in the table at `tableBase`: the walker's
 * descriptorSlot (src/smmu/walk.ts) at the bigint edge (tests use this).
 */
export function descriptorAddress(tableBase: bigint, level: number, va: bigint, granule: Granule, startLevel: number, iaBits: number): bigint {
  halves(va, vaParts);
  const lo = vaParts[0] as number;
  const hi = vaParts[1] as number;
  return BigInt(descriptorSlot(Number(tableBase), granuleShift(granule), level, startLevel, iaBits, hi, lo, hi * TWO32 + lo));
}

/**
 * Start level of a table of this geometry, or why it cannot be built (a validator uses this to
 * reject a scenario before running it). Stage 2 may concatenate up to 16 start tables (§5.2 S2SL0).
 */
export function tableGeometry(stage: 1 | 2, granule: Granule, iaBits: number, startLevel?: number): number | string {
  const g = granuleShift(granule);
  const natural = startLevelS1(g, iaBits);
  let start = natural;
  if (stage === 2) {
    // Without DS, 16K cannot start at level 0: concatenate level-1 tables instead (§5.2 S2SL0).
    if (startLevelS2(g, sl0ForLevel(g, start)) !== start) start++;
    if (startLevel !== undefined) start = startLevel;
    if (startLevelS2(g, sl0ForLevel(g, start)) !== start) {
      return `Cannot build ${granule / 1024}K stage-2 tables starting at level ${start}: no S2SL0 encoding for it`;
    }
  }
  const excess = iaBits - levelShift(g, start) - (g - 3);
  if (natural < 0 || start < natural || excess > 4 || start > 3) {
    return `Cannot build ${granule / 1024}K stage-${stage} tables for ${iaBits}-bit input at start level ${start} (natural start ${natural}; at most 16 concatenated tables)`;
  }
  return start;
}

/**
 * Upper bound on the leaf descriptors `map` writes for [va, va+size) -> [pa, ...): blocks where
 * va and pa share the block alignment, pages elsewhere (a head and a tail per block size).
 * `pa` undefined: only granule alignment is known. Lets a validator bound table-building work.
 */
export function leafCountBound(va: bigint, pa: bigint | undefined, size: bigint, granule: Granule, oaBits: number, pageOnly: boolean): bigint {
  const g = granuleShift(granule);
  const gran = BigInt(granule);
  if (pageOnly || pa === undefined) return (size + gran - 1n) / gran;
  let total = 0n;
  let largest = gran;
  for (let l = 2; l >= 1; l--) {
    const bs = 1n << BigInt(levelShift(g, l));
    if (!blockAllowed(g, l, oaBits >= 52) || (va - pa) % bs !== 0n || bs > size) continue;
    if (bs > largest) {
      // head + tail at the next smaller size: fewer than 2 * bs / (smaller size) leaves
      total += 2n * (bs / largest);
      largest = bs;
    }
  }
  return total + size / largest + 2n;
}

export class PageTableBuilder {
  readonly stage: 1 | 2;
  readonly granule: Granule;
  readonly iaBits: number;
  readonly oaBits: number;
  readonly startLevel: number;
  readonly ttb: bigint;
  readonly mem: TableMemory;
  readonly #alloc: TableAlloc;
  readonly #g: number;
  /** The tables as the walker reads them (walkTables): geometry and a descriptor reader. */
  readonly #tree: TableTree;
  readonly #read: DescriptorRead;
  readonly #walk = newTableWalk();

  constructor(o: BuilderOptions) {
    this.stage = o.stage;
    this.granule = o.granule;
    this.iaBits = o.iaBits;
    this.oaBits = o.oaBits ?? 48;
    this.mem = o.mem;
    this.#alloc = o.alloc;
    this.#g = granuleShift(o.granule);
    const geo = tableGeometry(o.stage, o.granule, o.iaBits, o.startLevel);
    if (typeof geo === 'string') throw new RangeError(geo);
    this.startLevel = geo;
    this.ttb = this.#newTable(this.#tableBytes(geo), geo, 0n);
    this.#tree = { ttb: Number(this.ttb), g: this.#g, start: geo, ia: o.iaBits, lpa: this.oaBits >= 52 };
    const mem = o.mem;
    const parts = mem instanceof SparseMemory ? mem : mem.readU64Parts !== undefined ? (mem as Required<Pick<TableMemory, 'readU64Parts'>>) : undefined;
    this.#read =
      parts !== undefined
        ? (pa, out) => parts.readU64Parts(pa, out)
        : (pa, out) => {
            const v = mem.read64(BigInt(pa));
            if (v === undefined) return false;
            out[0] = Number(v & 0xffffffffn);
            out[1] = Number(v >> 32n);
            return true;
          };
  }

  /** Walk the tables for `va` (walkTables) down to a leaf or to `stopAt`. */
  #walkTo(va: bigint, stopAt: number, visited?: number[]): number {
    halves(va, vaParts);
    return walkTables(this.#read, this.#tree, vaParts[1] as number, vaParts[0] as number, stopAt, this.#walk, visited);
  }

  /**
   * Output address of `va` through these tables, or undefined when unmapped: the walker's
   * descent without a translation's checks (io-pgtable's iova_to_phys). `visited` collects the
   * descriptor addresses read.
   */
  outputAddress(va: bigint, visited?: number[]): bigint | undefined {
    halves(va, vaParts);
    // Locals: a read through an IPA view walks another builder, which reuses vaParts.
    const lo = vaParts[0] as number;
    const hi = vaParts[1] as number;
    if (walkTables(this.#read, this.#tree, hi, lo, 4, this.#walk, visited) !== WALK_LEAF) return undefined;
    return BigInt(leafOutput(this.#walk, this.#g, hi, lo));
  }

  #tableBytes(level: number): number {
    if (level !== this.startLevel) return this.granule;
    return 2 ** (this.iaBits - levelShift(this.#g, level)) * 8;
  }

  #newTable(size: number, level: number, va: bigint): bigint {
    const bytes = Math.max(size, 64);
    const addr = this.#alloc instanceof PageAllocator ? this.#alloc.alloc(bytes, bytes) : this.#alloc(bytes, level, va);
    if (this.mem instanceof SparseMemory) {
      this.mem.zero(addr, bytes); // whole pages at a time (host tables)
    } else if (this.mem.zero !== undefined) {
      this.mem.zero(addr, bytes); // a view that can zero a page at a time (guest tables in IPA space)
    } else {
      this.mem.back(addr, bytes);
      for (let a = 0; a < bytes; a += 8) this.mem.write64(addr + BigInt(a), 0n);
    }
    return addr;
  }

  /** Block size in bytes at `level`. */
  blockSize(level: number): bigint {
    return 1n << BigInt(levelShift(this.#g, level));
  }

  #leaf(oa: bigint, level: number, a: LeafAttrs): bigint {
    return this.stage === 1 ? s1Leaf(oa, level, this.granule, a) : s2Leaf(oa, level, this.granule, a);
  }

  /** Map [va, va+size) → [pa, pa+size). Throws if any part is already mapped. */
  map(va: bigint, pa: bigint, size: bigint, attrs: LeafAttrs = {}, opts: MapOptions = {}): void {
    // Every address a safe integer (all but TTB1 ranges and test edges): number arithmetic, the
    // leaf written as halves, the same descriptors as the bigint loop below.
    const safe = va >= 0n && pa >= 0n && size > 0n && va <= MAX_SAFE_BIG && pa <= MAX_SAFE_BIG && size <= MAX_SAFE_BIG;
    const v0 = safe ? Number(va) : 0;
    const p0 = safe ? Number(pa) : 0;
    const s0 = safe ? Number(size) : 0;
    if (safe && v0 + s0 <= Number.MAX_SAFE_INTEGER && p0 + s0 <= Number.MAX_SAFE_INTEGER) {
      if (v0 % this.granule !== 0 || p0 % this.granule !== 0 || s0 % this.granule !== 0) this.#misaligned(va, pa, size);
      // A leaf differs from the next only in its OA and level: the other bits once per level.
      const baseLo: number[] = [];
      const baseHi: number[] = [];
      for (let v = v0, p = p0, left = s0; left > 0; ) {
        const level = this.#chooseLevel(v, p, left, opts);
        const slot = this.#placeLeaf(level, Math.floor(v / TWO32), v % TWO32, false);
        if (baseLo[level] === undefined) {
          const b = this.#leaf(0n, level, attrs);
          baseLo[level] = Number(b & 0xffffffffn);
          baseHi[level] = Number(b >> 32n);
        }
        encodeOAParts(p, this.#g, oaParts);
        this.#write(slot, (oaParts[0] as number) | (baseLo[level] as number), (oaParts[1] as number) | (baseHi[level] as number));
        const bs = POW2[levelShift(this.#g, level)] as number;
        v += bs;
        p += bs;
        left -= bs;
      }
      return;
    }
    if ((va | pa | size) % BigInt(this.granule) !== 0n || size <= 0n) this.#misaligned(va, pa, size);
    const base: bigint[] = [];
    for (let off = 0n; off < size; ) {
      const level = this.#chooseLevel(va + off, pa + off, size - off, opts);
      halves(va + off, vaParts);
      const slot = this.#placeLeaf(level, vaParts[1] as number, vaParts[0] as number, false);
      this.mem.write64(BigInt(slot), (base[level] ??= this.#leaf(0n, level, attrs)) | encodeOA(pa + off, this.granule));
      off += this.blockSize(level);
    }
  }

  #misaligned(va: bigint, pa: bigint, size: bigint): never {
    throw new RangeError(`Cannot map 0x${va.toString(16)} -> 0x${pa.toString(16)} size 0x${size.toString(16)}: not ${this.granule}-byte aligned`);
  }

  /** The largest leaf for va -> pa with `left` bytes to go (all numbers or all bigints). */
  #chooseLevel(va: number | bigint, pa: number | bigint, left: number | bigint, opts: MapOptions): number {
    if (opts.level !== undefined) return opts.level;
    if (opts.pageOnly) return 3;
    for (let l = Math.max(this.startLevel, 1); l < 3; l++) {
      if (!blockAllowed(this.#g, l, this.oaBits >= 52)) continue;
      if (typeof va === 'number') {
        const bs = POW2[levelShift(this.#g, l)] as number;
        if (va % bs === 0 && (pa as number) % bs === 0 && (left as number) >= bs) return l;
      } else {
        const bs = this.blockSize(l);
        if (va % bs === 0n && (pa as bigint) % bs === 0n && (left as bigint) >= bs) return l;
      }
    }
    return 3;
  }

  /** Write a descriptor given as halves: without bigints into SparseMemory. */
  #write(slot: number, lo: number, hi: number): void {
    if (this.mem instanceof SparseMemory) this.mem.writeU64Parts(slot, lo, hi);
    else this.mem.write64(BigInt(slot), (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0));
  }

  /**
   * Find or create the table path down to `level` for the address hi:lo and return the slot
   * there (unless `overwrite`, it must be invalid). The descent is the walker's (walkTables):
   * where it ends above `level` on an invalid slot, a new table goes there and the walk is
   * retried; a block (or a reserved encoding) there stays.
   */
  #placeLeaf(level: number, hi: number, lo: number, overwrite: boolean): number {
    const w = this.#walk;
    for (let r = walkTables(this.#read, this.#tree, hi, lo, level, w); r !== WALK_STOPPED; r = walkTables(this.#read, this.#tree, hi, lo, level, w)) {
      if (r === WALK_LEAF || isValid(w.lo)) {
        throw new RangeError(`Cannot place a level-${level} entry for 0x${hex(hi, lo)}: a level-${w.level} block already maps it`);
      }
      const next = this.#newTable(this.granule, w.level + 1, (BigInt(hi) << 32n) | BigInt(lo));
      this.mem.write64(BigInt(w.slot), tableDesc(next, this.granule));
    }
    const slot = w.slot;
    if (!overwrite && this.#read(slot, slotParts) && isValid(slotParts[0] as number)) {
      throw new RangeError(`Cannot map 0x${hex(hi, lo)} at level ${level}: already mapped`);
    }
    return slot;
  }

  /** Size of the leaf (page or block) that maps `va`, or undefined when `va` is unmapped. */
  leafSizeAt(va: bigint): bigint | undefined {
    return this.#walkTo(va, 4) === WALK_LEAF ? this.blockSize(this.#walk.level) : undefined;
  }

  /** Plant a raw descriptor value at the level-`level` slot for `va` (creating tables above it). */
  setRaw(level: number, va: bigint, value: bigint): bigint {
    halves(va, vaParts);
    const slot = BigInt(this.#placeLeaf(level, vaParts[1] as number, vaParts[0] as number, true));
    this.mem.write64(slot, BigInt.asUintN(64, value));
    return slot;
  }

  /** Slot address for `va` at `level`, following existing tables; undefined if the path stops earlier. */
  descAddr(level: number, va: bigint): bigint | undefined {
    return this.#walkTo(va, level) === WALK_STOPPED ? BigInt(this.#walk.slot) : undefined;
  }

  /** Set APTable/XNTable/PXNTable on the table descriptor at `level` for `va` (it must exist). */
  setTableAttrs(level: number, va: bigint, a: TableAttrs): void {
    const slot = this.descAddr(level, va);
    const d = slot === undefined ? undefined : this.mem.read64(slot);
    if (slot === undefined || d === undefined || (d & 3n) !== 3n || level === 3) {
      throw new RangeError(`Cannot set table attributes at level ${level} for 0x${va.toString(16)}: no table descriptor there`);
    }
    this.mem.write64(slot, withTableAttrs(d, a));
  }

  /**
   * Clear leaf entries covering [va, va+size); `freeTables` frees tables left empty. Each leaf is
   * found by the walker's descent (walkTables); a valid encoding it does not descend (a reserved
   * one, planted with setRaw) is cleared like a leaf.
   */
  unmap(va: bigint, size: bigint, opts: { freeTables?: boolean } = {}): void {
    let cur = va;
    const end = va + size;
    const w = this.#walk;
    const visited: number[] = [];
    while (cur < end) {
      visited.length = 0;
      const r = this.#walkTo(cur, 4, visited);
      const step = this.blockSize(w.level);
      if (r === WALK_LEAF || isValid(w.lo)) {
        if (cur % step !== 0n || cur + step > end) {
          throw new RangeError(`Cannot unmap 0x${cur.toString(16)}..0x${end.toString(16)}: it splits a level-${w.level} block (unmap the whole block)`);
        }
        this.mem.write64(BigInt(w.slot), 0n);
        if (opts.freeTables) this.#freeEmpty(visited);
      }
      cur = (cur / step + 1n) * step;
    }
  }

  /** `path`: the descriptor slots a walk read, start level first; each table below the start is freed when empty. */
  #freeEmpty(path: readonly number[]): void {
    const gran = BigInt(this.granule);
    for (let i = path.length - 1; i > 0; i--) {
      // below the start level a table is one granule, aligned to it: the slot's granule is its table
      const table = BigInt(path[i] as number) & ~(gran - 1n);
      for (let a = 0n; a < gran; a += 8n) if ((this.mem.read64(table + a) ?? 0n) !== 0n) return;
      this.mem.write64(BigInt(path[i - 1] as number), 0n);
      if (this.#alloc instanceof PageAllocator) this.#alloc.free(table, this.granule);
    }
  }

  /** CD fields for this range as TTB0 (half 0) or TTB1 (half 1). */
  cdFields(half: 0 | 1 = 0): Record<string, bigint> {
    const tsz = BigInt(64 - this.iaBits);
    return half === 0
      ? { T0SZ: tsz, TG0: BigInt(tg0Encoding(this.granule)), TTB0: this.ttb, IPS: BigInt(psEncoding(this.oaBits)) }
      : { T1SZ: tsz, TG1: BigInt(tg1Encoding(this.granule)), TTB1: this.ttb, IPS: BigInt(psEncoding(this.oaBits)) };
  }

  /** STE stage-2 fields: S2T0SZ, S2SL0, S2TG, S2PS, S2TTB. */
  vtcrFields(): { S2T0SZ: bigint; S2SL0: bigint; S2TG: bigint; S2PS: bigint; S2TTB: bigint } {
    return {
      S2T0SZ: BigInt(64 - this.iaBits),
      S2SL0: BigInt(sl0ForLevel(this.#g, this.startLevel)),
      S2TG: BigInt(tg0Encoding(this.granule)),
      S2PS: BigInt(psEncoding(this.oaBits)),
      S2TTB: this.ttb,
    };
  }
}
