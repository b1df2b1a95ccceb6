/**
 * SMMU translation caches (§3.3.1 TLB, §4.4 TLB invalidation) with a named policy:
 *  - `max`: keep every entry the architecture allows (leaf entries, walk-cache entries for
 *    intermediate tables, S2-only entries, combined S1+S2 entries) and never evict unless
 *    invalidated, so a missing invalidation is always observable;
 *  - `none`: cache nothing.
 *
 * Tags (number, exact): kind * 2^32 + VMID * 2^16 + ASID. EL2-E2H entries are ASID-tagged; plain
 * EL2 entries (SMMU_CR2.E2H=0) are not (kinds El2Plain*). Keys are input-address page numbers.
 * Stage-1 input addresses use the "VA key" space: VA[51:0] + (VA[55] ? 2^52 : 0), so TTB0 and
 * TTB1 ranges never alias. Stage-2 translations used by stage-1 walks share the S2 leaf kind
 * (emulator-models §7 item 20 choice): S2 TLBIs flush them.
 */
import { TLBI_TG_GRANULE } from '../arch/command.ts';
import type { Granule } from '../arch/ttd.ts';
import type { CachePolicy } from './cache-policy.ts';

/** TLBI command parameters (§4.4). tg: 0 non-range, 1 4K, 2 16K, 3 64K. */
export interface TlbiParams {
  vmid: number;
  asid?: number;
  addr: bigint;
  leaf: boolean;
  tg: number;
  num: number;
  scale: number;
  ttl: number;
}

export const enum Kind {
  NhLeaf = 0, // S1 or combined S1+S2, nG=1: VMID + ASID
  NhGlobal = 1, // S1 or combined, nG=0: VMID
  S2Leaf = 2, // S2-only translations (incl. those used for S1 walks / CD fetches): VMID
  El2Leaf = 3, // StreamWorld EL2, nG=1: ASID
  El2Global = 4,
  NhWalk = 5, // S1 walk cache: VMID + ASID
  S2Walk = 6, // S2 walk cache: VMID
  El2Walk = 7,
  // StreamWorld NS-EL2 with SMMU_CR2.E2H=0: entries carry no ASID (§5.4 ASID IGNORED), so
  // global and non-global entries share one tag (§4.4.2.8, §4.4.2.10).
  El2PlainLeaf = 8,
  El2PlainWalk = 9,
}

/** Any EL2 kind (EL2-E2H or plain EL2): not affected by NH/S12/NSNH invalidations. */
function isEl2(k: number): boolean {
  return k === Kind.El2Leaf || k === Kind.El2Global || k === Kind.El2Walk || k === Kind.El2PlainLeaf || k === Kind.El2PlainWalk;
}

export interface LeafEntry {
  /** Input base (VA key or IPA), aligned to 2^sizeLog2. */
  base: number;
  sizeLog2: number;
  /** Output PA base. */
  out: number;
  /** IPA base for combined entries (-1 otherwise). */
  ipa: number;
  /** Permission masks (see walk.ts PERM_*); s2Perm = all when there is no stage 2. */
  s1Perm: number;
  s2Perm: number;
  /** Stage-2 MemAttr is Device (for S2PTW checks on walk-purpose hits). */
  device: boolean;
  /** Leaf levels (for TTL hints): S1 level (-1 if none) and S2 level (-1 if none). */
  s1Level: number;
  s2Level: number;
  /** Granule of the stage that TLBI by VA / by IPA target (for TTL hints); 0 when there is no such stage. */
  s1Granule: Granule | 0;
  s2Granule: Granule | 0;
  /** A DBM page still clean under HD: writes must not hit (the walk sets the dirty state). */
  dirtyPending: boolean;
}

export interface WalkEntry {
  base: number;
  sizeLog2: number;
  /** Level of the table descriptor this entry caches. */
  level: number;
  /** Address of the next-level table (IPA for a nested stage-1 walk). */
  next: number;
  /** Accumulated hierarchical controls (APTable bits, PXNTable, UXNTable) down to this table. */
  apTable: number;
  pxnTable: boolean;
  uxnTable: boolean;
  granule: Granule;
}

class Bucket<E extends { base: number; sizeLog2: number }> {
  sizes: number[] = [];
  /** 2^size per entry of `sizes`. */
  divs: number[] = [];
  maps: Map<number, E>[] = [];

  get(addr: number): E | undefined {
    const divs = this.divs;
    for (let i = 0; i < divs.length; i++) {
      const e = (this.maps[i] as Map<number, E>).get(Math.floor(addr / (divs[i] as number)));
      if (e !== undefined) return e;
    }
    return undefined;
  }

  set(e: E): void {
    let i = this.sizes.indexOf(e.sizeLog2);
    if (i < 0) {
      i = this.sizes.length;
      this.sizes.push(e.sizeLog2);
      this.divs.push(2 ** e.sizeLog2);
      this.maps.push(new Map());
    }
    (this.maps[i] as Map<number, E>).set(Math.floor(e.base / 2 ** e.sizeLog2), e);
  }

  /** Remove entries matching `pred`; returns the number removed. */
  remove(pred: (e: E) => boolean): number {
    let n = 0;
    for (const m of this.maps) {
      for (const [k, e] of [...m]) {
        if (pred(e)) {
          m.delete(k);
          n++;
        }
      }
    }
    return n;
  }

  count(): number {
    let n = 0;
    for (const m of this.maps) n += m.size;
    return n;
  }
}

export function tagOf(kind: Kind, vmid: number, asid: number): number {
  return kind * 4294967296 + vmid * 65536 + asid;
}

const LEVEL_TAG = 2 ** 36;

export class Tlb {
  readonly policy: CachePolicy;
  /** policy === 'max' (a plain field: read on every walk). */
  readonly enabled: boolean;
  hits = 0;
  misses = 0;
  readonly #leaf = new Map<number, Bucket<LeafEntry>>();
  readonly #walk = new Map<number, Bucket<WalkEntry>>();

  constructor(policy: CachePolicy = 'max') {
    this.policy = policy;
    this.enabled = policy === 'max';
  }

  // Last bucket looked up (buckets are never deleted, only emptied, so the memo stays valid).
  #lastTag = -1;
  #lastBucket: Bucket<LeafEntry> | undefined;

  lookupLeaf(tag: number, addr: number): LeafEntry | undefined {
    let b: Bucket<LeafEntry> | undefined;
    if (tag === this.#lastTag) b = this.#lastBucket;
    else {
      b = this.#leaf.get(tag);
      if (b === undefined) return undefined;
      this.#lastTag = tag;
      this.#lastBucket = b;
    }
    return (b as Bucket<LeafEntry>).get(addr);
  }

  insertLeaf(tag: number, e: LeafEntry): void {
    if (this.policy === 'none') return;
    let b = this.#leaf.get(tag);
    if (b === undefined) this.#leaf.set(tag, (b = new Bucket()));
    b.set(e);
  }

  lookupWalk(tag: number, level: number, addr: number): WalkEntry | undefined {
    const b = this.#walk.get(tag + (level + 1) * LEVEL_TAG);
    return b === undefined ? undefined : b.get(addr);
  }

  insertWalk(tag: number, e: WalkEntry): void {
    if (this.policy === 'none') return;
    const t = tag + (e.level + 1) * LEVEL_TAG;
    let b = this.#walk.get(t);
    if (b === undefined) this.#walk.set(t, (b = new Bucket()));
    b.set(e);
  }

  /** Number of cached entries (leaf, walk), for tests and reports. */
  count(): { leaf: number; walk: number } {
    let leaf = 0;
    let walk = 0;
    for (const b of this.#leaf.values()) leaf += b.count();
    for (const b of this.#walk.values()) walk += b.count();
    return { leaf, walk };
  }

  invalidateAll(): void {
    this.#leaf.clear();
    this.#walk.clear();
    this.#lastTag = -1;
    this.#lastBucket = undefined;
  }

  // ---- commands (§4.4) ------------------------------------------------------------------

  /** TLBI_NH_ALL: all stage-1 and combined entries of the VMID (not S2-only entries). */
  tlbiNhAll(vmid: number): void {
    this.#drop(
      (k, v) => (k === Kind.NhLeaf || k === Kind.NhGlobal || k === Kind.NhWalk) && v === vmid,
      () => true,
      true,
    );
  }

  /** TLBI_NH_ASID: non-global stage-1/combined entries of (VMID, ASID), walk cache included. */
  tlbiNhAsid(vmid: number, asid: number): void {
    this.#drop(
      (k, v, a) => (k === Kind.NhLeaf || k === Kind.NhWalk) && v === vmid && a === asid,
      () => true,
      true,
    );
  }

  /** TLBI_NH_VA: (VMID, ASID) and global entries for the VA range; Leaf=0 also walk-cache entries. */
  tlbiNhVa(p: TlbiParams): void {
    const asid = p.asid ?? 0;
    this.#byVa(p, (k, v, a) => ((k === Kind.NhLeaf || k === Kind.NhWalk) && v === p.vmid && a === asid) || (k === Kind.NhGlobal && v === p.vmid));
  }

  /** TLBI_NH_VAA: every ASID of the VMID for the VA range. */
  tlbiNhVaa(p: TlbiParams): void {
    this.#byVa(p, (k, v) => (k === Kind.NhLeaf || k === Kind.NhWalk || k === Kind.NhGlobal) && v === p.vmid);
  }

  /** TLBI_EL2_ALL: every EL2 entry, ASID-tagged (EL2-E2H) or not (§4.4.2.7). */
  tlbiEl2All(): void {
    this.#drop(
      (k) => isEl2(k),
      () => true,
      true,
    );
  }

  /** TLBI_EL2_ASID: non-global EL2-E2H entries of the ASID; plain EL2 entries have no ASID and stay (§4.4.2.10). */
  tlbiEl2Asid(asid: number): void {
    this.#drop(
      (k, _v, a) => (k === Kind.El2Leaf || k === Kind.El2Walk) && a === asid,
      () => true,
      true,
    );
  }

  /**
   * TLBI_EL2_VA (§4.4.2.8): with SMMU_CR2.E2H=1, EL2-E2H entries of the ASID (and global ones)
   * for the VA; with E2H=0, plain EL2 entries for the VA whatever the ASID parameter. Entries of
   * the other world are not required to be invalidated (policy max keeps them).
   */
  tlbiEl2Va(p: TlbiParams, e2h = true): void {
    const asid = p.asid ?? 0;
    if (!e2h) {
      this.#byVa(p, (k) => k === Kind.El2PlainLeaf || k === Kind.El2PlainWalk);
      return;
    }
    this.#byVa(p, (k, _v, a) => ((k === Kind.El2Leaf || k === Kind.El2Walk) && a === asid) || k === Kind.El2Global);
  }

  /** TLBI_EL2_VAA (§4.4.2.9): all ASIDs for the VA, of the world SMMU_CR2.E2H selects. */
  tlbiEl2Vaa(p: TlbiParams, e2h = true): void {
    if (!e2h) {
      this.#byVa(p, (k) => k === Kind.El2PlainLeaf || k === Kind.El2PlainWalk);
      return;
    }
    this.#byVa(p, (k) => k === Kind.El2Leaf || k === Kind.El2Walk || k === Kind.El2Global);
  }

  /** TLBI_S12_VMALL: every entry of the VMID, both stages. */
  tlbiS12Vmall(vmid: number): void {
    this.#drop(
      (k, v) => !isEl2(k) && v === vmid,
      () => true,
      true,
    );
  }

  /**
   * TLBI_S2_IPA: S2-only entries for the IPA range (Leaf=0: S2 walk cache too). Combined S1+S2
   * entries stay: software must follow with TLBI_NH_* (§4.4.3.1; emulator-models §7 item 20).
   */
  tlbiS2Ipa(p: TlbiParams): void {
    const [start, end] = range(p, ipaKey(p.addr));
    const ttl = ttlHint(p);
    this.#drop(
      (k, v) => k === Kind.S2Leaf && v === p.vmid,
      (e) => overlaps(e, start, end) && ttlMatches(ttl, e.s2Granule, e.s2Level),
    );
    if (!p.leaf)
      this.#dropWalk(
        (k, v) => k === Kind.S2Walk && v === p.vmid,
        (e) => overlaps(e, start, end),
      );
  }

  /** TLBI_NSNH_ALL: every non-EL2 entry, all VMIDs. */
  tlbiNsnhAll(): void {
    this.#drop(
      (k) => !isEl2(k),
      () => true,
      true,
    );
  }

  #byVa(p: TlbiParams, tagPred: (k: number, v: number, a: number) => boolean): void {
    const [start, end] = range(p, vaKey(p.addr));
    const ttl = ttlHint(p);
    this.#drop(
      (k, v, a) => !isWalk(k) && tagPred(k, v, a),
      (e) => overlaps(e, start, end) && ttlMatches(ttl, e.s1Granule, e.s1Level),
    );
    if (!p.leaf)
      this.#dropWalk(
        (k, v, a) => isWalk(k) && tagPred(k, v, a),
        (e) => overlaps(e, start, end),
      );
  }

  /** Remove leaf entries of matching tags; `scopeAll`: also every walk-cache entry of those tags. */
  #drop(tagPred: (kind: number, vmid: number, asid: number) => boolean, pred: (e: LeafEntry) => boolean, scopeAll = false): void {
    for (const [tag, b] of this.#leaf) {
      const [k, v, a] = splitTag(tag);
      if (tagPred(k, v, a)) b.remove(pred);
    }
    if (scopeAll) this.#dropWalk(tagPred, () => true);
  }

  #dropWalk(tagPred: (kind: number, vmid: number, asid: number) => boolean, pred: (e: WalkEntry) => boolean): void {
    for (const [tag, b] of this.#walk) {
      const [k, v, a] = splitTag(tag % LEVEL_TAG);
      if (tagPred(k, v, a)) b.remove(pred);
    }
  }
}

function isWalk(k: number): boolean {
  return k === Kind.NhWalk || k === Kind.El2Walk || k === Kind.El2PlainWalk;
}

function splitTag(tag: number): [number, number, number] {
  const kind = Math.floor(tag / 4294967296);
  const rest = tag - kind * 4294967296;
  return [kind, Math.floor(rest / 65536), rest % 65536];
}

/** VA key of a 64-bit command address: VA[51:0] + VA[55]·2^52 (see file header). */
export function vaKey(addr: bigint): number {
  const a = BigInt.asUintN(64, addr);
  return Number(a & 0xfffffffffffffn) + ((a >> 55n) & 1n ? 2 ** 52 : 0);
}

function ipaKey(addr: bigint): number {
  return Number(BigInt.asUintN(56, addr) & 0xfffffffffffffn);
}

/** [start, end) of the invalidation: one address (TG=0) or (NUM+1)·2^SCALE granules (§4.4.1.1). */
function range(p: TlbiParams, start: number): [number, number] {
  if (p.tg === 0) {
    const s = Math.floor(start / 4096) * 4096;
    return [s, s + 4096];
  }
  const g = TLBI_TG_GRANULE[p.tg] ?? 4096;
  const s = Math.floor(start / g) * g;
  return [s, s + (p.num + 1) * 2 ** p.scale * g];
}

function overlaps(e: { base: number; sizeLog2: number }, start: number, end: number): boolean {
  return e.base < end && e.base + 2 ** e.sizeLog2 > start;
}

/** TTL hint as {granule, level} or undefined when absent (§4.4.1.1: TTL[3:2] granule unless range). */
function ttlHint(p: TlbiParams): { granule: Granule; level: number } | undefined {
  // Level 0 is treated as "no information" (it is reserved or means no hint in most encodings).
  const level = p.ttl & 3;
  const gEnc = p.tg !== 0 ? p.tg : (p.ttl >> 2) & 3;
  const granule = TLBI_TG_GRANULE[gEnc];
  if (granule === undefined || level === 0) return undefined;
  return { granule, level };
}

/** With a TTL hint, entries of another granule/level need not be invalidated (policy max keeps them). */
function ttlMatches(ttl: { granule: Granule; level: number } | undefined, granule: Granule | 0, level: number): boolean {
  if (ttl === undefined) return true;
  return granule === ttl.granule && level === ttl.level;
}
