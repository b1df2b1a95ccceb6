/**
 * Typed STE (scenario `streams:` / `ste:` steps) → 8 STE dwords (§5.2). `raw` wins; `fields` is
 * applied after the typed keys. Defaults: V=1; Config inferred (cd_table + s2_table → nested,
 * cd_table → s1, s2_table → s2, neither → bypass); S2AA64=1, S2R=1; table-walk attributes as
 * Linux programs them (S1CIR/S1COR WB-RA, S1CSH ISH, S2IR0/S2OR0 WB, S2SH0 ISH).
 * STRW: el2 and el2_e2h both encode 0b10 (EL2-E2H is selected by SMMU_CR2.E2H, not by the STE).
 */
import { STE, STE_CONFIG, steEncoding } from '../../arch/ste.ts';
import type { Scenario, SteFields, VSte } from '../../scenario/types.ts';
import type { Tables } from './tables.ts';

const CONFIG = { abort: STE_CONFIG.ABORT, bypass: STE_CONFIG.BYPASS, s1: STE_CONFIG.S1_TRANS, s2: STE_CONFIG.S2_TRANS, nested: STE_CONFIG.NESTED } as const;
// the scenario's words for STE encodings, by the names in arch/ste.ts's tables (§5.2)
const S1DSS = { terminate: steEncoding('S1DSS', 'TERMINATE'), bypass: steEncoding('S1DSS', 'BYPASS'), ssid0: steEncoding('S1DSS', 'SUBSTREAM0') } as const;
const S1FMT = {
  linear: steEncoding('S1Fmt', 'LINEAR'),
  '2l_4k': steEncoding('S1Fmt', '64K_L2(4KB leaf)'),
  '2l_64k': steEncoding('S1Fmt', '1024_L2(64KB leaf)'),
} as const;
const EATS = { off: steEncoding('EATS', 'ABORT'), full: steEncoding('EATS', 'TRANS'), split: steEncoding('EATS', 'S1CHK') } as const;
const STRW = { el1: steEncoding('STRW', 'EL1'), el2: steEncoding('STRW', 'EL2'), el2_e2h: steEncoding('STRW', 'EL2') } as const;
/** CD fetch attributes as Linux programs them: S1CIR/S1COR write-back read-allocate, S1CSH inner shareable. */
const CD_FETCH = { S1CIR: steEncoding('S1CIR', 'WB-RA'), S1COR: steEncoding('S1COR', 'WB-RA'), S1CSH: steEncoding('S1CSH', 'ISH') } as const;

/** StreamID of a stream install / step: `sid`, or the named device's. */
export function streamSid(s: Scenario, x: { device?: string; sid?: bigint }, where: string): number {
  let sid = x.sid;
  if (x.device !== undefined) {
    const d = (s.devices ?? []).find((dev) => dev.name === x.device);
    if (d === undefined) throw new RangeError(`Cannot resolve ${where}: device "${x.device}" is not declared in devices`);
    sid = d.sid;
  }
  if (sid === undefined) throw new RangeError(`Cannot resolve ${where}: neither device nor sid given`);
  if (sid > 0xffff_ffffn) throw new RangeError(`Cannot resolve ${where}: StreamID 0x${sid.toString(16)} exceeds 32 bits`);
  return Number(sid);
}

export function encodeSte(f: SteFields, t: Tables, where: string): bigint[] {
  if (f.raw !== undefined) return STE.normalise(f.raw);
  const cd = f.cd_table !== undefined ? t.cd.get(f.cd_table) : undefined;
  if (f.cd_table !== undefined && cd === undefined) throw new RangeError(`Cannot build STE for ${where}: cd_table "${f.cd_table}" is not declared`);
  const s2 = f.s2_table !== undefined ? t.s2.get(f.s2_table) : undefined;
  if (f.s2_table !== undefined && s2 === undefined) throw new RangeError(`Cannot build STE for ${where}: s2_table "${f.s2_table}" is not declared`);
  const config = f.config ?? (cd && s2 ? 'nested' : cd ? 's1' : s2 ? 's2' : 'bypass');
  const v: Record<string, bigint | number | boolean> = {
    V: f.valid ?? true,
    Config: CONFIG[config],
  };
  if (cd !== undefined) {
    // S1ContextPtr is an IPA when stage 2 translates the CD fetch (§3.3.2), else a PA.
    const s2on = config === 'nested' || config === 's2';
    v['S1ContextPtr'] = s2on && cd.s2 !== undefined ? cd.addr : cd.pa;
    v['S1Fmt'] = f.s1fmt !== undefined ? S1FMT[f.s1fmt] : cd.s1fmt;
    v['S1CDMax'] = f.s1cdmax ?? cd.s1cdmax;
  } else {
    if (f.s1fmt !== undefined) v['S1Fmt'] = S1FMT[f.s1fmt];
    if (f.s1cdmax !== undefined) v['S1CDMax'] = f.s1cdmax;
  }
  v['S1DSS'] = S1DSS[f.s1dss ?? 'terminate'];
  v['S1CIR'] = CD_FETCH.S1CIR;
  v['S1COR'] = CD_FETCH.S1COR;
  v['S1CSH'] = CD_FETCH.S1CSH;
  if (f.s1stalld !== undefined) v['S1STALLD'] = f.s1stalld;
  if (f.eats !== undefined) v['EATS'] = EATS[f.eats];
  if (f.strw !== undefined) v['STRW'] = STRW[f.strw];
  if (f.mev !== undefined) v['MEV'] = f.mev;
  if (s2 !== undefined) Object.assign(v, s2.builder.vtcrFields());
  if (s2 !== undefined || f.vmid !== undefined) v['S2VMID'] = f.vmid ?? 0n;
  if (s2 !== undefined) {
    v['S2AA64'] = 1;
    v['S2IR0'] = 1;
    v['S2OR0'] = 1;
    v['S2SH0'] = 3;
  }
  v['S2R'] = f.s2r ?? true;
  if (f.s2ptw !== undefined) v['S2PTW'] = f.s2ptw;
  if (f.s2s !== undefined) v['S2S'] = f.s2s;
  if (f.s2ha !== undefined) v['S2HA'] = f.s2ha;
  if (f.s2hd !== undefined) v['S2HD'] = f.s2hd;
  try {
    return STE.encode(f.fields !== undefined ? Object.assign(v, f.fields) : v);
  } catch (e) {
    throw new RangeError(`Cannot build STE for ${where}: ${(e as Error).message}`);
  }
}

/**
 * The guest STE dw0/dw1 as a guest driver writes it (`nested_hwpt` steps): S1ContextPtr = the CD
 * table's IPA; Config s1 gets the stage-1 table-walk attributes Linux programs.
 */
export function encodeVste(v: VSte, t: Tables, where: string): bigint[] {
  if (v.raw !== undefined) return [v.raw[0] ?? 0n, v.raw[1] ?? 0n];
  const f: Record<string, bigint | number | boolean> = { V: v.valid ?? true, Config: CONFIG[v.config ?? 's1'] };
  if (v.cd_table !== undefined) {
    const cd = t.cd.get(v.cd_table);
    if (cd === undefined) throw new RangeError(`Cannot run ${where}: cd_table "${v.cd_table}" is not declared`);
    f['S1ContextPtr'] = cd.addr;
    f['S1Fmt'] = cd.s1fmt;
    f['S1CDMax'] = cd.s1cdmax;
  }
  if (v.s1fmt !== undefined) f['S1Fmt'] = S1FMT[v.s1fmt];
  if (v.s1cdmax !== undefined) f['S1CDMax'] = v.s1cdmax;
  if (f['Config'] === STE_CONFIG.S1_TRANS)
    Object.assign(f, { S1DSS: S1DSS[v.s1dss ?? 'terminate'], S1CIR: CD_FETCH.S1CIR, S1COR: CD_FETCH.S1COR, S1CSH: CD_FETCH.S1CSH });
  else if (v.s1dss !== undefined) f['S1DSS'] = S1DSS[v.s1dss];
  if (v.s1stalld !== undefined) f['S1STALLD'] = v.s1stalld;
  if (v.eats !== undefined) f['EATS'] = EATS[v.eats];
  const d = STE.encode({ ...f, ...(v.fields ?? {}) });
  return [d[0] ?? 0n, d[1] ?? 0n];
}
