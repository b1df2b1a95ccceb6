/**
 * Public types of the translation core (stage-1/stage-2 walks, TLB). The device builds
 * S1Context / S2Context from decoded CD / STE fields and turns a TranslationFault into an
 * event record (§7.3.12–7.3.16). The walker never writes event records itself.
 *
 * Addresses are bigint at this edge; the hot path (walk.ts, tlb.ts) uses numbers (PAs and IPAs
 * are at most 52 bits, so exact).
 *
 * S1Context / S2Context (walk-context.ts) are immutable and carry the values a walk derives from
 * them; build a new one when a CD/STE changes.
 */
import type { SparseMemory } from '../memory/sparse-memory.ts';
import type { Tlb } from './tlb.ts';
import type { S1Context, S2Context } from './walk-context.ts';
import type { WalkTrace } from './walk-trace.ts';

export type FaultType = 'F_WALK_EABT' | 'F_TRANSLATION' | 'F_ADDR_SIZE' | 'F_ACCESS' | 'F_PERMISSION';
/** Event record CLASS (§7.3.13): CD fetch, stage-1 table walk, input address. */
export type FaultClass = 'CD' | 'TT' | 'IN';

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
