/**
 * Public types of the translation core (stage-1/stage-2 walks, TLB). The device builds
 * S1Context / S2Context from decoded CD / STE fields and turns a TranslationFault into an
 * event record (§7.3.12–7.3.16). The walker never writes event records itself.
 *
 * Addresses are bigint at this edge; the hot path (walk.ts, tlb.ts) uses numbers (PAs and IPAs
 * are at most 52 bits, so exact).
 *
 * Treat S1Context / S2Context objects as immutable once passed in: the walker memoizes values
 * derived from the last context object it saw (table bases as numbers, start level, tags). Build a
 * new object when a CD/STE changes.
 */
import type { SparseMemory } from '../memory/sparse-memory.ts';
import type { Tlb } from './tlb.ts';
import type { WalkTrace } from './walk-trace.ts';

export type Granule = 4096 | 16384 | 65536;
export type FaultType = 'F_WALK_EABT' | 'F_TRANSLATION' | 'F_ADDR_SIZE' | 'F_ACCESS' | 'F_PERMISSION';
/** Event record CLASS (§7.3.13): CD fetch, stage-1 table walk, input address. */
export type FaultClass = 'CD' | 'TT' | 'IN';

/** Stage-1 translation regime, from the CD (§5.4). Effective values (after EPDx/StreamWorld rules). */
export interface S1Context {
  asid: number;
  /** VMID tag of the entries; 0 when there is no stage 2. */
  vmid: number;
  /** StreamWorld any-EL2 (STRW=EL2): entries are not VMID-tagged and are invalidated by TLBI_EL2_*. */
  el2: boolean;
  /**
   * StreamWorld NS-EL2 with SMMU_CR2.E2H=0: the entries carry no ASID (CD.ASID is IGNORED, §5.4)
   * and TLBI_EL2_VA ignores its ASID parameter for them (§4.4.2.8). Absent: ASID-tagged.
   * This is the single-privilege regime: AP[1] is treated as 1 and PRIV as 1 (§13.4.1).
   */
  el2NoAsid?: boolean;
  t0sz: number;
  tg0: Granule;
  /** Address of the TTB0 table: a PA, or an IPA when stage 2 is enabled (nested). */
  ttb0: bigint;
  epd0: boolean;
  t1sz: number;
  tg1: Granule;
  ttb1: bigint;
  epd1: boolean;
  /** Effective output size in bits: MIN(CD.IPS, IDR5.OAS) (and ≤ IAS when nested). */
  ipsBits: number;
  /** Implemented PA size, IDR5.OAS (Arm ARM PAMax): 52 means FEAT_LPA, so 64KB level-1 blocks exist. */
  oasBits: number;
  tbi0: boolean;
  tbi1: boolean;
  /** CD.AFFD: an AF=0 leaf does not fault (§5.4). */
  affd: boolean;
  /** CD.HA / CD.HD: hardware update of the access flag / dirty state (HTTU). */
  ha: boolean;
  hd: boolean;
  wxn: boolean;
  uwxn: boolean;
  pan: boolean;
  /** CD.DS: 52-bit addresses with 4K/16K granules (level -1 is not modelled; level-0 blocks with 16K). */
  ds?: boolean;
}

/** Stage-2 translation regime, from the STE (§5.2). Effective values. */
export interface S2Context {
  vmid: number;
  /** S2TTB (a PA). */
  ttb: bigint;
  t0sz: number;
  /** Raw S2SL0 field; the start level is derived from it with the granule (see startLevelS2). */
  sl0: number;
  tg: Granule;
  /** Effective output size: MIN(S2PS, IDR5.OAS). */
  psBits: number;
  /** Implemented PA size, IDR5.OAS (see S1Context.oasBits). */
  oasBits: number;
  /** S2AFFD. */
  affd: boolean;
  /** S2PTW: stage-1 walks (and CD fetches) that hit stage-2 Device memory fault (stage-2 F_PERMISSION). */
  ptw: boolean;
  ha: boolean;
  hd: boolean;
}

/**
 * Which stages translate. s1 undefined = stage-1 bypass; s2 undefined = no stage 2.
 * `iasBits` is the SMMU IAS: with stage 1 bypassed and stage 2 on, an input above IAS is
 * F_ADDR_SIZE with S2=0, CLASS=IN (errata B.8, §3.4).
 */
export interface TranslationConfig {
  s1: S1Context | undefined;
  s2: S2Context | undefined;
  iasBits: number;
}

export interface TranslationRequest {
  /** 64-bit input address (InputAddr; keeps the TBI tag). */
  iova: bigint;
  /** RnW = 1. */
  read: boolean;
  write: boolean;
  /** InD = 1 (instruction fetch; never set on a write). */
  instruction: boolean;
  /** PnU = 1. */
  privileged: boolean;
}

export interface TranslationFault {
  type: FaultType;
  /** Event S2 bit: the fault was found at stage 2. */
  s2: boolean;
  class: FaultClass;
  /** S2 faults: CD address (CLASS=CD), S1 descriptor IPA (CLASS=TT), or the output IPA (CLASS=IN). */
  ipa?: bigint;
  /** F_WALK_EABT: PA of the descriptor whose fetch aborted. */
  fetchAddr?: bigint;
  /** TTRnW for F_PERMISSION CLASS=TT (always true: walks read; false if an HTTU write was denied). */
  ttrnw?: boolean;
  /** Lookup level at which the fault was found (for tests and traces). */
  level?: number;
}

/** Permission summary of a successful translation (combined S1 ∧ S2). */
export interface Permissions {
  read: boolean;
  write: boolean;
  /** Executable for the requesting privilege. */
  exec: boolean;
}

export type TranslationResult =
  | { ok: true; pa: bigint; perms: Permissions /** log2 of the page/block size of the combined entry. */; sizeLog2: number; global: boolean }
  | { ok: false; fault: TranslationFault };

/** Environment shared by one device: memory, caches, optional trace (undefined = zero cost). */
export interface TranslateEnv {
  mem: SparseMemory;
  tlb: Tlb | undefined;
  trace: WalkTrace | undefined;
}

export type S2FetchResult = { ok: true; pa: bigint } | { ok: false; fault: TranslationFault };
