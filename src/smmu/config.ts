/**
 * Configuration lookup for one transaction (§3.3, §5.1-5.4, §7.3): stream table → STE →
 * (SubstreamID rules) → CD table → CD, with the event each failure produces, in the priority
 * order of §7.3.22 (errata B.9): C_BAD_STREAMID > F_STE_FETCH > C_BAD_STE > C_BAD_SUBSTREAMID >
 * F_STREAM_DISABLED > stage-2 fault on the CD fetch > F_CD_FETCH > C_BAD_CD.
 *
 * Structures are read through the ConfigCache: with policy 'max' a changed STE/CD stays
 * invisible until the matching CFGI.
 *
 * Decoding is memoised by content (DecodeMemo): the words are still fetched from memory (or the
 * ConfigCache) for every transaction exactly as before, so every write and every invalidation is
 * seen as the architecture and the cache policy say; only when the fetched words equal the
 * last ones decoded for that StreamID (CD: StreamID and CD-table index) is the decoded object,
 * and the verdict of the ILLEGAL checks on it, reused. Decoded objects are frozen (the device's
 * walk contexts are built from them and cached by them).
 */
import { CD, L1CD } from '../arch/cd.ts';
import type { EventName } from '../arch/event.ts';
import { type FieldInput, type FieldValues, num } from '../arch/fields.ts';
import { L1STD } from '../arch/l1std.ts';
import { CR2, REG, STRTAB_BASE, STRTAB_BASE_CFG } from '../arch/registers.ts';
import { STE } from '../arch/ste.ts';
import type { SparseMemory } from '../memory/sparse-memory.ts';
import type { ConfigCache } from './cfgcache.ts';
import { type IllegalId, type IllegalReason, type StreamWorld, cdIllegal, steIllegal } from './config-checks.ts';
import { profileIas } from './profile.ts';
import type { RegFile } from './regfile.ts';
import type { S2FetchResult, TranslationFault } from './translate-types.ts';

export interface EventSpec {
  name: EventName;
  fields: FieldInput;
  /** Why (for traces and tests); not part of the record. */
  reason: string;
  /** Stable id of the ILLEGAL rule for C_BAD_STE / C_BAD_CD (config-checks.ts). */
  reasonId?: IllegalId;
  /** False when the architecture says not to record it (C_BAD_STREAMID with RECINVSID=0). */
  record: boolean;
  /** A stage-2 fault on a CD fetch: subject to STE.S2R like any other stage-2 fault. */
  s2Fault?: TranslationFault;
  /** The STE in force (for s2Fault: STE.S2R and the PRIVCFG/INSTCFG overrides). */
  ste?: FieldValues;
}

export type ConfigOutcome =
  | { kind: 'fault'; event: EventSpec }
  | { kind: 'abort-silent'; reason: string }
  | { kind: 'bypass'; reason: 'ste'; ste: FieldValues }
  | {
      kind: 'translate';
      ste: FieldValues;
      /** Decoded CD, or undefined when stage 1 is bypassed (Config=0b110, or S1DSS=0b01). */
      cd: FieldValues | undefined;
      world: StreamWorld;
    };

export interface ConfigContext {
  regs: RegFile;
  mem: SparseMemory;
  cache: ConfigCache;
  /** Decoded STEs/CDs by content; absent: decode every time. */
  memo?: DecodeMemo;
  /** Translate a CD-table IPA through stage 2 (nested CD fetch), for the STE given. */
  s2Fetch(ste: FieldValues, ipa: bigint): S2FetchResult;
}

interface SteMemo {
  readonly raw: readonly bigint[];
  readonly ste: FieldValues;
  /** steIllegal(ste, profile), once computed (the profile is the device's, fixed). */
  ill?: { readonly reason: IllegalReason | undefined };
}
interface CdMemo {
  readonly raw: readonly bigint[];
  readonly cd: FieldValues;
  /** cdIllegal for the last STE object / world it was checked with. */
  ill?: { readonly ste: FieldValues; readonly world: StreamWorld; readonly reason: IllegalReason | undefined };
}

/**
 * The last decoded STE per StreamID and CD per (StreamID, CD index), keyed by the raw words:
 * a hit needs the same 64-bit words, so it is exactly what decoding again would give. One per
 * device (the ILLEGAL verdicts depend on its profile).
 */
export class DecodeMemo {
  readonly #ste = new Map<number, SteMemo>();
  readonly #cd = new Map<number, CdMemo>();
  #strtab: { readonly cfg: bigint; readonly base: bigint; readonly g: StrtabGeometry } | undefined;

  /** strtabGeometry(regs), as of the STRTAB_BASE(_CFG) values it was derived from. */
  strtab(regs: RegFile): StrtabGeometry {
    const cfg = regs.get(REG.STRTAB_BASE_CFG);
    const base = regs.get(REG.STRTAB_BASE);
    const m = this.#strtab;
    if (m !== undefined && m.cfg === cfg && m.base === base) return m.g;
    const g = Object.freeze(strtabGeometry(regs));
    this.#strtab = { cfg, base, g };
    return g;
  }

  ste(sid: number, raw: readonly bigint[]): SteMemo {
    const m = this.#ste.get(sid);
    if (m !== undefined && sameWords(m.raw, raw)) return m;
    const fresh: SteMemo = { raw, ste: Object.freeze(STE.decode(raw)) };
    this.#ste.set(sid, fresh);
    return fresh;
  }

  cd(sid: number, index: number, raw: readonly bigint[]): CdMemo {
    // StreamIDs are at most 32 bits and CD indexes (SubstreamIDs) at most 20: an exact number key
    const key = sid * 0x10_0000 + index;
    const m = this.#cd.get(key);
    if (m !== undefined && sameWords(m.raw, raw)) return m;
    const fresh: CdMemo = { raw, cd: Object.freeze(CD.decode(raw)) };
    this.#cd.set(key, fresh);
    return fresh;
  }
}

function sameWords(a: readonly bigint[], b: readonly bigint[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function decodeSte(ctx: ConfigContext, sid: number, raw: readonly bigint[]): SteMemo {
  return ctx.memo !== undefined ? ctx.memo.ste(sid, raw) : { raw, ste: STE.decode(raw) };
}

function decodeCd(ctx: ConfigContext, sid: number, index: number, raw: readonly bigint[]): CdMemo {
  return ctx.memo !== undefined ? ctx.memo.cd(sid, index, raw) : { raw, cd: CD.decode(raw) };
}

/** Stream table geometry from STRTAB_BASE(_CFG) (§6.3.24-25). */
export interface StrtabGeometry {
  twoLevel: boolean;
  log2size: number;
  split: number;
  base: bigint;
}

export function strtabGeometry(regs: RegFile): StrtabGeometry {
  const cfg = [regs.get(REG.STRTAB_BASE_CFG)];
  const p = regs.profile;
  const fmt = Number(STRTAB_BASE_CFG.get(cfg, 'FMT'));
  // FMT reserved values behave as linear; without ST_LEVEL the field is RES0.
  const twoLevel = fmt === 1 && p.stLevel === 1;
  const log2size = Number(STRTAB_BASE_CFG.get(cfg, 'LOG2SIZE'));
  const rawSplit = Number(STRTAB_BASE_CFG.get(cfg, 'SPLIT'));
  const split = rawSplit === 6 || rawSplit === 8 || rawSplit === 10 ? rawSplit : 6; // others behave as 6
  const addr = STRTAB_BASE.get([regs.get(REG.STRTAB_BASE)], 'ADDR');
  // Effective base alignment: linear → table size; 2-level → max(64 B, L1 size) (§6.3.24).
  const alignLog2 = twoLevel ? Math.max(6, Math.max(0, log2size - split) + 3) : log2size + 6;
  return { twoLevel, log2size, split, base: addr & ~((1n << BigInt(alignLog2)) - 1n) };
}

export function l1IndexOf(g: StrtabGeometry, sid: number): number | undefined {
  return g.twoLevel ? Math.floor(sid / 2 ** g.split) : undefined;
}

function fault(name: EventName, fields: FieldInput, reason: string | IllegalReason, record = true): ConfigOutcome {
  if (typeof reason === 'string') return { kind: 'fault', event: { name, fields, reason, record } };
  return { kind: 'fault', event: { name, fields, reason: `${reason.id}: ${reason.detail}`, reasonId: reason.id, record } };
}

// The fault record's header and CR2.RECINVSID only matter on a fault: built then, not per lookup.
function steHdr(sid: number, ssid: number | undefined): FieldInput {
  return { StreamID: sid, ...ssidFields(ssid) };
}

/** C_BAD_STREAMID, recorded only with SMMU_CR2.RECINVSID=1 (§6.3.12). */
function badStreamId(regs: RegFile, sid: number, ssid: number | undefined, why: string): { out: ConfigOutcome } {
  return { out: fault('C_BAD_STREAMID', steHdr(sid, ssid), why, CR2.get([regs.get(REG.CR2)], 'RECINVSID') === 1n) };
}

/**
 * Find, fetch and check the STE for `sid`. The SubstreamID is not checked here, only reported:
 * C_BAD_STREAMID, F_STE_FETCH and C_BAD_STE carry SSV and the transaction's SubstreamID (§7.3
 * common fields, §7.3.3-7.3.5 layouts).
 */
export function lookupSte(ctx: ConfigContext, sid: number, ssid?: number): { ste: FieldValues } | { out: ConfigOutcome } {
  const { regs, mem, cache } = ctx;
  const p = regs.profile;
  const g = ctx.memo !== undefined ? ctx.memo.strtab(regs) : strtabGeometry(regs);
  const sidBits = Math.min(g.log2size, p.sidSize);
  if (sid >= 2 ** sidBits) return badStreamId(regs, sid, ssid, `StreamID 0x${sid.toString(16)} >= 2^${sidBits}`);
  let raw = cache.getSte(sid);
  // a cached STE was legal when it was inserted; it is inserted once, on the miss
  const hit = raw !== undefined;
  if (raw === undefined) {
    let steAddr: bigint;
    if (g.twoLevel) {
      const l1 = Math.floor(sid / 2 ** g.split);
      let desc = cache.getL1std(l1);
      if (desc === undefined) {
        const l1Addr = g.base + BigInt(l1 * 8);
        desc = mem.read64(l1Addr);
        if (desc === undefined)
          return { out: fault('F_STE_FETCH', { ...steHdr(sid, ssid), FetchAddr: l1Addr }, `L1STD fetch abort at 0x${l1Addr.toString(16)}`) };
      }
      const span = Number(L1STD.get([desc], 'Span'));
      // Span 0 invalid, 12-31 reserved (behave as 0), > SPLIT+1 out of range (§5.1, errata B.10).
      if (span === 0 || span > 11) return badStreamId(regs, sid, ssid, `L1STD[${l1}].Span=${span} is invalid`);
      if (span > g.split + 1) return badStreamId(regs, sid, ssid, `L1STD[${l1}].Span=${span} > SPLIT+1=${g.split + 1}`);
      const l2Index = sid % 2 ** g.split;
      if (l2Index >= 2 ** (span - 1))
        return badStreamId(regs, sid, ssid, `StreamID 0x${sid.toString(16)} is beyond L1STD[${l1}].Span=${span} (${2 ** (span - 1)} STEs)`);
      cache.putL1std(l1, desc);
      const l2 = L1STD.get([desc], 'L2Ptr') & ~((1n << BigInt(6 + span - 1)) - 1n);
      steAddr = l2 + BigInt(l2Index * 64);
    } else {
      steAddr = g.base + BigInt(sid * 64);
    }
    // An STE address above the OAS (from L1STD.L2Ptr) gives F_STE_FETCH rather than truncation (§3.4.3 note 5).
    const words = steAddr >> BigInt(p.oas) !== 0n ? undefined : mem.readWords(steAddr, 8);
    if (words === undefined) return { out: fault('F_STE_FETCH', { ...steHdr(sid, ssid), FetchAddr: steAddr }, `STE fetch abort at 0x${steAddr.toString(16)}`) };
    raw = words;
  }
  const memo = decodeSte(ctx, sid, raw);
  const ste = memo.ste;
  if (num(ste['V']) === 0) return { out: fault('C_BAD_STE', steHdr(sid, ssid), { id: 'STE_V0', detail: 'STE.V=0' }) };
  const config = num(ste['Config']);
  if ((config & 4) === 0) {
    if (!hit) cache.putSte(sid, raw);
    return { out: { kind: 'abort-silent', reason: `STE.Config=0b${config.toString(2).padStart(3, '0')} (abort)` } };
  }
  memo.ill ??= { reason: steIllegal(ste, p) };
  const ill = memo.ill.reason;
  if (ill !== undefined) return { out: fault('C_BAD_STE', steHdr(sid, ssid), ill) };
  if (!hit) cache.putSte(sid, raw);
  return { ste };
}

export function streamWorld(ste: FieldValues, regs: RegFile): StreamWorld {
  // Stage 2 on → NS-EL1; STRW is RES0 without IDR0.HYP (§5.2 STRW).
  if ((num(ste['Config']) & 2) !== 0 || !regs.profile.hyp || num(ste['STRW']) !== 2) return 'EL1';
  return CR2.get([regs.get(REG.CR2)], 'E2H') === 1n ? 'EL2-E2H' : 'EL2';
}

/** Full configuration lookup for a transaction. SMMUEN=0 handling (GBPA) is the device's. */
export function resolveConfig(ctx: ConfigContext, sid: number, ssid: number | undefined): ConfigOutcome {
  const found = lookupSte(ctx, sid, ssid);
  if ('out' in found) return found.out;
  const ste = found.ste;
  const p = ctx.regs.profile;
  const config = num(ste['Config']);
  const s1 = (config & 1) !== 0;
  const world = streamWorld(ste, ctx.regs);
  const cdmax = p.ssidSize === 0 ? 0 : num(ste['S1CDMax']); // S1CDMax IGNORED when SSIDSIZE=0
  const badSsid = (why: string, id: number): ConfigOutcome => fault('C_BAD_SUBSTREAMID', { StreamID: sid, SubstreamID: id }, why);
  if (ssid !== undefined) {
    if (p.ssidSize === 0) return badSsid('SubstreamID on an SMMU with IDR1.SSIDSIZE=0', ssid);
    if (!s1) return badSsid('SubstreamID with stage 1 disabled', ssid);
    if (cdmax === 0) return badSsid('SubstreamID with STE.S1CDMax=0 (substreams disabled)', ssid);
    if (ssid >= 2 ** cdmax) return badSsid(`SubstreamID 0x${ssid.toString(16)} >= 2^S1CDMax (${2 ** cdmax})`, ssid);
  }
  if (config === 4) return { kind: 'bypass', reason: 'ste', ste };
  if (!s1) return { kind: 'translate', ste, cd: undefined, world };
  let cdIndex = 0;
  if (cdmax !== 0) {
    const s1dss = num(ste['S1DSS']);
    if (ssid === undefined) {
      // S1DSS=0b11 is reserved and behaves as 0b00 (errata row 3).
      if (s1dss === 0 || s1dss === 3) return fault('F_STREAM_DISABLED', { StreamID: sid }, 'no SubstreamID and S1DSS=terminate');
      if (s1dss === 1) return { kind: 'translate', ste, cd: undefined, world };
    } else {
      if (s1dss === 2 && ssid === 0)
        return fault('F_STREAM_DISABLED', { StreamID: sid }, 'SubstreamID 0 with S1DSS=SUBSTREAM0 (CD 0 is reserved for non-substream traffic)');
      cdIndex = ssid;
    }
  }
  const cd = fetchCd(ctx, sid, ssid, ste, cdmax, cdIndex);
  if ('out' in cd) return cd.out;
  // the verdict is a function of the CD, the STE (which gives s2) and the world
  const m = cd.memo;
  if (m.ill === undefined || m.ill.ste !== ste || m.ill.world !== world)
    m.ill = { ste, world, reason: cdIllegal(cd.cd, { ste, world, s2: (config & 2) !== 0 }, p) };
  const ill = m.ill.reason;
  if (ill !== undefined) return fault('C_BAD_CD', { StreamID: sid, ...ssidFields(ssid) }, ill);
  if (!cd.cached) ctx.cache.putCd(sid, cdIndex, cd.raw);
  return { kind: 'translate', ste, cd: cd.cd, world };
}

export function ssidFields(ssid: number | undefined): FieldInput {
  return ssid === undefined ? { SSV: 0 } : { SSV: 1, SubstreamID: ssid };
}

/** L2 CD-table split: S1Fmt 0b01 → 64 CDs (4 KB), 0b10 → 1024 CDs (64 KB) per L2 table (§5.2). */
export function cdSplit(s1fmt: number): number | undefined {
  return s1fmt === 1 ? 6 : s1fmt === 2 ? 10 : undefined;
}

function fetchCd(
  ctx: ConfigContext,
  sid: number,
  ssid: number | undefined,
  ste: FieldValues,
  cdmax: number,
  index: number,
): { cd: FieldValues; raw: readonly bigint[]; memo: CdMemo; cached: boolean } | { out: ConfigOutcome } {
  const cached = ctx.cache.getCd(sid, index);
  if (cached !== undefined) {
    const memo = decodeCd(ctx, sid, index, cached);
    return { cd: memo.cd, raw: cached, memo, cached: true };
  }
  const nested = (num(ste['Config']) & 2) !== 0;
  const hdr = { StreamID: sid, ...ssidFields(ssid) };
  // Every CD-table address is an IPA when stage 2 is on (§3.3.2): translate it first.
  const fetch = (ipa: bigint, count: number): { words: bigint[] } | { out: ConfigOutcome } => {
    let pa = ipa;
    if (nested) {
      const r = ctx.s2Fetch(ste, ipa);
      if (!r.ok) return { out: cdS2Fault(r.fault, hdr, ipa, ste) };
      pa = r.pa;
    }
    const words = ctx.mem.readWords(pa, count);
    if (words === undefined) return { out: fault('F_CD_FETCH', { ...hdr, FetchAddr: pa & ~7n }, `CD fetch abort at 0x${pa.toString(16)}`) };
    return { words };
  };
  const ptr = ste['S1ContextPtr'] ?? 0n;
  const split = cdmax === 0 ? undefined : cdSplit(num(ste['S1Fmt']));
  let cdAddr: bigint;
  if (cdmax === 0) {
    cdAddr = ptr; // S1Fmt IGNORED: the pointer addresses one CD
  } else if (split === undefined) {
    cdAddr = (ptr & ~((1n << BigInt(cdmax + 6)) - 1n)) + BigInt(index * 64);
  } else {
    const l1Index = Math.floor(index / 2 ** split);
    let desc = ctx.cache.getL1cd(sid, l1Index);
    if (desc === undefined) {
      const l1Entries = 2 ** Math.max(0, cdmax - split);
      const l1Base = ptr & ~((1n << BigInt(Math.max(6, Math.log2(l1Entries) + 3))) - 1n);
      const got = fetch(l1Base + BigInt(l1Index * 8), 1);
      if ('out' in got) return got;
      desc = got.words[0] ?? 0n;
    }
    const id = ssid ?? 0;
    if (L1CD.get([desc], 'V') === 0n) return { out: fault('C_BAD_SUBSTREAMID', { StreamID: sid, SubstreamID: id }, `L1CD[${l1Index}].V=0`) };
    const l2 = L1CD.get([desc], 'L2Ptr');
    const limit = nested ? profileIas(ctx.regs.profile) : ctx.regs.profile.oas;
    if (l2 >> BigInt(limit) !== 0n) return { out: fault('C_BAD_SUBSTREAMID', { StreamID: sid, SubstreamID: id }, `L1CD[${l1Index}].L2Ptr out of range`) };
    ctx.cache.putL1cd(sid, l1Index, desc);
    cdAddr = l2 + BigInt((index % 2 ** split) * 64);
  }
  const got = fetch(cdAddr, 8);
  if ('out' in got) return got;
  const memo = decodeCd(ctx, sid, index, got.words);
  return { cd: memo.cd, raw: got.words, memo, cached: false };
}

/** A stage-2 fault on a CD-table fetch: CLASS=CD, S2=1, IPA = the CD address (§7.3.13). */
function cdS2Fault(f: TranslationFault, hdr: FieldInput, ipa: bigint, ste: FieldValues): ConfigOutcome {
  const fields: FieldInput = { ...hdr, S2: 1, CLASS: 0 };
  if (f.type === 'F_WALK_EABT') {
    return {
      kind: 'fault',
      event: {
        name: 'F_WALK_EABT',
        fields: { ...fields, FetchAddr: (f.fetchAddr ?? 0n) & ~7n },
        reason: 'stage-2 walk abort on CD fetch',
        record: true,
        s2Fault: f,
        ste,
      },
    };
  }
  const withIpa: FieldInput = { ...fields, IPA: ipa & ~0xfffn };
  return {
    kind: 'fault',
    event: { name: f.type, fields: withIpa, reason: `stage-2 ${f.type} on CD fetch at IPA 0x${ipa.toString(16)}`, record: true, s2Fault: f, ste },
  };
}
