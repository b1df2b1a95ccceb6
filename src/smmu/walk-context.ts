/**
 * The walker's view of a translation regime: S1Context (from the CD, §5.4) and S2Context (from
 * the STE, §5.2). Each holds the effective field values and the values a walk derives from them
 * (table geometry, start-table bases as numbers, TLB tags), computed once in the constructor.
 *
 * Immutable: every field is readonly, and a changed CD/STE is a new context (`with`). The private
 * field makes the classes nominal, so a spread copy (which would carry stale derived values) is
 * not an S1Context/S2Context to the compiler.
 */
import { POW2, alignDown, granuleShift, levelShift, startLevelS1, startLevelS2 } from '../arch/ttd.ts';
import type { Granule } from '../arch/ttd.ts';
import { Kind, tagOf } from './tlb.ts';

/**
 * Effective base of a start table: the TTB0/TTB1/S2TTB field aligned down to the size of the
 * (possibly concatenated) start table, at least 64 bytes when the effective output size is 52
 * bits (SMMUv3 §5.4 TTB0/TTB1, §5.2 S2TTB: "the SMMU effectively aligns the value in this field
 * before use"; Arm ARM AArch64.S1TTBaseAddress / AArch64.S2TTBaseAddress).
 */
export function startTableBase(ttb: number, ia: number, g: number, start: number, ps52: boolean): number {
  let x = ia - levelShift(g, start) + 3;
  if (ps52 && x < 6) x = 6;
  return alignDown(ttb, x);
}

/** Stage-1 translation regime, from the CD (§5.4). Effective values (after EPDx/StreamWorld rules). */
export interface S1Fields {
  readonly asid: number;
  /** VMID tag of the entries; 0 when there is no stage 2. */
  readonly vmid: number;
  /** StreamWorld any-EL2 (STRW=EL2): entries are not VMID-tagged and are invalidated by TLBI_EL2_*. */
  readonly el2: boolean;
  /**
   * StreamWorld NS-EL2 with SMMU_CR2.E2H=0: the entries carry no ASID (CD.ASID is IGNORED, §5.4)
   * and TLBI_EL2_VA ignores its ASID parameter for them (§4.4.2.8). Absent: ASID-tagged.
   * This is the single-privilege regime: AP[1] is treated as 1 and PRIV as 1 (§13.4.1).
   */
  readonly el2NoAsid?: boolean;
  readonly t0sz: number;
  readonly tg0: Granule;
  /** Address of the TTB0 table: a PA, or an IPA when stage 2 is enabled (nested). */
  readonly ttb0: bigint;
  readonly epd0: boolean;
  readonly t1sz: number;
  readonly tg1: Granule;
  readonly ttb1: bigint;
  readonly epd1: boolean;
  /** Effective output size in bits: MIN(CD.IPS, IDR5.OAS) (and ≤ IAS when nested). */
  readonly ipsBits: number;
  /** Implemented PA size, IDR5.OAS (Arm ARM PAMax): 52 means FEAT_LPA, so 64KB level-1 blocks exist. */
  readonly oasBits: number;
  readonly tbi0: boolean;
  readonly tbi1: boolean;
  /** CD.AFFD: an AF=0 leaf does not fault (§5.4). */
  readonly affd: boolean;
  /** CD.HA / CD.HD: hardware update of the access flag / dirty state (HTTU). */
  readonly ha: boolean;
  readonly hd: boolean;
  readonly wxn: boolean;
  readonly uwxn: boolean;
  readonly pan: boolean;
  /** CD.DS: 52-bit addresses with 4K/16K granules (level -1 is not modelled; level-0 blocks with 16K). */
  readonly ds?: boolean;
}

/** Stage-2 translation regime, from the STE (§5.2). Effective values. */
export interface S2Fields {
  readonly vmid: number;
  /** S2TTB (a PA). */
  readonly ttb: bigint;
  readonly t0sz: number;
  /** Raw S2SL0 field; the start level is derived from it with the granule (see startLevelS2). */
  readonly sl0: number;
  readonly tg: Granule;
  /** Effective output size: MIN(S2PS, IDR5.OAS). */
  readonly psBits: number;
  /** Implemented PA size, IDR5.OAS (see S1Fields.oasBits). */
  readonly oasBits: number;
  /** S2AFFD. */
  readonly affd: boolean;
  /** S2PTW: stage-1 walks (and CD fetches) that hit stage-2 Device memory fault (stage-2 F_PERMISSION). */
  readonly ptw: boolean;
  readonly ha: boolean;
  readonly hd: boolean;
}

/** One TTBx half of a stage-1 regime, as the walk uses it. */
export interface S1Half {
  /** log2 of the granule. */
  readonly g: number;
  /** Input address size, 64 - TxSZ. */
  readonly ia: number;
  readonly start: number;
  /** Effective start-table base (startTableBase) as a number. */
  readonly ttb: number;
}

// The field values are the class's own properties (assigned from the fields, declared by this
// merged interface): one list of fields, in S1Fields.
export interface S1Context extends S1Fields {}
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: see the interface above
export class S1Context {
  readonly #fields: S1Fields;
  // Derived once.
  readonly half0: S1Half;
  readonly half1: S1Half;
  /** 2^ipsBits: table and output addresses at or above it are F_ADDR_SIZE. */
  readonly ipsLimit: number;
  /** 64KB level-1 blocks exist: by the implemented PA size, not CD.IPS (see S2Context.lpa). */
  readonly lpa: boolean;
  /** TLB tag of this regime's walk-cache entries. */
  readonly walkTag: number;
  /**
   * TLB tags of this regime's leaf entries: non-global (nG=1) and global. Plain EL2 (E2H=0)
   * entries have no ASID, so global and non-global share one tag.
   */
  readonly leafTag: number;
  readonly globalTag: number;

  constructor(f: S1Fields) {
    this.#fields = f;
    Object.assign(this, f);
    const ps52 = f.ipsBits >= 52;
    this.half0 = s1Half(f.tg0, f.t0sz, f.ttb0, ps52);
    this.half1 = s1Half(f.tg1, f.t1sz, f.ttb1, ps52);
    this.ipsLimit = POW2[f.ipsBits] as number;
    this.lpa = f.oasBits >= 52;
    this.walkTag = f.el2 ? (f.el2NoAsid === true ? tagOf(Kind.El2PlainWalk, 0, 0) : tagOf(Kind.El2Walk, 0, f.asid)) : tagOf(Kind.NhWalk, f.vmid, f.asid);
    this.leafTag = f.el2 ? (f.el2NoAsid === true ? tagOf(Kind.El2PlainLeaf, 0, 0) : tagOf(Kind.El2Leaf, 0, f.asid)) : tagOf(Kind.NhLeaf, f.vmid, f.asid);
    this.globalTag = f.el2 ? (f.el2NoAsid === true ? this.leafTag : tagOf(Kind.El2Global, 0, 0)) : tagOf(Kind.NhGlobal, f.vmid, 0);
  }

  /** The effective fields this context was built from. */
  get fields(): S1Fields {
    return this.#fields;
  }

  /** A new context with some fields changed. */
  with(over: Partial<S1Fields>): S1Context {
    return new S1Context({ ...this.#fields, ...over });
  }
}

function s1Half(tg: Granule, tsz: number, ttb: bigint, ps52: boolean): S1Half {
  const g = granuleShift(tg);
  const ia = 64 - tsz;
  const start = startLevelS1(g, ia);
  return { g, ia, start, ttb: startTableBase(Number(ttb), ia, g, start, ps52) };
}

export interface S2Context extends S2Fields {}
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: see the interface above
export class S2Context {
  readonly #fields: S2Fields;
  // Derived once.
  /** log2 of the granule. */
  readonly g: number;
  /** Input address size, 64 - S2T0SZ, and 2^ia (inputs at or above it are F_TRANSLATION). */
  readonly ia: number;
  readonly iaLimit: number;
  /** Start level from S2SL0; a reserved S2SL0 is C_BAD_STE (the device checks), level 0 if one gets here. */
  readonly start: number;
  /** Effective start-table base (startTableBase) as a number. */
  readonly ttbBase: number;
  /** 2^psBits: table and output addresses at or above it are F_ADDR_SIZE. */
  readonly psLimit: number;
  /**
   * A 64KB level-1 block exists iff FEAT_LPA, i.e. the implemented PA size (IDR5.OAS) is 52 bits,
   * whatever S2PS says (Arm ARM AArch64.BlockDescSupported; SMMUv3 §6.3.6 OAS).
   */
  readonly lpa: boolean;
  /** TLB tags of this regime's leaf and walk-cache entries. */
  readonly leafTag: number;
  readonly walkTag: number;

  constructor(f: S2Fields) {
    this.#fields = f;
    Object.assign(this, f);
    this.g = granuleShift(f.tg);
    this.ia = 64 - f.t0sz;
    this.iaLimit = POW2[this.ia] ?? Infinity;
    this.start = startLevelS2(this.g, f.sl0) ?? 0;
    this.ttbBase = startTableBase(Number(f.ttb), this.ia, this.g, this.start, f.psBits >= 52);
    this.psLimit = POW2[f.psBits] ?? Infinity;
    this.lpa = f.oasBits >= 52;
    this.leafTag = tagOf(Kind.S2Leaf, f.vmid, 0);
    this.walkTag = tagOf(Kind.S2Walk, f.vmid, 0);
  }

  /** The effective fields this context was built from. */
  get fields(): S2Fields {
    return this.#fields;
  }

  /** A new context with some fields changed. */
  with(over: Partial<S2Fields>): S2Context {
    return new S2Context({ ...this.#fields, ...over });
  }
}
