/**
 * Stage composition: stage-1 only, stage-2 only and nested (§3.3, §3.4), with the TLB.
 *
 * Hot path: `translateFast` takes the input address as two unsigned 32-bit halves and writes a
 * caller-owned FastResult; no bigint. `translate` is the bigint edge used by the device.
 *
 * Nested: every stage-1 descriptor address and the stage-1 output are IPAs translated by stage 2.
 * A stage-2 fault on a descriptor reports S2=1, CLASS=TT, IPA = the descriptor's IPA; on the output
 * S2=1, CLASS=IN, IPA = the output IPA (§7.3.13–16, emulator-models §7 item 17). Stage-1 faults
 * (including an S1 permission fault) take priority over the stage-2 translation of the output.
 */
import * as ttd from '../arch/ttd.ts';
import type { LeafEntry } from './tlb.ts';
import * as walk from './walk.ts';
import type { FaultClass, S2FetchResult, TranslateEnv, TranslationConfig, TranslationFault, TranslationRequest, TranslationResult } from './translate-types.ts';
import type { S2Context } from './walk-context.ts';

// Imported bindings copied once into locals (see walk.ts: loader getters on the hot path).
const { TWO32 } = ttd;
const { PERM_ALL, PERM_PR, PERM_PW, PERM_PX, PERM_UW, mkFault, needMask, newStageOut, stage2, walkS1 } = walk;

export interface FastResult {
  pa: number;
  /** Output of stage 1 when nested (IPA), else -1. */
  ipa: number;
  /** Combined permission mask (walk.ts PERM_*). */
  perm: number;
  sizeLog2: number;
  global: boolean;
}

export function newFastResult(): FastResult {
  return { pa: 0, ipa: -1, perm: 0, sizeLog2: 0, global: false };
}

const s1Out = newStageOut();
const s2Out = newStageOut();
const TWO52 = 2 ** 52;
const WRITE = PERM_PW | PERM_UW;

/**
 * Translate the input address hi:lo (hi = bits[63:32], lo = bits[31:0], both unsigned).
 * Returns undefined on success (result in `out`) or the fault.
 */
export function translateFast(
  env: TranslateEnv,
  cfg: TranslationConfig,
  hi: number,
  lo: number,
  read: boolean,
  write: boolean,
  instruction: boolean,
  privileged: boolean,
  out: FastResult,
): TranslationFault | undefined {
  const need = needMask(read, write, instruction, privileged);
  const s1 = cfg.s1;
  const s2 = cfg.s2;
  if (s1 === undefined) {
    if (s2 === undefined) {
      // Bypass: the device checks the OAS; here only the value is passed through.
      out.pa = hi * TWO32 + lo;
      out.ipa = -1;
      out.perm = PERM_ALL;
      out.sizeLog2 = 12;
      out.global = true;
      return undefined;
    }
    // Stage-1 bypass, stage 2 on: input above IAS → F_ADDR_SIZE S2=0 CLASS=IN (errata B.8, §3.4).
    if (cfg.iasBits < 64 && hi >= 2 ** (cfg.iasBits - 32)) return mkFault('F_ADDR_SIZE', false, 'IN', 0, -1, -1);
    const ipa = hi * TWO32 + lo;
    const f = stage2(env, s2, ipa, 'IN', need, false, s2Out);
    if (f !== undefined) return f;
    out.pa = s2Out.oa;
    out.ipa = -1;
    out.perm = s2Out.perm;
    out.sizeLog2 = s2Out.sizeLog2;
    out.global = false;
    return undefined;
  }

  // Range selection (Arm ARM AddrTop/TTBR select): VA[55] picks TTB0/TTB1 and TBI0/TBI1; bits
  // [top:IA] must all equal VA[55] (top = 55 with TBI, else 63) — otherwise F_TRANSLATION.
  const half = (hi >>> 23) & 1;
  const h = half ? s1.half1 : s1.half0;
  const ia = h.ia;
  const top = (half ? s1.tbi1 : s1.tbi0) ? 55 : 63;
  if (!rangeOk(hi, lo, ia, top, half)) return mkFault('F_TRANSLATION', false, 'IN', h.start, -1, -1);
  const va = (hi & 0xfffff) * TWO32 + lo + (half ? TWO52 : 0);

  const tlb = env.tlb;
  const cache = tlb !== undefined && tlb.enabled;
  // Leaf tags derived from the CD once (walk-context.ts).
  const tag = s1.leafTag;
  const gtag = s1.globalTag;
  if (cache) {
    let e = tlb.lookupLeaf(tag, va);
    let global = false;
    if (e === undefined) {
      e = tlb.lookupLeaf(gtag, va);
      global = true;
    }
    if (e !== undefined && !(e.dirtyPending && (need & WRITE) !== 0)) {
      tlb.hits++;
      if (env.trace !== undefined) env.trace.tlbHit('leaf', va, e.s1Level);
      const off = va - e.base;
      // Permissions are re-checked on every hit, for both stages (emulator-models §7 item 16).
      if ((e.s1Perm & need) !== need) return mkFault('F_PERMISSION', false, 'IN', e.s1Level, -1, -1);
      if ((e.s2Perm & need) !== need) return mkFault('F_PERMISSION', true, 'IN', e.s2Level, e.ipa + off, -1);
      out.pa = e.out + off;
      out.ipa = e.ipa >= 0 ? e.ipa + off : -1;
      out.perm = e.s1Perm & e.s2Perm;
      out.sizeLog2 = e.sizeLog2;
      out.global = global;
      return undefined;
    }
    tlb.misses++;
  }

  // EPDx: a TLB *miss* in a disabled half is a translation fault (§5.4); cached entries may hit.
  if (half ? s1.epd1 : s1.epd0) return mkFault('F_TRANSLATION', false, 'IN', h.start, -1, -1);
  const f1 = walkS1(env, s1, s2, half, va, need, s1Out);
  if (f1 !== undefined) return f1;
  if ((s1Out.perm & need) !== need) return mkFault('F_PERMISSION', false, 'IN', s1Out.level, -1, -1);
  let pa = s1Out.oa;
  let perm2 = PERM_ALL;
  let size = s1Out.sizeLog2;
  let fault: TranslationFault | undefined;
  if (s2 !== undefined) {
    fault = stage2(env, s2, s1Out.oa, 'IN', need, false, s2Out);
    // A stage-2 permission fault still leaves a complete, cacheable translation.
    if (fault !== undefined && fault.type !== 'F_PERMISSION') return fault;
    pa = s2Out.oa;
    perm2 = s2Out.perm;
    if (s2Out.sizeLog2 < size) size = s2Out.sizeLog2;
  }
  if (cache) {
    const p = 2 ** size;
    const off = va % p;
    const e: LeafEntry = {
      base: va - off,
      sizeLog2: size,
      out: pa - off,
      ipa: s2 !== undefined ? s1Out.oa - off : -1,
      s1Perm: s1Out.perm,
      s2Perm: perm2,
      device: false,
      s1Level: s1Out.level,
      s2Level: s2 !== undefined ? s2Out.level : -1,
      s1Granule: half ? s1.tg1 : s1.tg0,
      s2Granule: s2 !== undefined ? s2.tg : 0,
      dirtyPending: s1Out.dirtyPending || (s2 !== undefined && s2Out.dirtyPending),
    };
    tlb.insertLeaf(s1Out.global ? gtag : tag, e);
  }
  if (fault !== undefined) return fault;
  out.pa = pa;
  out.ipa = s2 !== undefined ? s1Out.oa : -1;
  out.perm = s1Out.perm & perm2;
  out.sizeLog2 = size;
  out.global = s1Out.global;
  return undefined;
}

/** Bits [top:ia] of hi:lo all equal `bit`. */
function rangeOk(hi: number, lo: number, ia: number, top: number, bit: number): boolean {
  const hLow = ia > 32 ? ia - 32 : 0;
  const width = top - 32 - hLow + 1;
  const hMask = ((0xffffffff >>> (32 - width)) << hLow) >>> 0;
  if ((hi & hMask) >>> 0 !== (bit ? hMask : 0)) return false;
  if (ia < 32) {
    const lMask = (0xffffffff << ia) >>> 0;
    if ((lo & lMask) >>> 0 !== (bit ? lMask : 0)) return false;
  }
  return true;
}

const fast = newFastResult();

/** bigint edge: translate one transaction. */
export function translate(env: TranslateEnv, cfg: TranslationConfig, req: TranslationRequest): TranslationResult {
  const iova = BigInt.asUintN(64, req.iova);
  if (cfg.s1 === undefined && cfg.s2 === undefined) {
    return { ok: true, pa: iova, perms: { read: true, write: true, exec: true }, sizeLog2: 12, global: true };
  }
  const hi = Number(iova >> 32n);
  const lo = Number(iova & 0xffffffffn);
  const f = translateFast(env, cfg, hi, lo, req.read, req.write, req.instruction, req.privileged, fast);
  if (f !== undefined) return { ok: false, fault: f };
  const p = req.privileged ? fast.perm : fast.perm >> 3;
  return {
    ok: true,
    pa: BigInt(fast.pa),
    perms: { read: (p & PERM_PR) !== 0, write: (p & PERM_PW) !== 0, exec: (p & PERM_PX) !== 0 },
    sizeLog2: fast.sizeLog2,
    global: fast.global,
  };
}

const fetchOut = newStageOut();

/**
 * Stage-2 translation of a structure fetch address (the CD in nested mode): a read, S2PTW
 * applies (errata row 12). Faults report S2=1, CLASS=`cls`, IPA = the fetch address.
 * `req` is the transaction's (the device reports its RnW/PnU/InD in the event).
 */
export function translateS2Fetch(env: TranslateEnv, s2: S2Context, ipa: bigint, _req: TranslationRequest, cls: FaultClass = 'CD'): S2FetchResult {
  if (ipa < 0n || ipa >= 1n << 52n) {
    const f: TranslationFault = { type: 'F_TRANSLATION', s2: true, class: cls, ipa };
    return { ok: false, fault: f };
  }
  const f = stage2(env, s2, Number(ipa), cls, PERM_PR, true, fetchOut);
  if (f !== undefined) return { ok: false, fault: f };
  return { ok: true, pa: BigInt(fetchOut.oa) };
}
