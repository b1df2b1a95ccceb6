/**
 * Descriptor encoders (bigint) for the table builders: VMSAv8-64 stage-1 / stage-2 leaf and table
 * descriptors (Arm ARM D8.3). Bit positions match src/arch/ttd.ts (the codec used for printing).
 */

export type GranuleBytes = 4096 | 16384 | 65536;

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

export function gShiftOf(g: GranuleBytes): number {
  return g === 65536 ? 16 : g === 16384 ? 14 : 12;
}

/** OA field: bits[47:g] in place, OA[51:48] in bits[15:12] for the 64K granule. */
export function encodeOA(addr: bigint, g: GranuleBytes): bigint {
  const shift = BigInt(gShiftOf(g));
  let v = addr & ((1n << 48n) - 1n) & ~((1n << shift) - 1n);
  if (g === 65536) v |= ((addr >> 48n) & 0xfn) << 12n;
  return v;
}

export function decodeOA(desc: bigint, g: GranuleBytes): bigint {
  const shift = BigInt(gShiftOf(g));
  let v = desc & ((1n << 48n) - 1n) & ~((1n << shift) - 1n);
  if (g === 65536) v |= ((desc >> 12n) & 0xfn) << 48n;
  return v;
}

const b = (x: boolean | undefined, bit: number): bigint => (x ? 1n << BigInt(bit) : 0n);

export function s1Leaf(oa: bigint, level: number, g: GranuleBytes, a: S1LeafAttrs = {}): bigint {
  return (
    1n | (level === 3 ? 2n : 0n) |
    (BigInt(a.attrIndx ?? 0) & 7n) << 2n | b(a.ns, 5) | (BigInt(a.ap ?? 1) & 3n) << 6n | (BigInt(a.sh ?? 3) & 3n) << 8n |
    b(a.af ?? true, 10) | b(a.nG ?? true, 11) | encodeOA(oa, g) | b(a.dbm, 51) | b(a.contiguous, 52) | b(a.pxn, 53) | b(a.uxn, 54) |
    (BigInt(a.sw ?? 0) & 0xfn) << 55n
  );
}

export function s2Leaf(oa: bigint, level: number, g: GranuleBytes, a: S2LeafAttrs = {}): bigint {
  return (
    1n | (level === 3 ? 2n : 0n) |
    (BigInt(a.memAttr ?? 0xf) & 0xfn) << 2n | (BigInt(a.s2ap ?? 3) & 3n) << 6n | (BigInt(a.sh ?? 3) & 3n) << 8n |
    b(a.af ?? true, 10) | encodeOA(oa, g) | b(a.dbm, 51) | b(a.contiguous, 52) | (BigInt(a.xn ?? 0) & 3n) << 53n |
    (BigInt(a.sw ?? 0) & 0xfn) << 55n
  );
}

export function tableDesc(next: bigint, g: GranuleBytes, a: TableAttrs = {}): bigint {
  return 3n | encodeOA(next, g) | b(a.pxnTable, 59) | b(a.uxnTable, 60) | (BigInt(a.apTable ?? 0) & 3n) << 61n | b(a.nsTable, 63);
}

/** Replace the table attributes (bits 63:59) of a table descriptor. */
export function withTableAttrs(desc: bigint, a: TableAttrs): bigint {
  return (desc & ((1n << 59n) - 1n)) | (tableDesc(0n, 4096, a) & ~((1n << 59n) - 1n));
}

/** Translation granule encodings: CD.TG0 / STE.S2TG (0 4K, 1 64K, 2 16K) and CD.TG1 (1 16K, 2 4K, 3 64K). */
export function tg0Encoding(g: GranuleBytes): number {
  return g === 4096 ? 0 : g === 65536 ? 1 : 2;
}
export function tg1Encoding(g: GranuleBytes): number {
  return g === 16384 ? 1 : g === 4096 ? 2 : 3;
}

const PS_BITS = [32, 36, 40, 42, 44, 48, 52];

/** CD.IPS / STE.S2PS encoding of an address size in bits (§5.2, §5.4). */
export function psEncoding(bits: number): number {
  const i = PS_BITS.indexOf(bits);
  if (i < 0) throw new RangeError(`Cannot encode an address size of ${bits} bits: use one of ${PS_BITS.join(', ')}`);
  return i;
}

export function psBits(enc: number): number {
  return PS_BITS[Math.min(enc, 6)] ?? 52;
}
