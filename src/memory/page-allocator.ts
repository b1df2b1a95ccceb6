/**
 * Deterministic bump allocator for tables and queues. The same sequence of requests always
 * yields the same addresses, whatever else runs in the process, so goldens are stable.
 * Freed blocks are reused first-fit by exact size (io-pgtable frees whole tables), again
 * deterministically.
 */
import { type SparseMemory } from './sparse-memory.ts';
import { MAX_SAFE_BIG } from '../arch/safe.ts';

export class AllocatorExhaustedError extends RangeError {
  readonly code = 'ALLOCATOR_EXHAUSTED';
}

export class PageAllocator {
  readonly base: bigint;
  readonly limit: bigint;
  // Addresses are PAs and IPAs below 2^53 (the constructor checks the range): number arithmetic.
  readonly #limit: number;
  #next: number;
  readonly #free: Array<{ addr: number; size: number }> = [];
  readonly #mem: SparseMemory | undefined;

  /** Allocates from [base, limit). When `mem` is given, allocated blocks are backed (zeroed). */
  constructor(base: bigint, limit: bigint, mem?: SparseMemory) {
    if (limit <= base) throw new RangeError(`Cannot create allocator: limit 0x${limit.toString(16)} <= base 0x${base.toString(16)}`);
    if (base < 0n || limit > MAX_SAFE_BIG)
      throw new RangeError(`Cannot create allocator: range 0x${base.toString(16)}-0x${limit.toString(16)} is not below 2^53`);
    this.base = base;
    this.limit = limit;
    this.#limit = Number(limit);
    this.#next = Number(base);
    this.#mem = mem;
  }

  /** Allocate `size` bytes aligned to `align` (default: size rounded up to a power of two, min 8). */
  alloc(size: number | bigint, align?: number | bigint): bigint {
    if (size <= 0) throw new RangeError('Cannot allocate: size must be positive');
    // A size beyond 2^53 cannot fit below the limit: the exhausted error below says so.
    const sz = Number(size);
    if (!Number.isInteger(sz)) throw new RangeError(`Cannot allocate: size ${size} is not a whole number of bytes`);
    const al = align !== undefined ? Number(align) : nextPow2(sz < 8 ? 8 : sz);
    if (al < 1 || 2 ** Math.round(Math.log2(al)) !== al) throw new RangeError(`Cannot allocate: alignment ${align} is not a power of two`);
    let reuse = -1;
    for (let i = 0; i < this.#free.length && reuse < 0; i++) {
      const b = this.#free[i] as { addr: number; size: number };
      if (b.size === sz && b.addr % al === 0) reuse = i;
    }
    let addr: number;
    if (reuse >= 0) {
      addr = (this.#free.splice(reuse, 1)[0] as { addr: number }).addr;
    } else {
      addr = Math.ceil(this.#next / al) * al;
      if (addr + sz > this.#limit) {
        throw new AllocatorExhaustedError(
          `Cannot allocate ${size} bytes: allocator range 0x${this.base.toString(16)}-0x${this.limit.toString(16)} is exhausted`,
        );
      }
      this.#next = addr + sz;
    }
    const at = BigInt(addr);
    if (this.#mem !== undefined) {
      if (addr % 8 === 0) {
        // Whole-page zero-fill: same pages, same contents as the word loop below.
        this.#mem.zero(at, Math.ceil(sz / 8) * 8);
      } else {
        this.#mem.back(at, sz);
        for (let a = 0; a < sz; a += 8) this.#mem.write64(at + BigInt(a), 0n);
      }
    }
    return at;
  }

  free(addr: bigint, size: number | bigint): void {
    this.#free.push({ addr: Number(addr), size: Number(size) });
    this.#free.sort((a, b) => a.addr - b.addr);
  }
}

function nextPow2(v: number): number {
  let p = 1;
  while (p < v) p *= 2;
  return p;
}
