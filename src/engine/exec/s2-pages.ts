/**
 * IPA → PA through a stage-2 table, remembered per 4 KB IPA page, for the guest-structure view
 * of buildS2 (tables.ts): building a nested stage-1 table reads and writes every descriptor at an
 * IPA, one stage-2 walk each without this. An answer is always the walk's
 * (PageTableBuilder.outputAddress): remembered pages are forgotten whenever the memory changes (SparseMemory.version), except by a write the
 * view itself made (`wrote`) that leaves every table page a remembered walk read untouched.
 */
import type { SparseMemory } from '../../memory/sparse-memory.ts';
import type { PageTableBuilder } from '../../pgtable/builder.ts';
import { MAX_SAFE_BIG } from '../../arch/safe.ts';

const PAGE = 4096;

export class Stage2Pages {
  readonly #s2: PageTableBuilder;
  readonly #mem: SparseMemory;
  /** IPA page number → the PA of that page and the descriptor addresses its walk read. */
  readonly #pages = new Map<number, { readonly pa: number; readonly walked: readonly number[] }>();
  /** PA page numbers of the tables the remembered walks read. */
  readonly #tables = new Set<number>();
  /** The walk's answer for the page of the last lookupNumber that returned -1. */
  #miss: bigint | undefined;
  /** The memory's version the remembered pages hold for. */
  #version = -1;
  /** The descriptor addresses (PAs) the walk behind the last `lookup` read. */
  walked: readonly number[] = [];

  /** `s2`: a stage-2 table built in `mem` (PA space), as every scenario's is. */
  constructor(s2: PageTableBuilder, mem: SparseMemory) {
    if (s2.mem !== mem) throw new Error('Stage2Pages: the stage-2 table must live in the memory given');
    this.#s2 = s2;
    this.#mem = mem;
  }

  /** The PA of `ipa`, or undefined when the stage-2 table does not map it (never remembered). */
  lookup(ipa: bigint): bigint | undefined {
    if (ipa < 0n || ipa > MAX_SAFE_BIG) {
      if (this.#version !== this.#mem.version) this.#forget();
      return this.#walk(ipa);
    }
    const n = Number(ipa);
    const pa = this.lookupNumber(n);
    if (pa >= 0) return BigInt(pa);
    // unmapped, or a PA too large to remember: the walk's answer as it is
    const miss = this.#miss;
    return miss === undefined ? undefined : miss + BigInt(n % PAGE);
  }

  /** `lookup` for a safe-integer IPA, the PA as a number; -1 when `lookup` must answer (unmapped, or a PA near 2^53). */
  lookupNumber(ipa: number): number {
    if (this.#version !== this.#mem.version) this.#forget();
    const page = Math.floor(ipa / PAGE);
    let e = this.#pages.get(page);
    if (e === undefined) {
      // a leaf is at least 4 KB: the page's walk (same descriptors) translates all of it
      const pa = this.#walk(BigInt(page * PAGE));
      if (pa === undefined || pa > MAX_SAFE_BIG - BigInt(PAGE)) {
        this.#miss = pa;
        return -1;
      }
      e = { pa: Number(pa), walked: this.walked };
      this.#pages.set(page, e);
      for (const a of e.walked) this.#tables.add(Math.floor(a / PAGE));
    }
    this.walked = e.walked;
    return e.pa + (ipa - page * PAGE);
  }

  /**
   * The view wrote [pa, pa+len) right after a `lookup`: the remembered pages stay unless the
   * write landed on a table page one of their walks read.
   */
  wrote(pa: bigint, len: number): void {
    if (pa < 0n || pa > MAX_SAFE_BIG) return;
    const first = Math.floor(Number(pa) / PAGE);
    const last = Math.floor((Number(pa) + len - 1) / PAGE);
    for (let p = first; p <= last; p++) if (this.#tables.has(p)) return;
    this.#version = this.#mem.version;
  }

  #walk(ipa: bigint): bigint | undefined {
    const walked: number[] = [];
    this.walked = walked;
    return this.#s2.outputAddress(ipa, walked);
  }

  #forget(): void {
    if (this.#pages.size > 0) {
      this.#pages.clear();
      this.#tables.clear();
    }
    this.#version = this.#mem.version;
  }
}
