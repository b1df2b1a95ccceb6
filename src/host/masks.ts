/**
 * Bit masks the Linux-like driver uses for STE/CD fields, derived from the arch codecs so that a
 * position is written in one place. Linux's own masks are narrower than the architecture for the
 * table pointers (it stops at bit 51: S1ContextPtr [51:6], S2TTB [51:4], CD.TTB0 [51:4]); the
 * host reproduces Linux, so those three are declared here with Linux's width.
 */
import { STE, steEncoding as steEncodingNumber } from '../arch/ste.ts';
import { CD } from '../arch/cd.ts';

/** Bits [hi:lo] set. */
export function genmask(hi: number, lo: number): bigint {
  return ((1n << BigInt(hi - lo + 1)) - 1n) << BigInt(lo);
}

export function steMask(name: string): bigint {
  return STE.mask(name);
}
export function cdMask(name: string): bigint {
  return CD.mask(name);
}

/** Place `v` in field `name` of an STE dword (shifted into position, masked). */
export function steField(name: string, v: bigint | number): bigint {
  return (BigInt(v) << BigInt(STE.field(name).lo)) & STE.mask(name);
}
export function cdField(name: string, v: bigint | number): bigint {
  return (BigInt(v) << BigInt(CD.field(name).lo)) & CD.mask(name);
}

/** Linux STRTAB_STE_0_S1CTXPTR_MASK. */
export const LINUX_S1CTXPTR = genmask(51, 6);
/** Linux STRTAB_STE_3_S2TTB_MASK. */
export const LINUX_S2TTB = genmask(51, 4);
/** Linux CTXDESC_CD_1_TTB0_MASK. */
export const LINUX_TTB0 = genmask(51, 4);
/** STE dw2 VTCR block [50:32] (S2T0SZ..S2PS). */
export const STE2_VTCR = genmask(50, 32);

/** The encoding the STE codec's table names `name` for field `field` (arch/ste.ts): each encoding is defined once. */
/** steEncoding as the driver's bigint (arch/ste.ts has the table). */
export function steEncoding(field: string, name: string): bigint {
  return BigInt(steEncodingNumber(field, name));
}

export const CFG = {
  ABORT: steEncoding('Config', 'ABORT'),
  BYPASS: steEncoding('Config', 'BYPASS'),
  S1_TRANS: steEncoding('Config', 'S1_TRANS'),
  S2_TRANS: steEncoding('Config', 'S2_TRANS'),
  NESTED: steEncoding('Config', 'NESTED'),
} as const;
export const S1DSS = {
  TERMINATE: steEncoding('S1DSS', 'TERMINATE'),
  BYPASS: steEncoding('S1DSS', 'BYPASS'),
  SSID0: steEncoding('S1DSS', 'SUBSTREAM0'),
} as const;
export const EATS = { ABORT: steEncoding('EATS', 'ABORT'), TRANS: steEncoding('EATS', 'TRANS'), S1CHK: steEncoding('EATS', 'S1CHK') } as const;
