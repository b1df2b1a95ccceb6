/**
 * Ready-made layouts for tests and benches: stage-1-only, stage-2-only and nested table sets.
 *
 * Nested layout: stage-1 tables live at IPAs [S1_TABLE_IPA, +16 MiB), which stage 2 maps to PAs
 * [S1_TABLE_PA, +16 MiB) with 4K pages (so each stage-1 table page has its own S2 entry and can
 * be remapped or given other S2 attributes by tests). Stage-2 tables live at PAs from S2_TABLE_PA.
 */
import { SparseMemory } from '../memory/sparse-memory.ts';
import { PageAllocator } from '../memory/page-allocator.ts';
import { PageTableBuilder, ipaView } from './builder.ts';
import { type Granule } from '../arch/ttd.ts';
import { s1ContextFor, s2ContextFor } from './contexts.ts';
import { Tlb } from '../smmu/tlb.ts';
import type { CachePolicy } from '../smmu/cache-policy.ts';
import { translate } from '../smmu/translate.ts';
import type { TranslateEnv, TranslationConfig, TranslationRequest, TranslationResult } from '../smmu/translate-types.ts';
import type { S1Fields, S2Fields } from '../smmu/walk-context.ts';

/** A privileged data read of `iova` (fields in `o` override). */
export const R = (iova: bigint, o: Partial<TranslationRequest> = {}): TranslationRequest => ({
  iova,
  read: true,
  write: false,
  instruction: false,
  privileged: true,
  ...o,
});
/** A privileged data write. */
export const W = (iova: bigint, o: Partial<TranslationRequest> = {}): TranslationRequest => R(iova, { read: false, write: true, ...o });
/** A privileged instruction fetch. */
export const X = (iova: bigint, o: Partial<TranslationRequest> = {}): TranslationRequest => R(iova, { instruction: true, ...o });
/** Translate through a setup's context and caches. */
export const tr = (s: Setup, req: TranslationRequest): TranslationResult => translate(s.env, s.cfg, req);

export const S1_TABLE_IPA = 0x1000_0000n;
export const S1_TABLE_PA = 0x9000_0000n;
export const S1_TABLE_SPAN = 0x100_0000n;
export const S2_TABLE_PA = 0x4000_0000n;

export interface Setup {
  mem: SparseMemory;
  env: TranslateEnv;
  s1: PageTableBuilder | undefined;
  s2: PageTableBuilder | undefined;
  cfg: TranslationConfig;
}

export interface SetupOptions {
  s1?: { granule: Granule; iaBits: number; oaBits?: number } | undefined;
  s2?: { granule: Granule; iaBits: number; oaBits?: number; startLevel?: number } | undefined;
  policy?: CachePolicy;
  s1ctx?: Partial<S1Fields>;
  s2ctx?: Partial<S2Fields>;
  iasBits?: number;
}

/** Build empty tables for the requested stages; tests then call s1.map / s2.map. */
export function setup(o: SetupOptions): Setup {
  const mem = new SparseMemory();
  let s2: PageTableBuilder | undefined;
  if (o.s2 !== undefined) {
    const b: ConstructorParameters<typeof PageTableBuilder>[0] = {
      stage: 2,
      granule: o.s2.granule,
      iaBits: o.s2.iaBits,
      oaBits: o.s2.oaBits ?? 48,
      mem,
      alloc: new PageAllocator(S2_TABLE_PA, S2_TABLE_PA + 0x1000_0000n),
    };
    if (o.s2.startLevel !== undefined) b.startLevel = o.s2.startLevel;
    s2 = new PageTableBuilder(b);
  }
  let s1: PageTableBuilder | undefined;
  if (o.s1 !== undefined) {
    const nested = s2 !== undefined;
    if (nested) {
      // S1 table area at IPA, mapped page by page so tests can alter single table pages.
      (s2 as PageTableBuilder).map(S1_TABLE_IPA, S1_TABLE_PA, S1_TABLE_SPAN, {}, { pageOnly: true });
    }
    s1 = new PageTableBuilder({
      stage: 1,
      granule: o.s1.granule,
      iaBits: o.s1.iaBits,
      oaBits: o.s1.oaBits ?? 48,
      mem: nested ? ipaView(mem, (ipa) => ipa - S1_TABLE_IPA + S1_TABLE_PA) : mem,
      alloc: nested ? new PageAllocator(S1_TABLE_IPA, S1_TABLE_IPA + S1_TABLE_SPAN) : new PageAllocator(S1_TABLE_PA, S1_TABLE_PA + S1_TABLE_SPAN),
    });
  }
  const env: TranslateEnv = { mem, tlb: new Tlb(o.policy ?? 'max'), trace: undefined };
  const cfg: TranslationConfig = {
    s1: s1 !== undefined ? s1ContextFor(s1, undefined, { vmid: s2 !== undefined ? 1 : 0, ...o.s1ctx }) : undefined,
    s2: s2 !== undefined ? s2ContextFor(s2, o.s2ctx ?? {}) : undefined,
    iasBits: o.iasBits ?? 48,
  };
  return { mem, env, s1, s2, cfg };
}
