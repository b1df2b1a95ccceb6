/**
 * Deterministic bump allocator for tables and queues. The same sequence of requests always
 * yields the same addresses, whatever else runs in the process, so goldens are stable.
 * Freed blocks are reused first-fit by exact size (io-pgtable frees whole tables), again
 * deterministically.
 */
import { type SparseMemory } from './sparse-memory.ts';

export class AllocatorExhaustedError extends RangeError {
  readonly code = 'ALLOCATOR_EXHAUSTED';
}

export class PageAllocator {
  readonly base: bigint;
  readonly limit: bigint;
  #next: bigint;
  readonly #free: Array<{ addr: bigint; size: bigint }> = [];
  readonly #mem: SparseMemory | undefined;

  /** Allocates from [base, limit). When `mem` is given, allocated blocks are backed (zeroed). */
  constructor(base: bigint, limit: bigint, mem?: SparseMemory) {
    if (limit <= base) throw new RangeError(`Cannot create allocator: limit 0x${limit.toString(16)} <= base 0x${base.toString(16)}`);
    this.base = base;
    this.limit = limit;
    this.#next = base;
    this.#mem = mem;
  }

  /** Allocate `size` bytes aligned to `align` (default: size rounded up to a power of two, min 8). */
  alloc(size: number | bigint, align?: number | bigint): bigint {
    const sz = BigInt(size);
    if (sz <= 0n) throw new RangeError('Cannot allocate: size must be positive');
    const al = align !== undefined ? BigInt(align) : nextPow2(sz < 8n ? 8n : sz);
    if ((al & (al - 1n)) !== 0n) throw new RangeError(`Cannot allocate: alignment ${al} is not a power of two`);
    const reuse = this.#free.findIndex((b) => b.size === sz && (b.addr & (al - 1n)) === 0n);
    let addr: bigint;
    if (reuse >= 0) {
      addr = (this.#free.splice(reuse, 1)[0] as { addr: bigint }).addr;
    } else {
      addr = (this.#next + al - 1n) & ~(al - 1n);
      if (addr + sz > this.limit) {
        throw new AllocatorExhaustedError(`Cannot allocate ${sz} bytes: allocator range 0x${this.base.toString(16)}-0x${this.limit.toString(16)} is exhausted`);
      }
      this.#next = addr + sz;
    }
    if (this.#mem !== undefined) {
      if ((addr & 7n) === 0n) {
        // Whole-page zero-fill: same pages, same contents as the word loop below.
        this.#mem.zero(addr, Number((sz + 7n) & ~7n));
      } else {
        this.#mem.back(addr, Number(sz));
        for (let a = addr; a < addr + sz; a += 8n) this.#mem.write64(a, 0n);
      }
    }
    return addr;
  }

  free(addr: bigint, size: number | bigint): void {
    this.#free.push({ addr, size: BigInt(size) });
    this.#free.sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0));
  }
}

function nextPow2(v: bigint): bigint {
  let p = 1n;
  while (p < v) p <<= 1n;
  return p;
}
