/**
 * Configuration cache (§3.21, §4.3, errata B.14): STE, L1STD, CD and L1CD contents, cached
 * per policy so that a missing CFGI is observable.
 *
 * - 'max' (default): every valid structure fetched is kept until invalidated.
 * - 'none': nothing is cached; every transaction re-reads memory.
 * Only structures that passed their checks are inserted (an invalid or ILLEGAL structure is
 * re-fetched next time), an allowed implementation choice.
 *
 * Keys: STE by StreamID; L1STD by L1 index; CD by (StreamID, CD-table index); L1CD by
 * (StreamID, L1 index). CD contents are cached per StreamID, so CFGI_STE drops them too.
 */
import type { CachePolicy } from './cache-policy.ts';

export interface CfgCacheStats {
  steHits: number;
  cdHits: number;
  inserts: number;
}

/** CD-table indexes per StreamID: SubstreamIDs are at most 20 bits (IDR1.SSIDSIZE <= 20, §6.3.2). */
const CD_INDEXES = 2 ** 20;

/** (StreamID, CD or L1CD index) as one exact number: StreamIDs are at most 32 bits, so below 2^52. */
function cdKey(sid: number, index: number): number {
  if (!(index >= 0 && index < CD_INDEXES)) throw new RangeError(`CD-table index ${index} is not a 20-bit SubstreamID index`);
  return sid * CD_INDEXES + index;
}

export class ConfigCache {
  readonly policy: CachePolicy;
  // Words are kept as given and handed out as given: readonly everywhere they go, so no copies.
  readonly #ste = new Map<number, readonly bigint[]>();
  readonly #l1std = new Map<number, bigint>();
  readonly #cd = new Map<number, readonly bigint[]>();
  readonly #l1cd = new Map<number, bigint>();
  readonly stats: CfgCacheStats = { steHits: 0, cdHits: 0, inserts: 0 };

  constructor(policy: CachePolicy = 'max') {
    this.policy = policy;
  }

  getSte(sid: number): readonly bigint[] | undefined {
    const v = this.#ste.get(sid);
    if (v !== undefined) this.stats.steHits++;
    return v;
  }

  putSte(sid: number, raw: readonly bigint[]): void {
    if (this.policy === 'none') return;
    this.#ste.set(sid, raw);
    this.stats.inserts++;
  }

  getL1std(l1Index: number): bigint | undefined {
    return this.#l1std.get(l1Index);
  }

  putL1std(l1Index: number, raw: bigint): void {
    if (this.policy !== 'none') this.#l1std.set(l1Index, raw);
  }

  getCd(sid: number, index: number): readonly bigint[] | undefined {
    const v = this.#cd.get(cdKey(sid, index));
    if (v !== undefined) this.stats.cdHits++;
    return v;
  }

  putCd(sid: number, index: number, raw: readonly bigint[]): void {
    if (this.policy === 'none') return;
    this.#cd.set(cdKey(sid, index), raw);
    this.stats.inserts++;
  }

  getL1cd(sid: number, l1Index: number): bigint | undefined {
    return this.#l1cd.get(cdKey(sid, l1Index));
  }

  putL1cd(sid: number, l1Index: number, raw: bigint): void {
    if (this.policy !== 'none') this.#l1cd.set(cdKey(sid, l1Index), raw);
  }

  /** CFGI_STE: the STE and every CD/L1CD cached through it; Leaf=0 also the covering L1STD. */
  invalidateSte(sid: number, leaf: boolean, l1Index: number | undefined): void {
    this.#ste.delete(sid);
    this.#dropCds((s) => s === sid);
    if (!leaf && l1Index !== undefined) this.#l1std.delete(l1Index);
  }

  /** CFGI_STE_RANGE: StreamIDs that match `sid` ignoring its low Range+1 bits (Range=31: all). */
  invalidateSteRange(sid: number, range: number, l1IndexOf: (sid: number) => number | undefined): void {
    if (range >= 31) {
      this.invalidateAll();
      return;
    }
    const span = 2 ** (range + 1);
    const lo = Math.floor(sid / span) * span;
    const inRange = (s: number): boolean => s >= lo && s < lo + span;
    for (const s of [...this.#ste.keys()]) if (inRange(s)) this.#ste.delete(s);
    this.#dropCds(inRange);
    const first = l1IndexOf(lo);
    const last = l1IndexOf(lo + span - 1);
    if (first !== undefined && last !== undefined) {
      for (const i of [...this.#l1std.keys()]) if (i >= first && i <= last) this.#l1std.delete(i);
    }
  }

  /** CFGI_CD: CD-table index `index` of `sid`; Leaf=0 also the L1CD covering it. */
  invalidateCd(sid: number, index: number, leaf: boolean, l1Index: number | undefined): void {
    this.#cd.delete(cdKey(sid, index));
    if (!leaf && l1Index !== undefined) this.#l1cd.delete(cdKey(sid, l1Index));
  }

  /** CFGI_CD_ALL: every CD and L1CD of `sid`. */
  invalidateCdAll(sid: number): void {
    this.#dropCds((s) => s === sid);
  }

  invalidateAll(): void {
    this.#ste.clear();
    this.#l1std.clear();
    this.#cd.clear();
    this.#l1cd.clear();
  }

  get size(): { ste: number; l1std: number; cd: number; l1cd: number } {
    return { ste: this.#ste.size, l1std: this.#l1std.size, cd: this.#cd.size, l1cd: this.#l1cd.size };
  }

  #dropCds(match: (sid: number) => boolean): void {
    for (const k of [...this.#cd.keys()]) if (match(Math.floor(k / CD_INDEXES))) this.#cd.delete(k);
    for (const k of [...this.#l1cd.keys()]) if (match(Math.floor(k / CD_INDEXES))) this.#l1cd.delete(k);
  }
}
