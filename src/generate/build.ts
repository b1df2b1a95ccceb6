/**
 * Building blocks the areas share: tables with their mappings, CD tables, DMA probes. Each adds
 * to a Draft and returns what later steps need to aim at (the mappings, the geometry).
 */
import { DATA_BASE, GUEST_TABLE_IPA_BASE, GUEST_TABLE_IPA_LIMIT } from '../engine/exec/layout.ts';
import type { CdEntry, FieldMap, S1Map, S2Map } from '../scenario/types.ts';
import type { Draft, MCdTable, Mutable } from './draft.ts';
import type { DmaStep } from '../engine/steps/dma.ts';
import { type Geometry, pickGeometry } from './geometry.ts';
import { type GenMapping, genMappings, probeAddresses, U64_TOP } from './mappings.ts';
import type { Rng } from './rng.ts';

export interface BuiltTable {
  readonly name: string;
  readonly geo: Geometry;
  readonly maps: readonly GenMapping[];
  readonly high: boolean;
}

/** A PA for a leaf: the bottom of the data window, the top of the `bits`-bit PA space, or between. */
export function paChooser(rng: Rng, bits = 48): (size: bigint, align: bigint) => bigint | undefined {
  const top = 1n << BigInt(bits);
  return (size, align) => {
    const lo = (DATA_BASE + align - 1n) & ~(align - 1n);
    const hi = (top - size) & ~(align - 1n);
    if (hi < lo) return undefined;
    return rng.weighted<bigint>([
      [1, lo],
      [2, hi],
      [4, rng.range(lo / align, hi / align) * align],
    ]);
  };
}

/** An IPA for a nested stage-1 leaf: mostly inside a stage-2 mapping (possibly running past its end), else anywhere. */
export function ipaChooser(rng: Rng, s2: BuiltTable): (size: bigint, align: bigint) => bigint | undefined {
  const span = 1n << BigInt(s2.geo.bits);
  return (size, align) => {
    const m = s2.maps.length > 0 && rng.bool(0.8) ? rng.pick(s2.maps) : undefined;
    if (m !== undefined) {
      const off = m.size > align ? rng.range(0n, m.size / align - 1n) * align : 0n;
      return (m.from + off) & ~(align - 1n);
    }
    // unmapped at stage 2, or (rarely) beyond the stage-2 input range
    const limit = rng.bool(0.15) ? 1n << 48n : span;
    if (limit < size) return undefined;
    return rng.range(0n, (limit - size) / align) * align;
  };
}

export function addS2Table(d: Draft, rng: Rng, name: string, opts: { count?: number; nested?: boolean; bits?: number } = {}): BuiltTable {
  const geo = pickGeometry(
    rng,
    2,
    opts.bits !== undefined ? { minBits: opts.bits, maxBits: opts.bits } : { maxBits: d.oas, ...(opts.nested === true ? { minBits: 32 } : {}) },
  );
  needGranule(d, geo);
  const maps = genMappings(rng, geo, {
    count: opts.count ?? rng.int(1, 4),
    out: paChooser(rng, d.oas),
    ...(opts.nested === true ? { avoid: [{ lo: GUEST_TABLE_IPA_BASE, hi: GUEST_TABLE_IPA_LIMIT }] } : {}),
  });
  d.s2.push({
    name,
    granule: geo.granule,
    ipa_bits: geo.bits,
    ...(geo.sl0 !== undefined ? { sl0: geo.sl0 } : {}),
    map: maps.map(s2Map),
  });
  d.note(`stage-2 ${geo.granule} table, ${geo.bits}-bit IPA, start level ${geo.start}${geo.sl0 !== undefined ? ' (S2SL0 given)' : ''} (§5.2 S2T0SZ/S2SL0)`);
  return { name, geo, maps, high: false };
}

export function addS1Table(d: Draft, rng: Rng, name: string, opts: { high?: boolean; s2?: BuiltTable; count?: number; global?: boolean } = {}): BuiltTable {
  const geo = pickGeometry(rng, 1);
  needGranule(d, geo);
  const high = opts.high === true;
  const maps = genMappings(rng, geo, {
    count: opts.count ?? rng.int(1, 4),
    high,
    out: opts.s2 !== undefined ? ipaChooser(rng, opts.s2) : paChooser(rng, d.oas),
    global: opts.global === true,
  });
  d.s1.push({
    name,
    granule: geo.granule,
    va_bits: geo.bits,
    ...(opts.s2 !== undefined ? { ipa_space: opts.s2.name } : {}),
    map: maps.map((m) => s1Map(m, opts.s2 !== undefined)),
  });
  d.note(`stage-1 ${geo.granule} table for TTB${high ? 1 : 0}, ${geo.bits}-bit VA (§5.4 T${high ? 1 : 0}SZ/TG${high ? 1 : 0})`);
  return { name, geo, maps, high };
}

function needGranule(d: Draft, geo: Geometry): void {
  if (geo.granule === '16k') d.need('granule_16k');
  if (geo.granule === '64k') d.need('granule_64k');
}

// Scenario objects are assigned key by key in schema order: an object literal with spreads in it
// is built several times slower, and generation is part of every campaign's time.
function s2Map(m: GenMapping): S2Map {
  const s: Mutable<S2Map> = { ipa: m.from, pa: m.out, size: m.size, perm: m.perm };
  if (m.af !== undefined) s.af = m.af;
  if (m.attr !== undefined) s.attr = m.attr;
  if (m.page_only !== undefined) s.page_only = m.page_only;
  return s;
}

function s1Map(m: GenMapping, nested: boolean): S1Map {
  const s = { va: m.from } as Mutable<S1Map>;
  if (nested) s.ipa = m.out;
  else s.pa = m.out;
  s.size = m.size;
  s.perm = m.perm;
  if (m.af !== undefined) s.af = m.af;
  if (m.attr !== undefined) s.attr = m.attr;
  if (m.page_only !== undefined) s.page_only = m.page_only;
  if (m.priv !== undefined) s.priv = m.priv;
  if (m.ng !== undefined) s.ng = m.ng;
  if (m.xn !== undefined) s.xn = m.xn;
  return s;
}

/** CD fields a generated CD may set besides the typed keys: the rarely exercised controls (§5.4). */
const CD_EXTRA: readonly (readonly [string, bigint])[] = [
  ['AFFD', 1n],
  ['WXN', 1n],
  ['UWXN', 1n],
  ['PAN', 1n],
  ['HAD0', 1n],
  ['E0PD0', 1n],
];

export interface CdOptions {
  readonly tt0?: BuiltTable;
  readonly tt1?: BuiltTable;
  readonly ssid?: bigint;
  /** IPA space (nested guest CD table). */
  readonly s2?: BuiltTable;
}

/** One CD: the tables, TBI/EPD/IPS/HTTU/fault controls, ASID at its limits. */
export function genCd(rng: Rng, d: Draft, o: CdOptions): CdEntry {
  const fields: Record<string, bigint> = {};
  if (rng.bool(0.3)) fields['TBI0'] = 1n;
  if (o.tt1 !== undefined && rng.bool(0.3)) fields['TBI1'] = 1n;
  for (const [f, v] of CD_EXTRA) if (rng.bool(0.06)) fields[f] = v;
  const ips = rng.bool(0.25) ? rng.edgeInt(0, 5) : undefined;
  if (ips !== undefined) d.note(`CD.IPS=${ips} bounds the stage-1 output (§5.4 IPS, F_ADDR_SIZE §7.3.14)`);
  if (fields['TBI0'] !== undefined || fields['TBI1'] !== undefined) d.note('top-byte-ignore (§5.4 TBI0/TBI1, §3.4.1)');
  const ha = rng.bool(0.15) && (d.offers('httu') || rng.bool(0.3));
  const hd = rng.bool(0.1) && (d.offers('httu') || rng.bool(0.3));
  const stall = rng.bool(0.1) && (d.offers('stall') || rng.bool(0.3));
  if (ha || hd) d.httu(rng.bool(0.85));
  // on a part without stalls CD.S=1 is ILLEGAL (§5.4 S: C_BAD_CD), drawn less often, as HA/HD without HTTU
  if (stall && d.offers('stall')) d.need('stall');
  else if (stall) d.note('CD.S=1 on a part without stalls (IDR0.STALL_MODEL=0b01): ILLEGAL, C_BAD_CD (§5.4 S)');
  const e: Mutable<CdEntry> = { ssid: o.ssid ?? 0n, asid: d.uniqueId('asid', rng) };
  if (o.tt0 !== undefined) e.tt0 = o.tt0.name;
  if (o.tt1 !== undefined) e.tt1 = o.tt1.name;
  if (o.tt0 !== undefined && rng.bool(0.08)) e.epd0 = true;
  if (o.tt1 !== undefined && rng.bool(0.08)) e.epd1 = true;
  if (ips !== undefined) e.ips = ips;
  if (ha) e.ha = true;
  if (hd) e.hd = true;
  if (stall) e.s = true;
  if (rng.bool(0.15)) e.r = false;
  if (rng.bool(0.15)) e.a = false;
  if (Object.keys(fields).length > 0) e.fields = fields as FieldMap;
  return e;
}

export function addCdTable(d: Draft, name: string, entries: CdEntry[], opts: { s2?: BuiltTable; s1fmt?: MCdTable['s1fmt']; s1cdmax?: number } = {}): MCdTable {
  const t: MCdTable = {
    name,
    ...(opts.s1fmt !== undefined ? { s1fmt: opts.s1fmt } : {}),
    ...(opts.s1cdmax !== undefined ? { s1cdmax: opts.s1cdmax } : {}),
    ...(opts.s2 !== undefined ? { ipa_space: opts.s2.name } : {}),
    entries,
  };
  d.cds.push(t);
  return t;
}

/** The input addresses to send through a stream: table probes, with top bytes for TBI. */
export function s1Probes(rng: Rng, tables: readonly BuiltTable[], tbi: boolean): bigint[] {
  const out: bigint[] = [];
  for (const t of tables) {
    for (const a of probeAddresses(rng, t.geo, t.maps, t.high)) {
      out.push(a);
      if (rng.bool(tbi ? 0.3 : 0.08)) {
        // a tagged pointer: the top byte replaced (TBI ignores it; without TBI the address is out of range)
        const tag = BigInt(rng.int(1, 0xfe));
        out.push((a & ((1n << 56n) - 1n)) | (tag << 56n));
      }
    }
  }
  return out.filter((a) => a < U64_TOP);
}

export type Access = 'read' | 'write' | 'exec';

export function pickAccess(rng: Rng): Access {
  return rng.weighted<Access>([
    [5, 'read'],
    [4, 'write'],
    [1, 'exec'],
  ]);
}

/**
 * A DMA size: mostly none (one transaction), else 1 byte up to the rest of the page, or a range
 * that crosses into the next 4KB page (two transactions, each translated on its own, §3.12).
 */
function dmaSize(rng: Rng, iova: bigint): number | undefined {
  const left = 4096 - Number(iova & 0xfffn);
  if (iova + 8192n > U64_TOP) return undefined;
  return rng.weighted<number | undefined>([
    [6, undefined],
    [2, Math.min(left, rng.pick([1, 2, 4, 8, 64, left]))],
    [1, Math.min(4096, left + rng.pick([1, 8, 4096 - left]))],
  ]);
}

/** DMA steps from `device` at a few of the probes. */
export function addDmas(d: Draft, rng: Rng, device: string, probes: readonly bigint[], n: number, ssids?: readonly bigint[]): void {
  for (let i = 0; i < n && probes.length > 0; i++) {
    const iova = rng.pick(probes);
    const ssid = ssids !== undefined && ssids.length > 0 && rng.bool(0.7) ? rng.pick(ssids) : undefined;
    const size = dmaSize(rng, iova);
    const dma = { device } as Mutable<DmaStep>;
    if (ssid !== undefined) dma.ssid = ssid;
    dma.iova = iova;
    dma.access = pickAccess(rng);
    if (rng.bool(0.3)) dma.priv = rng.bool();
    if (size !== undefined) dma.size = size;
    d.step({ dma });
  }
}
