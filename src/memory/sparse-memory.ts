/**
 * Sparse little-endian physical memory over the full 64-bit address space.
 *
 * Only touched 4 KiB pages exist. A read of a page that was never backed returns `undefined`
 * (bigint API) or `false` (hot-path API): the SMMU turns that into an external abort
 * (F_WALK_EABT, F_STE_FETCH, F_CD_FETCH, CERROR_ABT), so it must never look like zeros.
 *
 * Addresses: the bigint API accepts any 64-bit address. Pages are keyed by the page number
 * (address >> 12), which is below 2^52 and therefore exact as a JS number. The hot-path API
 * (`readU64Parts`) takes a number address that must be a safe integer (< 2^53): physical
 * addresses are at most 52 bits (OAS) in every profile, so walks never need bigint.
 *
 * A page backed but never written (a zeroed table, queue or stream table: most of one) shares
 * one read-only zero page; its own 4 KiB are allocated on the first write (copy on write). Reads
 * see zeros either way, so this is invisible except in time and garbage (generate+run campaigns
 * back thousands of such pages a second: bench/generate.bench.ts).
 */
import { MAX_SAFE_BIG } from '../arch/safe.ts';

/** `n` consecutive 64-bit words from `at` through `read64`; undefined if any word is unreadable. */
export function readWordsWith(read64: (addr: bigint) => bigint | undefined, at: bigint, n: number): bigint[] | undefined {
  const out: bigint[] = [];
  for (let i = 0; i < n; i++) {
    const w = read64(at + BigInt(8 * i));
    if (w === undefined) return undefined;
    out.push(w);
  }
  return out;
}

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;
const PAGE_MASK_BIG = BigInt(PAGE_SIZE - 1);
/** The page every backed-but-unwritten page reads through; never written (see #writable). */
const ZERO_VIEW = new DataView(new ArrayBuffer(PAGE_SIZE));

/** Consecutive pages of one ArrayBuffer, with a view of each made once. */
interface Slab {
  readonly bytes: Uint8Array;
  readonly pages: readonly DataView[];
}

function newSlab(pages: number): Slab {
  const buf = new ArrayBuffer(pages * PAGE_SIZE);
  return { bytes: new Uint8Array(buf), pages: Array.from({ length: pages }, (_, i) => new DataView(buf, i * PAGE_SIZE, PAGE_SIZE)) };
}

/** Zeroed slabs of released memories (SparseMemory.release), at most 4 MiB of them. */
const SLAB_POOL: Slab[] = [];
const SLAB_POOL_MAX = 64;

export class MemoryCapError extends RangeError {
  readonly code = 'MEMORY_CAP';
  constructor(capBytes: number, address: bigint) {
    super(
      `Cannot back memory at 0x${address.toString(16)}: the scenario would use more than ${capBytes} bytes of backed memory (raise the memory cap or use fewer pages)`,
    );
  }
}

export interface SparseMemoryOptions {
  /** Maximum number of backed bytes (rounded up to whole pages). Default 256 MiB. */
  readonly maxBackedBytes?: number;
}

export class SparseMemory {
  /** Backed pages: their own view, or ZERO_VIEW until first written. */
  readonly #views = new Map<number, DataView>();
  readonly maxBackedBytes: number;
  // One-entry page cache for the walk hot path: consecutive descriptor reads usually hit the
  // same table page, and the Map lookup dominated a nested TLB miss (bench/translate.bench.ts).
  #lastPage = -1;
  #lastView: DataView | undefined;
  /**
   * Written pages are carved out of slabs of 4, 8 and 16 pages: one ArrayBuffer per slab
   * instead of one per page (allocating and collecting a buffer per page was the largest single
   * cost of a generate+run campaign). At most half of the last slab is unused. `release()` hands
   * the slabs to the next memory (SLAB_POOL), so a campaign allocates almost none.
   */
  readonly #slabs: Slab[] = [];
  #slab: Slab | undefined;
  #slabUsed = 0;

  #version = 0;
  /**
   * Changes whenever what a page-table walk reads may change: every write, zero, unback and
   * release (not `back`: a walk reads an unbacked slot and a zero one alike, as invalid). Lets a
   * cache of walks (engine/exec/s2-pages.ts) know when to forget them.
   */
  get version(): number {
    return this.#version;
  }

  /** Pages written since the last takeDirtyPages(), when tracking is on (an external target's memory sync). */
  #dirty: Set<number> | undefined;

  /** Start recording which pages are written (every page backed so far counts as written). */
  trackWrites(): void {
    this.#dirty = new Set(this.#views.keys());
  }

  /** Pages written since the last call, ascending; tracking must be on. */
  takeDirtyPages(): number[] {
    const d = this.#dirty;
    if (d === undefined) throw new Error('SparseMemory.takeDirtyPages: trackWrites() was not called');
    this.#dirty = new Set();
    return [...d].sort((a, b) => a - b);
  }

  constructor(opts: SparseMemoryOptions = {}) {
    this.maxBackedBytes = opts.maxBackedBytes ?? 256 * 1024 * 1024;
  }

  /** Number of backed bytes (whole pages). */
  get backedBytes(): number {
    return this.#views.size * PAGE_SIZE;
  }

  /** Page numbers that are backed, ascending (for deterministic dumps). */
  backedPages(): number[] {
    return [...this.#views.keys()].sort((a, b) => a - b);
  }

  isBacked(pa: bigint): boolean {
    return this.#views.has(pageNumber(pa));
  }

  /** Back [pa, pa+size) with zero pages (existing contents are kept). */
  back(pa: bigint, size: number): void {
    if (size <= 0) return;
    pageSpan(pa, size);
    const last = SPAN[1] as number;
    for (let p = SPAN[0] as number; p <= last; p++) {
      this.#back(p);
      this.#dirty?.add(p);
    }
  }

  /**
   * Back [pa, pa+size) and set it to zero: the same result as `back` followed by zero `write64`s
   * over the range, whole pages at a time. `pa` and `size` must be 8-byte multiples.
   */
  zero(pa: bigint, size: number): void {
    if (size <= 0) return;
    pageSpan(pa, size);
    if ((SPAN[2] as number) % 8 !== 0) checkAligned(pa, 8);
    this.#version++;
    if (size % 8 !== 0) throw new RangeError(`Cannot zero ${size} bytes at 0x${pa.toString(16)}: not a multiple of 8`);
    const first = SPAN[0] as number;
    const last = SPAN[1] as number;
    const startOff = SPAN[2] as number;
    for (let p = first, done = 0; p <= last; p++) {
      const from = p === first ? startOff : 0;
      const to = Math.min(PAGE_SIZE, from + (size - done));
      const v = this.#views.get(p);
      if (v === undefined)
        this.#back(p); // a new page reads as zeros: nothing to fill
      else if (v !== ZERO_VIEW) {
        // the whole page: share the zero page again; part of it: clear those bytes
        if (from === 0 && to === PAGE_SIZE) this.#setView(p, ZERO_VIEW);
        else new Uint8Array(v.buffer, v.byteOffset, PAGE_SIZE).fill(0, from, to);
      }
      this.#dirty?.add(p);
      done += to - from;
    }
  }

  /** Remove backing: later reads of these pages abort. */
  unback(pa: bigint, size: number): void {
    if (size <= 0) return;
    this.#version++;
    const first = pageNumber(pa);
    const last = pageNumber(BigInt.asUintN(64, pa + BigInt(size - 1)));
    // A range larger than what is backed (an abort injected over terabytes): visit the backed
    // pages instead of every page number, so the work is bounded by memory, not by `size`.
    const drop = (p: number): void => {
      this.#views.delete(p);
    };
    if (last - first + 1 > this.#views.size) {
      for (const p of [...this.#views.keys()]) if (p >= first && p <= last) drop(p);
    } else {
      for (let p = first; p <= last; p++) drop(p);
    }
    this.#lastPage = -1;
    this.#lastView = undefined;
  }

  /** 64-bit little-endian read; `undefined` when the page was never backed. Must be 8-byte aligned. */
  read64(pa: bigint): bigint | undefined {
    if (pa >= 0n && pa <= MAX_SAFE_BIG) {
      // Fast path (every real PA/IPA): number arithmetic, no intermediate bigints.
      const n = Number(pa);
      if (n % 8 !== 0) checkAligned(pa, 8);
      return this.#read64At(n);
    }
    checkAligned(pa, 8);
    const v = this.#views.get(pageNumber(pa));
    if (v === undefined) return undefined;
    return v.getBigUint64(Number(pa & PAGE_MASK_BIG), true);
  }

  read32(pa: bigint): number | undefined {
    checkAligned(pa, 4);
    const v = this.#views.get(pageNumber(pa));
    if (v === undefined) return undefined;
    return v.getUint32(Number(pa & PAGE_MASK_BIG), true);
  }

  /** Backs the page if needed. */
  write64(pa: bigint, value: bigint): void {
    this.#version++;
    if (pa >= 0n && pa <= MAX_SAFE_BIG) {
      const n = Number(pa);
      if (n % 8 !== 0) checkAligned(pa, 8);
      const page = Math.floor(n / PAGE_SIZE);
      const v = page === this.#lastPage && this.#lastView !== ZERO_VIEW ? (this.#lastView as DataView) : this.#viewFor(page);
      v.setBigUint64(n - page * PAGE_SIZE, BigInt.asUintN(64, value), true);
      this.#dirty?.add(page);
      return;
    }
    checkAligned(pa, 8);
    const p = pageNumber(pa);
    this.#viewFor(p).setBigUint64(Number(pa & PAGE_MASK_BIG), BigInt.asUintN(64, value), true);
    this.#dirty?.add(p);
  }

  write32(pa: bigint, value: number): void {
    this.#version++;
    checkAligned(pa, 4);
    const p = pageNumber(pa);
    this.#viewFor(p).setUint32(Number(pa & PAGE_MASK_BIG), value >>> 0, true);
    this.#dirty?.add(p);
  }

  /** Read `n` consecutive 64-bit words (an STE, CD, command or event record). Undefined if any word is unbacked. */
  readWords(pa: bigint, n: number): bigint[] | undefined {
    if (pa < 0n || pa > MAX_SAFE_BIG - BigInt(8 * n) || Number(pa) % 8 !== 0) return readWordsWith((a) => this.read64(a), pa, n);
    // every real PA (an STE, CD or command fetch): the words by number address
    const out: bigint[] = [];
    for (let i = 0, a = Number(pa); i < n; i++, a += 8) {
      const w = this.#read64At(a);
      if (w === undefined) return undefined;
      out.push(w);
    }
    return out;
  }

  /** read64 at an 8-byte aligned safe-integer address. */
  #read64At(n: number): bigint | undefined {
    const page = Math.floor(n / PAGE_SIZE);
    const v = page === this.#lastPage ? this.#lastView : this.#views.get(page);
    if (v === undefined) return undefined;
    return v.getBigUint64(n - page * PAGE_SIZE, true);
  }

  writeWords(pa: bigint, words: readonly bigint[]): void {
    words.forEach((w, i) => this.write64(pa + BigInt(8 * i), w));
  }

  /**
   * Hot-path descriptor read without bigint: writes the low and high 32-bit halves of the
   * 64-bit word at `pa` into out[0], out[1]. Returns false (out untouched) when unbacked.
   * `pa` must be a safe integer and 8-byte aligned (the walker guarantees both).
   */
  readU64Parts(pa: number, out: Uint32Array): boolean {
    const page = Math.floor(pa / PAGE_SIZE);
    let v: DataView | undefined;
    if (page === this.#lastPage) {
      v = this.#lastView as DataView;
    } else {
      v = this.#views.get(page);
      if (v === undefined) return false;
      this.#lastPage = page;
      this.#lastView = v;
    }
    const off = pa - page * PAGE_SIZE;
    out[0] = v.getUint32(off, true);
    out[1] = v.getUint32(off + 4, true);
    return true;
  }

  /** Hot-path write of a 64-bit word given as halves (used by HTTU AF/dirty updates). */
  writeU64Parts(pa: number, lo: number, hi: number): void {
    this.#version++;
    const page = Math.floor(pa / PAGE_SIZE);
    const v = page === this.#lastPage && this.#lastView !== ZERO_VIEW ? (this.#lastView as DataView) : this.#viewFor(page);
    const off = pa - page * PAGE_SIZE;
    v.setUint32(off, lo >>> 0, true);
    v.setUint32(off + 4, hi >>> 0, true);
    this.#dirty?.add(page);
  }

  isBackedNumber(pa: number): boolean {
    return this.#views.has(Math.floor(pa / PAGE_SIZE));
  }

  /** The page's own (writable) view, backing it if needed; remembered as the one-entry cache. */
  #viewFor(p: number): DataView {
    let v = this.#views.get(p);
    if (v === undefined || v === ZERO_VIEW) {
      if (v === undefined) this.#checkCap(p);
      v = this.#newPage();
      this.#views.set(p, v);
    }
    this.#lastPage = p;
    this.#lastView = v;
    return v;
  }

  /** A fresh zeroed page of its own. */
  #newPage(): DataView {
    let slab = this.#slab;
    if (slab === undefined || this.#slabUsed === slab.pages.length) {
      slab = SLAB_POOL.pop() ?? newSlab(Math.min(16, slab === undefined ? 4 : 2 * slab.pages.length));
      this.#slabs.push(slab);
      this.#slab = slab;
      this.#slabUsed = 0;
    }
    return slab.pages[this.#slabUsed++] as DataView;
  }

  /**
   * Give every page back for reuse by later memories (the executor calls this when a scenario
   * is done, see executeScenario): afterwards this memory is empty, every page unbacked. Nothing
   * may keep reading through it, so only the owner of the memory calls this.
   */
  release(): void {
    this.#version++;
    for (const slab of this.#slabs) {
      if (SLAB_POOL.length >= SLAB_POOL_MAX) break;
      const used = slab === this.#slab ? this.#slabUsed : slab.pages.length;
      // zeroed now, so #newPage can hand them out as they are
      slab.bytes.fill(0, 0, used * PAGE_SIZE);
      SLAB_POOL.push(slab);
    }
    this.#slabs.length = 0;
    this.#slab = undefined;
    this.#views.clear();
    this.#lastPage = -1;
    this.#lastView = undefined;
    if (this.#dirty !== undefined) this.#dirty = new Set();
  }

  /** Back page `p` (reading as zeros) if it is not backed yet. */
  #back(p: number): void {
    if (this.#views.has(p)) return;
    this.#checkCap(p);
    this.#views.set(p, ZERO_VIEW);
  }

  #setView(p: number, v: DataView): void {
    this.#views.set(p, v);
    if (this.#lastPage === p) this.#lastView = v;
  }

  #checkCap(p: number): void {
    if ((this.#views.size + 1) * PAGE_SIZE > this.maxBackedBytes) {
      throw new MemoryCapError(this.maxBackedBytes, BigInt(p) << BigInt(PAGE_SHIFT));
    }
  }
}

/** [first page, last page, offset in the first page] of [pa, pa+size) (last < first when it wraps past 2^64). */
const SPAN = new Float64Array(3);
function pageSpan(pa: bigint, size: number): void {
  if (pa >= 0n && pa <= MAX_SAFE_BIG - BigInt(size)) {
    // every real PA: number arithmetic
    const n = Number(pa);
    SPAN[0] = Math.floor(n / PAGE_SIZE);
    SPAN[1] = Math.floor((n + size - 1) / PAGE_SIZE);
    SPAN[2] = n - (SPAN[0] as number) * PAGE_SIZE;
    return;
  }
  SPAN[0] = pageNumber(pa);
  SPAN[1] = pageNumber(BigInt.asUintN(64, pa + BigInt(size - 1)));
  SPAN[2] = Number(BigInt.asUintN(64, pa) & PAGE_MASK_BIG);
}

function pageNumber(pa: bigint): number {
  // Exact: a 64-bit address has a page number below 2^52.
  return Number(BigInt.asUintN(64, pa) >> BigInt(PAGE_SHIFT));
}

function checkAligned(pa: bigint, n: number): void {
  if ((pa & BigInt(n - 1)) !== 0n) throw new RangeError(`Cannot access 0x${pa.toString(16)}: not ${n}-byte aligned`);
}
