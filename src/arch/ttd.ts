/**
 * VMSAv8-64 translation table descriptors (Arm ARM D8.3, "Translation table descriptor formats").
 *
 * Two faces: StructCodecs (bigint, for printing and for tests/builders) and number helpers for the
 * walker, which reads a descriptor as two 32-bit halves (lo = bits[31:0], hi = bits[63:32]) so no
 * bigint is created on the hot path.
 *
 * Output addresses: bits[47:g] for every granule; with the 64K granule bits[15:12] hold OA[51:48]
 * (FEAT_LPA). 52-bit OA for 4K/16K (DS=1) is not modelled.
 */
import { StructCodec, type FieldSpec } from './fields.ts';
import { OAS_BITS } from './registers.ts';

/** A translation granule, in bytes: the one granule type (Arm ARM D8.2; CD.TG0/TG1, STE.S2TG). */
export type Granule = 4096 | 16384 | 65536;
/** A granule as scenarios and profiles spell it. */
export type GranuleName = '4k' | '16k' | '64k';
export const GRANULE_BYTES: Readonly<Record<GranuleName, Granule>> = { '4k': 4096, '16k': 16384, '64k': 65536 };

const COMMON_LEAF: FieldSpec[] = [
  { name: 'Valid', dword: 0, lo: 0, hi: 0 },
  { name: 'Type', dword: 0, lo: 1, hi: 1, enum: { 0: 'block', 1: 'table/page' }, doc: 'bit[1]: 0 block (levels 0-2), 1 table (0-2) or page (3)' },
  { name: 'SH', dword: 0, lo: 8, hi: 9, enum: { 0: 'NSH', 1: 'reserved', 2: 'OSH', 3: 'ISH' } },
  { name: 'AF', dword: 0, lo: 10, hi: 10, doc: 'Access flag' },
  { name: 'DBM', dword: 0, lo: 51, hi: 51, doc: 'Dirty bit modifier (HTTU)' },
  { name: 'Contiguous', dword: 0, lo: 52, hi: 52 },
  { name: 'SW', dword: 0, lo: 55, hi: 58, doc: 'software bits (IGNORED)' },
];

/** OA field per granule: bits[47:g] in place, plus OA[51:48] in bits[15:12] for 64K. */
function oaFields(granuleShift: number): FieldSpec[] {
  const f: FieldSpec[] = [{ name: 'OutputAddress', dword: 0, lo: granuleShift, hi: 47, addr: true, doc: 'OA[47:g] (table: next-level table address)' }];
  if (granuleShift === 16) f.push({ name: 'OA51_48', dword: 0, lo: 12, hi: 15, doc: 'OA[51:48] (64K granule, FEAT_LPA)' });
  return f;
}

function s1LeafCodec(g: number): StructCodec {
  return new StructCodec(`TTD_S1_LEAF_${1 << (g - 10)}K`, 1, [
    ...COMMON_LEAF,
    { name: 'AttrIndx', dword: 0, lo: 2, hi: 4, doc: 'index into MAIR' },
    { name: 'NS', dword: 0, lo: 5, hi: 5 },
    { name: 'AP', dword: 0, lo: 6, hi: 7, enum: { 0: 'RW priv', 1: 'RW any', 2: 'RO priv', 3: 'RO any' }, doc: 'AP[2:1]' },
    { name: 'nG', dword: 0, lo: 11, hi: 11, doc: 'not global: ASID-tagged' },
    ...oaFields(g),
    { name: 'PXN', dword: 0, lo: 53, hi: 53 },
    { name: 'UXN', dword: 0, lo: 54, hi: 54, doc: 'UXN / XN' },
  ]);
}

function s2LeafCodec(g: number): StructCodec {
  return new StructCodec(`TTD_S2_LEAF_${1 << (g - 10)}K`, 1, [
    ...COMMON_LEAF,
    { name: 'MemAttr', dword: 0, lo: 2, hi: 5, doc: 'MemAttr[3:2]=0b00 is Device' },
    { name: 'S2AP', dword: 0, lo: 6, hi: 7, enum: { 0: 'none', 1: 'RO', 2: 'WO', 3: 'RW' }, doc: 'S2AP[0] read, S2AP[1] write' },
    { name: 'XN', dword: 0, lo: 53, hi: 54, enum: { 0: 'exec', 1: 'PXN-like', 2: 'XN', 3: 'UXN-like' }, doc: 'XN[1:0] (FEAT_XNX)' },
    ...oaFields(g),
  ]);
}

function tableCodec(g: number): StructCodec {
  return new StructCodec(`TTD_TABLE_${1 << (g - 10)}K`, 1, [
    { name: 'Valid', dword: 0, lo: 0, hi: 0 },
    { name: 'Type', dword: 0, lo: 1, hi: 1, enum: { 0: 'block', 1: 'table' } },
    ...oaFields(g).map((f) => (f.name === 'OutputAddress' ? { ...f, name: 'NextTableAddress' } : f)),
    { name: 'PXNTable', dword: 0, lo: 59, hi: 59 },
    { name: 'UXNTable', dword: 0, lo: 60, hi: 60, doc: 'UXNTable / XNTable' },
    { name: 'APTable', dword: 0, lo: 61, hi: 62, doc: 'bit 61: no EL0 access below; bit 62: read-only below' },
    { name: 'NSTable', dword: 0, lo: 63, hi: 63 },
  ]);
}

export const TTD = {
  s1Leaf: { 4096: s1LeafCodec(12), 16384: s1LeafCodec(14), 65536: s1LeafCodec(16) },
  s2Leaf: { 4096: s2LeafCodec(12), 16384: s2LeafCodec(14), 65536: s2LeafCodec(16) },
  table: { 4096: tableCodec(12), 16384: tableCodec(14), 65536: tableCodec(16) },
} as const;

/** One-line description of a raw descriptor at a given stage/level, for traces and test messages. */
export function describeDescriptor(raw: bigint, stage: 1 | 2, level: number, granule: Granule): string {
  const t = raw & 3n;
  if ((raw & 1n) === 0n) return 'invalid';
  if (level < 3 && t === 3n) return `table ${TTD.table[granule].format([raw]).split('\n').join(', ')}`;
  if (level === 3 && t === 1n) return 'reserved (level-3 0b01)';
  const codec = stage === 1 ? TTD.s1Leaf[granule] : TTD.s2Leaf[granule];
  return `${level === 3 ? 'page' : 'block'} ${codec.format([raw]).split('\n').join(', ')}`;
}

// ---------------------------------------------------------------------------------------------
// Number helpers for the walker. `lo`/`hi` are the unsigned 32-bit halves of the descriptor.

export const TWO32 = 4294967296;

export function granuleShift(g: number): number {
  return g === 65536 ? 16 : g === 16384 ? 14 : 12;
}

/** Lowest VA bit resolved at `level`. */
export function levelShift(gShift: number, level: number): number {
  return gShift + (3 - level) * (gShift - 3);
}

/** Start level for a stage-1 walk of an `iaBits` input range (Arm ARM: ceil((ia - g)/(g - 3)) levels). */
export function startLevelS1(gShift: number, iaBits: number): number {
  const b = gShift - 3;
  return 4 - Math.ceil((iaBits - gShift) / b);
}

/** Stage-2 start level from SL0 (VTCR_EL2.SL0 encoding; §5.2 S2SL0). Returns undefined for reserved. */
export function startLevelS2(gShift: number, sl0: number): number | undefined {
  if (gShift === 12) return sl0 === 0 ? 2 : sl0 === 1 ? 1 : sl0 === 2 ? 0 : undefined;
  // 16K SL0=0b11 (level 0) needs DS / FEAT_LPA2, not modelled: reserved here.
  if (gShift === 14) return sl0 === 0 ? 3 : sl0 === 1 ? 2 : sl0 === 2 ? 1 : undefined;
  return sl0 === 0 ? 3 : sl0 === 1 ? 2 : sl0 === 2 ? 1 : undefined;
}

/** SL0 encoding for a stage-2 start level (inverse of startLevelS2). */
export function sl0ForLevel(gShift: number, level: number): number {
  return gShift === 12 ? 2 - level : 3 - level;
}

/** Whether bits[1:0]=0b01 is a block at this level (4K: L1,L2; 16K: L2; 64K: L2, L1 with 52-bit OA). */
export function blockAllowed(gShift: number, level: number, lpa52: boolean): boolean {
  if (level === 2) return true;
  if (level === 1) return gShift === 12 || (gShift === 16 && lpa52);
  return false;
}

/** Output address bits of a descriptor as a number: OA[47:gShift] plus OA[51:48] for 64K. */
export function descOA(lo: number, hi: number, gShift: number): number {
  const low = (lo >>> gShift) * (1 << gShift); // bits [31:g]
  let high = hi & 0xffff; // bits [47:32]
  if (gShift === 16) high += ((lo >>> 12) & 0xf) * 0x10000; // OA[51:48]
  return high * TWO32 + low;
}

/**
 * The OA field of a descriptor for a number address (a safe integer), as halves: descOA's
 * inverse and encodeOA's number face (OA[47:g] in place, OA[51:48] in bits[15:12] for 64K).
 */
export function encodeOAParts(addr: number, gShift: number, out: Uint32Array): void {
  const hi = Math.floor(addr / TWO32);
  out[0] = (((addr % TWO32) >>> gShift) << gShift) | (gShift === 16 ? ((hi >>> 16) & 0xf) << 12 : 0);
  out[1] = hi & 0xffff;
}

/** 2^i for i in 0..64 (array lookup instead of Math.pow on the hot path). */
export const POW2 = new Float64Array(65).map((_, i) => 2 ** i);

/** Leaf OA for a block at `shift`: clear bits below the block size (they are RES0 / IGNORED). */
export function alignDown(v: number, shift: number): number {
  const p = POW2[shift] as number;
  return Math.floor(v / p) * p;
}

export const isValid = (lo: number): boolean => (lo & 1) === 1;
export const isTableOrPage = (lo: number): boolean => (lo & 2) === 2;
export const afBit = (lo: number): boolean => (lo & 0x400) !== 0;
/** S1 AP[2:1] as 2-bit value: bit0 = AP[1] (EL0 access), bit1 = AP[2] (read-only). */
export const s1AP = (lo: number): number => (lo >>> 6) & 3;
export const nGBit = (lo: number): boolean => (lo & 0x800) !== 0;
export const pxnBit = (hi: number): boolean => (hi & (1 << 21)) !== 0;
export const uxnBit = (hi: number): boolean => (hi & (1 << 22)) !== 0;
export const dbmBit = (hi: number): boolean => (hi & (1 << 19)) !== 0;
export const s2AP = (lo: number): number => (lo >>> 6) & 3;
/** S2 XN[1:0] = bits[54:53]. */
export const s2XN = (hi: number): number => (hi >>> 21) & 3;
export const s2MemAttr = (lo: number): number => (lo >>> 2) & 0xf;
export const pxnTable = (hi: number): boolean => (hi & (1 << 27)) !== 0;
export const uxnTable = (hi: number): boolean => (hi & (1 << 28)) !== 0;
/** APTable[1:0] = bits[62:61]. */
export const apTable = (hi: number): number => (hi >>> 29) & 3;

// ---------------------------------------------------------------------------------------------
// Encoders (bigint) for the table builders (src/pgtable): stage-1 / stage-2 leaf and table
// descriptors with the bit positions of the field tables above, and the TG/PS encodings of CD and
// STE fields that describe a table. One home for descriptor bits: the walker's number helpers,
// these encoders and the printing codecs above (ttd.test.ts checks them against each other).

export interface S1LeafAttrs {
  /** AP[2:1]: 0 RW priv, 1 RW any, 2 RO priv, 3 RO any. Default 1. */
  ap?: number;
  uxn?: boolean;
  pxn?: boolean;
  /** nG = 1: ASID-tagged. Default true (io-pgtable maps with nG for non-kernel ASIDs). */
  nG?: boolean;
  /** Access flag. Default true. */
  af?: boolean;
  attrIndx?: number;
  ns?: boolean;
  /** SH[1:0]; default 3 (Inner Shareable). */
  sh?: number;
  dbm?: boolean;
  contiguous?: boolean;
  /** Software bits [58:55]. */
  sw?: number;
}

export interface S2LeafAttrs {
  /** S2AP: bit0 read, bit1 write. Default 3. */
  s2ap?: number;
  /** XN[1:0] (bits 54:53). Default 0. */
  xn?: number;
  /** MemAttr[3:0]; default 0xF (Normal WB). 0b00xx is Device. */
  memAttr?: number;
  af?: boolean;
  sh?: number;
  dbm?: boolean;
  contiguous?: boolean;
  sw?: number;
}

export interface TableAttrs {
  /** APTable[1:0] (bits 62:61). */
  apTable?: number;
  pxnTable?: boolean;
  /** UXNTable / XNTable (bit 60). */
  uxnTable?: boolean;
  nsTable?: boolean;
}

/** OA field: bits[47:g] in place, OA[51:48] in bits[15:12] for the 64K granule. */
export function encodeOA(addr: bigint, g: Granule): bigint {
  const shift = BigInt(granuleShift(g));
  let v = addr & ((1n << 48n) - 1n) & ~((1n << shift) - 1n);
  if (g === 65536) v |= ((addr >> 48n) & 0xfn) << 12n;
  return v;
}

export function decodeOA(desc: bigint, g: Granule): bigint {
  const shift = BigInt(granuleShift(g));
  let v = desc & ((1n << 48n) - 1n) & ~((1n << shift) - 1n);
  if (g === 65536) v |= ((desc >> 12n) & 0xfn) << 48n;
  return v;
}

const b = (x: boolean | undefined, bit: number): bigint => (x ? 1n << BigInt(bit) : 0n);

export function s1Leaf(oa: bigint, level: number, g: Granule, a: S1LeafAttrs = {}): bigint {
  return (
    1n |
    (level === 3 ? 2n : 0n) |
    ((BigInt(a.attrIndx ?? 0) & 7n) << 2n) |
    b(a.ns, 5) |
    ((BigInt(a.ap ?? 1) & 3n) << 6n) |
    ((BigInt(a.sh ?? 3) & 3n) << 8n) |
    b(a.af ?? true, 10) |
    b(a.nG ?? true, 11) |
    encodeOA(oa, g) |
    b(a.dbm, 51) |
    b(a.contiguous, 52) |
    b(a.pxn, 53) |
    b(a.uxn, 54) |
    ((BigInt(a.sw ?? 0) & 0xfn) << 55n)
  );
}

export function s2Leaf(oa: bigint, level: number, g: Granule, a: S2LeafAttrs = {}): bigint {
  return (
    1n |
    (level === 3 ? 2n : 0n) |
    ((BigInt(a.memAttr ?? 0xf) & 0xfn) << 2n) |
    ((BigInt(a.s2ap ?? 3) & 3n) << 6n) |
    ((BigInt(a.sh ?? 3) & 3n) << 8n) |
    b(a.af ?? true, 10) |
    encodeOA(oa, g) |
    b(a.dbm, 51) |
    b(a.contiguous, 52) |
    ((BigInt(a.xn ?? 0) & 3n) << 53n) |
    ((BigInt(a.sw ?? 0) & 0xfn) << 55n)
  );
}

export function tableDesc(next: bigint, g: Granule, a: TableAttrs = {}): bigint {
  return 3n | encodeOA(next, g) | b(a.pxnTable, 59) | b(a.uxnTable, 60) | ((BigInt(a.apTable ?? 0) & 3n) << 61n) | b(a.nsTable, 63);
}

/** Replace the table attributes (bits 63:59) of a table descriptor. */
export function withTableAttrs(desc: bigint, a: TableAttrs): bigint {
  return (desc & ((1n << 59n) - 1n)) | (tableDesc(0n, 4096, a) & ~((1n << 59n) - 1n));
}

/** CD.TG0 encoding → granule (3 reserved); the same encoding as STE.S2TG (§5.2, §5.4). */
export const TG0_GRANULE: Readonly<Record<number, Granule>> = { 0: 4096, 1: 65536, 2: 16384 };
/** CD.TG1 encoding → granule (0 reserved) (§5.4). */
export const TG1_GRANULE: Readonly<Record<number, Granule>> = { 1: 16384, 2: 4096, 3: 65536 };

/** The encoding of a granule in a TG table (its inverse). */
function tgEncoding(table: Readonly<Record<number, Granule>>, g: Granule): number {
  for (const [enc, v] of Object.entries(table)) if (v === g) return Number(enc);
  throw new RangeError(`Cannot encode a ${g}-byte granule`);
}
/** CD.TG0 / STE.S2TG encoding of a granule. */
export function tg0Encoding(g: Granule): number {
  return tgEncoding(TG0_GRANULE, g);
}
/** CD.TG1 encoding of a granule. */
export function tg1Encoding(g: Granule): number {
  return tgEncoding(TG1_GRANULE, g);
}

/** The table formats here go up to 52-bit addresses: the OAS encodings without 0b111 (56 bits). */
const PS_BITS = OAS_BITS.slice(0, 7);

/** CD.IPS / STE.S2PS encoding of an address size in bits (§5.2, §5.4). */
export function psEncoding(bits: number): number {
  const i = PS_BITS.indexOf(bits);
  if (i < 0) throw new RangeError(`Cannot encode an address size of ${bits} bits: use one of ${PS_BITS.join(', ')}`);
  return i;
}

export function psBits(enc: number): number {
  return PS_BITS[Math.min(enc, 6)] ?? 52;
}
