/**
 * Scenario `memory:` → real translation tables and CD tables in SparseMemory (layout: layout.ts).
 * Stage-2 tables first (guest structures need them), then stage-1 tables, then CD tables.
 */
import { CD, L1CD } from '../../arch/cd.ts';
import { sl0ForLevel } from '../../arch/ttd.ts';
import { SparseMemory } from '../../memory/sparse-memory.ts';
import { PageAllocator } from '../../memory/page-allocator.ts';
import { PageTableBuilder, type TableMemory, ipaView, type LeafAttrs } from '../../pgtable/builder.ts';
import { GRANULE_BYTES, type Granule, granuleShift, psEncoding, tg0Encoding } from '../../arch/ttd.ts';
import type { CdEntry, CdTable, Perm, S1Map, S1Table, S2Map, S2Table, Scenario } from '../../scenario/types.ts';
import { Stage2Pages } from './s2-pages.ts';
import { type Allocators, GUEST_TABLE_IPA_BASE, GUEST_TABLE_IPA_LIMIT, allocAt } from './layout.ts';
import { MAX_SAFE_BIG } from '../../arch/safe.ts';

/** A stage-2 table and the guest IPA space it defines. */
export interface S2Space {
  readonly spec: S2Table;
  readonly builder: PageTableBuilder;
  /** Bump allocator for guest structures (IPA). */
  readonly guestAlloc: PageAllocator;
  /** Memory seen at IPAs; unmapped pages are auto-mapped on allocation (see layout.ts). */
  readonly view: TableMemory;
}
export interface S1Built {
  readonly spec: S1Table;
  readonly builder: PageTableBuilder;
  readonly s2?: S2Space;
}
export interface CdBuilt {
  readonly spec: CdTable;
  /** Address of the (L1 or linear) table: an IPA when the table is a guest structure. */
  readonly addr: bigint;
  readonly pa: bigint;
  readonly s1fmt: 0 | 1 | 2;
  readonly s1cdmax: number;
  readonly s2?: S2Space;
}
export interface Tables {
  readonly s2: Map<string, S2Space>;
  readonly s1: Map<string, S1Built>;
  readonly cd: Map<string, CdBuilt>;
}

export function leafAttrs(stage: 1 | 2, m: { perm: Perm; af?: boolean; attr?: string; priv?: boolean; ng?: boolean; xn?: boolean }): LeafAttrs {
  const r = m.perm.includes('r');
  const w = m.perm.includes('w');
  const x = m.perm.includes('x');
  const attrIdx = m.attr === 'device' ? 1 : m.attr === 'normal_nc' ? 2 : 0;
  if (stage === 2) {
    const memAttr = m.attr === 'device' ? 0x1 : m.attr === 'normal_nc' ? 0x5 : 0xf;
    return { s2ap: (r ? 1 : 0) | (w ? 2 : 0), xn: x && m.xn !== true ? 0 : 2, af: m.af ?? true, memAttr };
  }
  // Stage 1 has no write-only or no-access encodings: AP[2]=1 read-only, AP[1]=1 unprivileged too.
  if (!r && w) throw new RangeError(`Cannot encode stage-1 permission "${m.perm}": VMSAv8-64 has no write-only stage-1 pages`);
  const ap = (w ? 0 : 2) | (m.priv === true ? 0 : 1);
  const noX = !x || m.xn === true;
  return { ap, uxn: noX, pxn: noX, nG: m.ng ?? true, af: m.af ?? true, attrIndx: attrIdx };
}

export function buildTables(s: Scenario, mem: SparseMemory, alloc: Allocators, oas: number): Tables {
  const t: Tables = { s2: new Map(), s1: new Map(), cd: new Map() };
  const mm = s.memory ?? {};
  for (const spec of mm.s2_tables ?? []) t.s2.set(spec.name, buildS2(spec, mem, alloc, oas));
  for (const spec of mm.s1_tables ?? []) t.s1.set(spec.name, buildS1(spec, t, mem, alloc, oas));
  for (const spec of mm.cd_tables ?? []) t.cd.set(spec.name, buildCd(spec, t, mem, alloc));
  return t;
}

function buildS2(spec: S2Table, mem: SparseMemory, alloc: Allocators, oas: number): S2Space {
  const granule = GRANULE_BYTES[spec.granule];
  const builder = new PageTableBuilder({
    stage: 2,
    granule,
    iaBits: spec.ipa_bits,
    oaBits: oas,
    mem,
    alloc: allocAt(spec.at, (size) => alloc.host.alloc(size, Math.max(size, 64))),
    ...(spec.sl0 !== undefined ? { startLevel: startLevelFromSl0(granule, spec.sl0) } : {}),
  });
  for (const m of spec.map) mapS2(builder, m, `s2_tables "${spec.name}"`);
  const guestAlloc = new PageAllocator(GUEST_TABLE_IPA_BASE, GUEST_TABLE_IPA_LIMIT);
  // every translation of the view through one walk per 4 KB page while the tables stay as they are
  const pages = new Stage2Pages(builder, mem);
  const ensure = (ipa: bigint, size: number): void => {
    const g = BigInt(granule);
    for (let a = ipa & ~(g - 1n); a < ipa + BigInt(size); a += g) {
      if (pages.lookup(a) === undefined) builder.map(a, alloc.guestRam.alloc(granule, granule), g, leafAttrs(2, { perm: 'rw' }), { pageOnly: true });
    }
  };
  const toPa = (ipa: bigint): bigint => {
    const pa = pages.lookup(ipa);
    if (pa === undefined) throw new RangeError(`Cannot access guest IPA 0x${ipa.toString(16)}: not mapped by stage-2 table "${spec.name}"`);
    return pa;
  };
  const base = ipaView(mem, toPa);
  const gBig = BigInt(granule);
  const view: TableMemory = {
    read64: base.read64,
    // the builder's descriptor reads: without bigints while the page's translation is remembered
    readU64Parts: (a, out) => {
      const pa = pages.lookupNumber(a);
      if (pa >= 0) return mem.readU64Parts(pa, out);
      const v = base.read64(BigInt(a));
      if (v === undefined) return false;
      out[0] = Number(v & 0xffffffffn);
      out[1] = Number(v >> 32n);
      return true;
    },
    write64: (a, v) => {
      // One walk when the page is mapped (then ensure would do nothing and toPa gives this PA).
      const pa = pages.lookup(a);
      if (pa !== undefined && (a & 7n) === 0n) {
        mem.write64(pa, v);
        pages.wrote(pa, 8);
      } else {
        ensure(a, 8);
        base.write64(a, v);
      }
    },
    back: (a, size) => {
      ensure(a, size);
      base.back(a, size);
    },
    // back + zero write64s, a stage-2 page at a time: each page is translated right before it is
    // zeroed (a zeroed page may be a table of the next page's walk); a page that is one of the
    // tables its own walk reads is zeroed a word at a time, translated again per word.
    zero: (a, size) => {
      ensure(a, size);
      base.back(a, size);
      for (let off = 0n; off < BigInt(size); ) {
        const ia = a + off;
        const len = (ia & ~(gBig - 1n)) + gBig - ia < BigInt(size) - off ? (ia & ~(gBig - 1n)) + gBig - ia : BigInt(size) - off;
        const pa = pages.lookup(ia);
        if (pa !== undefined && (pa & 7n) === 0n && len % 8n === 0n && !touchesWalk(pages.walked, pa, len)) {
          mem.zero(pa, Number(len));
          pages.wrote(pa, Number(len));
        } else for (let w = 0n; w < len; w += 8n) base.write64(ia + w, 0n);
        off += len;
      }
    },
  };
  return { spec, builder, guestAlloc, view };
}

/** Would writes to [pa, pa+len) touch a table page the walk read (descriptor addresses)? */
function touchesWalk(walked: readonly number[], pa: bigint, len: bigint): boolean {
  if (pa + len > MAX_SAFE_BIG) return true;
  const first = Math.floor(Number(pa) / 4096);
  const last = Math.floor(Number(pa + len - 1n) / 4096);
  return walked.some((a) => Math.floor(a / 4096) >= first && Math.floor(a / 4096) <= last);
}

/** STE.S2SL0 encoding → start level for the granule (§5.2). */
function startLevelFromSl0(g: Granule, sl0: number): number {
  for (let l = 0; l <= 3; l++) if (sl0ForLevel(granuleShift(g), l) === sl0) return l;
  throw new RangeError(`Cannot use S2SL0=${sl0} with the ${g / 1024}K granule`);
}

export function mapS2(b: PageTableBuilder, m: Pick<S2Map, 'ipa' | 'pa' | 'size' | 'perm' | 'af' | 'attr' | 'page_only'>, where: string): void {
  try {
    b.map(m.ipa, m.pa, m.size, leafAttrs(2, m), { pageOnly: m.page_only === true });
  } catch (e) {
    throw new RangeError(`Cannot map ${where}: ${(e as Error).message}`);
  }
}

export function mapS1(
  t: S1Built,
  m: Pick<S1Map, 'va' | 'pa' | 'ipa' | 'size' | 'perm' | 'af' | 'attr' | 'page_only' | 'priv' | 'ng' | 'xn'>,
  alloc: Allocators,
  where: string,
): void {
  const out = t.s2 !== undefined ? (m.ipa ?? m.pa) : (m.pa ?? m.ipa ?? alloc.data.alloc(m.size, t.builder.granule));
  if (out === undefined) throw new RangeError(`Cannot map ${where}: a nested stage-1 mapping needs \`ipa\``);
  try {
    t.builder.map(m.va, out, m.size, leafAttrs(1, m), { pageOnly: m.page_only === true });
  } catch (e) {
    throw new RangeError(`Cannot map ${where}: ${(e as Error).message}`);
  }
}

function guestSpace(t: Tables, name: string | undefined, what: string): S2Space | undefined {
  if (name === undefined) return undefined;
  const s2 = t.s2.get(name);
  if (s2 === undefined) throw new RangeError(`Cannot build ${what}: ipa_space "${name}" is not an s2_tables entry`);
  return s2;
}

function buildS1(spec: S1Table, t: Tables, mem: SparseMemory, alloc: Allocators, oas: number): S1Built {
  const s2 = guestSpace(t, spec.ipa_space, `s1_tables "${spec.name}"`);
  const granule = GRANULE_BYTES[spec.granule];
  const next =
    s2 !== undefined
      ? (size: number): bigint => s2.guestAlloc.alloc(size, Math.max(size, 64))
      : (size: number): bigint => alloc.host.alloc(size, Math.max(size, 64));
  const builder = new PageTableBuilder({
    stage: 1,
    granule,
    iaBits: spec.va_bits,
    oaBits: oas,
    mem: s2 !== undefined ? s2.view : mem,
    alloc: allocAt(spec.at, next),
  });
  const built: S1Built = { spec, builder, ...(s2 !== undefined ? { s2 } : {}) };
  spec.map.forEach((m, i) => mapS1(built, m, alloc, `s1_tables "${spec.name}" map[${i}]`));
  return built;
}

const FMT = { linear: 0, '2l_4k': 1, '2l_64k': 2 } as const;

function buildCd(spec: CdTable, t: Tables, mem: SparseMemory, alloc: Allocators): CdBuilt {
  const s2 = guestSpace(t, spec.ipa_space, `cd_tables "${spec.name}"`);
  const where = `cd_tables "${spec.name}"`;
  const fmt = FMT[spec.s1fmt ?? 'linear'];
  const maxSsid = spec.entries.reduce((a, e) => (e.ssid > a ? e.ssid : a), 0n);
  const cdmax = spec.s1cdmax ?? (maxSsid === 0n ? 0 : maxSsid.toString(2).length);
  const w: TableMemory = s2 !== undefined ? s2.view : mem;
  const next =
    s2 !== undefined
      ? (size: number): bigint => s2.guestAlloc.alloc(size, Math.max(size, 64))
      : (size: number): bigint => alloc.host.alloc(size, Math.max(size, 64));
  const place = allocAt(spec.at, next);
  const zeroed = (size: number): bigint => {
    const a = place(size);
    if (w instanceof SparseMemory)
      w.zero(a, size); // same as the loop below, a page at a time
    else if (w.zero !== undefined) w.zero(a, size);
    else {
      w.back(a, size);
      for (let o = 0; o < size; o += 8) w.write64(a + BigInt(o), 0n);
    }
    return a;
  };
  const split = fmt === 1 ? 6 : fmt === 2 ? 10 : undefined;
  let addr: bigint;
  const l2: Map<number, bigint> = new Map();
  if (cdmax === 0 || split === undefined) {
    addr = zeroed(64 * 2 ** cdmax);
  } else {
    addr = zeroed(Math.max(64, 8 * 2 ** Math.max(0, cdmax - split)));
  }
  for (const e of spec.entries) {
    if (e.ssid >= 1n << BigInt(cdmax) && !(cdmax === 0 && e.ssid === 0n)) {
      throw new RangeError(`Cannot build ${where}: SSID ${e.ssid} exceeds S1CDMax=${cdmax}`);
    }
    const idx = Number(e.ssid);
    let cdAddr: bigint;
    if (cdmax === 0 || split === undefined) {
      cdAddr = addr + BigInt(idx * 64);
    } else {
      const l1i = Math.floor(idx / 2 ** split);
      let l2a = l2.get(l1i);
      if (l2a === undefined) {
        l2a = zeroed(64 * 2 ** split);
        l2.set(l1i, l2a);
        w.write64(addr + BigInt(l1i * 8), L1CD.encode({ V: 1, L2Ptr: l2a })[0] ?? 0n);
      }
      cdAddr = l2a + BigInt((idx % 2 ** split) * 64);
    }
    const dws = encodeCd(e, t, where);
    dws.forEach((d, i) => w.write64(cdAddr + BigInt(8 * i), d));
  }
  const pa = s2 !== undefined ? (s2.builder.outputAddress(addr) ?? addr) : addr;
  return { spec, addr, pa, s1fmt: fmt, s1cdmax: cdmax, ...(s2 !== undefined ? { s2 } : {}) };
}

/** Default MAIR: Attr0 Normal WB (0xff), Attr1 Device-nGnRnE (0x00), Attr2 Normal NC (0x44). */
export const DEFAULT_MAIR = 0x4400ffn;

function encodeCd(e: CdEntry, t: Tables, where: string): bigint[] {
  if (e.raw !== undefined) return CD.normalise(e.raw);
  const table = (name: string | undefined): PageTableBuilder | undefined => {
    if (name === undefined) return undefined;
    const s1 = t.s1.get(name);
    if (s1 === undefined) throw new RangeError(`Cannot build ${where} SSID ${e.ssid}: "${name}" is not an s1_tables entry`);
    return s1.builder;
  };
  const tt0 = table(e.tt0);
  const tt1 = table(e.tt1);
  const mair = e.mair ?? DEFAULT_MAIR;
  // Assigned one by one in field order (an object literal with spreads in it is built several
  // times slower); the order is the order of encode's error messages.
  const f: Record<string, bigint | number | boolean> = {};
  f['V'] = e.valid ?? true;
  if (tt0 !== undefined) Object.assign(f, tt0.cdFields(0));
  else {
    f['T0SZ'] = 16;
    f['TG0'] = 0;
  }
  if (tt1 !== undefined) Object.assign(f, tt1.cdFields(1));
  else {
    f['T1SZ'] = 16;
    f['TG1'] = 2;
  }
  f['EPD0'] = e.epd0 ?? tt0 === undefined;
  f['EPD1'] = e.epd1 ?? tt1 === undefined;
  f['IR0'] = 1;
  f['OR0'] = 1;
  f['SH0'] = 3;
  f['IR1'] = 1;
  f['OR1'] = 1;
  f['SH1'] = 3;
  f['AA64'] = e.aa64 ?? true;
  f['HA'] = e.ha ?? false;
  f['HD'] = e.hd ?? false;
  f['S'] = e.s ?? false;
  f['R'] = e.r ?? true;
  f['A'] = e.a ?? true;
  f['ASET'] = e.aset ?? false;
  f['ASID'] = e.asid ?? 0n;
  f['MAIR0'] = mair & 0xffff_ffffn;
  f['MAIR1'] = mair >> 32n;
  if (f['IPS'] === undefined) f['IPS'] = psEncoding(48);
  if (e.t0sz !== undefined) f['T0SZ'] = e.t0sz;
  if (e.t1sz !== undefined) f['T1SZ'] = e.t1sz;
  if (e.tg0 !== undefined) f['TG0'] = tg0Encoding(GRANULE_BYTES[e.tg0]);
  if (e.ips !== undefined) f['IPS'] = e.ips;
  return CD.encode(e.fields !== undefined ? Object.assign(f, e.fields) : f);
}
