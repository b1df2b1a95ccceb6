/**
 * Field encodings several structures share, named once for `decode`: shareability (STE, CD,
 * CMD_SYNC MSH), table-walk cacheability (STE.S2IR0/S2OR0, CD.IRx/ORx), the TG0 granule encoding
 * (CD.TG0 and STE.S2TG, §5.2, §5.4) and the output-size encoding (CD.IPS, STE.S2PS, §6.3.6).
 */
import { OAS_BITS } from './registers.ts';

export const SH_NAMES: Readonly<Record<number, string>> = { 0: 'NSH', 1: 'RESERVED(NSH)', 2: 'OSH', 3: 'ISH' };
export const WALK_CACHE_NAMES: Readonly<Record<number, string>> = { 0: 'NC', 1: 'WB-RA-WA', 2: 'WT-RA', 3: 'WB-RA-noWA' };
export const TG0_NAMES: Readonly<Record<number, string>> = { 0: '4KB', 1: '64KB', 2: '16KB', 3: 'RESERVED' };
/** `0: '32 bits'` … `7: '56 bits'`. */
export const PS_NAMES: Readonly<Record<number, string>> = Object.fromEntries(OAS_BITS.map((bits, enc) => [enc, `${bits} bits`]));
