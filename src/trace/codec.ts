/**
 * The one place src/trace (and src/host/log.ts) decode event records and commands.
 *
 * - Per-type decoding and field layouts come from src/arch/event.ts (`decodeEvent`, `EVENTS`):
 *   each type has only the fields its record holds (errata rows 24-28), so compare knows which
 *   bits are RES0 for that type.
 * - `decodeEventGeneric` reads every common field at its Linux position regardless of type, the
 *   way the Linux driver does before printing (reference §4.1, §7): the log formatter and the
 *   decoded-text cross-check need that view. Address fields keep their bits in place.
 */
import { EVENTS, UNKNOWN_EVENT, decodeEvent as archDecodeEvent, type DecodedEvent as ArchDecodedEvent } from '../arch/event.ts';
import { decodeCommand as archDecodeCommand, type DecodedCommand } from '../arch/command.ts';
import { type StructCodec } from '../arch/fields.ts';

/** Per-type decode (arch contract). */
export function decodeEvent(raw: readonly bigint[]): ArchDecodedEvent {
  return archDecodeEvent(raw);
}

export function decodeCommand(raw: readonly bigint[]): DecodedCommand {
  return archDecodeCommand(raw);
}

/** The StructCodec of an event type (reserved types: the common header only). */
export function eventCodec(type: number): StructCodec {
  return EVENTS.get(type)?.codec ?? UNKNOWN_EVENT;
}

export const EVENT_NAMES: Readonly<Record<number, string>> = {
  0x01: 'F_UUT', 0x02: 'C_BAD_STREAMID', 0x03: 'F_STE_FETCH', 0x04: 'C_BAD_STE', 0x05: 'F_BAD_ATS_TREQ',
  0x06: 'F_STREAM_DISABLED', 0x07: 'F_TRANSL_FORBIDDEN', 0x08: 'C_BAD_SUBSTREAMID', 0x09: 'F_CD_FETCH',
  0x0a: 'C_BAD_CD', 0x0b: 'F_WALK_EABT', 0x10: 'F_TRANSLATION', 0x11: 'F_ADDR_SIZE', 0x12: 'F_ACCESS',
  0x13: 'F_PERMISSION', 0x20: 'F_TLB_CONFLICT', 0x21: 'F_CFG_CONFLICT', 0x24: 'E_PAGE_REQUEST', 0x25: 'F_VMS_FETCH',
};

const TYPE_BY_NAME: ReadonlyMap<string, number> = new Map(Object.entries(EVENT_NAMES).map(([k, v]) => [v, Number(k)]));

export function eventTypeByName(name: string): number | undefined {
  return TYPE_BY_NAME.get(name);
}

/** Types whose dw3 carries an IPA (stage-2 faults) and Stall/STAG (§7.3.13–7.3.16). */
export function isTranslationFault(type: number): boolean {
  return type >= 0x10 && type <= 0x13;
}

/** Types whose dw3 carries FetchAddr[55:3] (§7.3.4, 7.3.10, 7.3.12, 7.3.21). */
export function isFetchFault(type: number): boolean {
  return type === 0x03 || type === 0x09 || type === 0x0b || type === 0x25;
}

export interface EventFieldPos {
  readonly name: string;
  readonly dword: number;
  readonly lo: number;
  readonly hi: number;
  readonly addr?: boolean;
}

/** Field positions (IPA and FetchAddr share dw3; which one applies depends on the type). */
export const EVENT_FIELDS: readonly EventFieldPos[] = [
  { name: 'Type', dword: 0, lo: 0, hi: 7 },
  { name: 'SSV', dword: 0, lo: 11, hi: 11 },
  { name: 'SubstreamID', dword: 0, lo: 12, hi: 31 },
  { name: 'StreamID', dword: 0, lo: 32, hi: 63 },
  { name: 'STAG', dword: 1, lo: 0, hi: 15 },
  { name: 'Stall', dword: 1, lo: 31, hi: 31 },
  { name: 'PnU', dword: 1, lo: 33, hi: 33 },
  { name: 'InD', dword: 1, lo: 34, hi: 34 },
  { name: 'RnW', dword: 1, lo: 35, hi: 35 },
  { name: 'S2', dword: 1, lo: 39, hi: 39 },
  { name: 'CLASS', dword: 1, lo: 40, hi: 41 },
  { name: 'TTRnW', dword: 1, lo: 44, hi: 44 },
  { name: 'InputAddr', dword: 2, lo: 0, hi: 63 },
  { name: 'IPA', dword: 3, lo: 12, hi: 55, addr: true },
  { name: 'FetchAddr', dword: 3, lo: 3, hi: 55, addr: true },
];

export const EVENT_FIELD_NAMES: readonly string[] = EVENT_FIELDS.map((f) => f.name);

export function fieldMask(f: EventFieldPos): bigint {
  return ((1n << BigInt(f.hi - f.lo + 1)) - 1n) << BigInt(f.lo);
}

/** Bits of each dword covered by some field; the rest is RES0 (or IMPDEF for some parts). */
export const EVENT_DEFINED_MASK: readonly bigint[] = [0, 1, 2, 3].map((d) =>
  EVENT_FIELDS.filter((f) => f.dword === d).reduce((m, f) => m | fieldMask(f), 0n),
);

export function getField(raw: readonly bigint[], f: EventFieldPos): bigint {
  const w = BigInt.asUintN(64, raw[f.dword] ?? 0n);
  const m = fieldMask(f);
  return f.addr ? w & m : (w & m) >> BigInt(f.lo);
}

export function setField(raw: bigint[], f: EventFieldPos, v: bigint): void {
  const m = fieldMask(f);
  const placed = f.addr ? v & m : (v << BigInt(f.lo)) & m;
  raw[f.dword] = ((raw[f.dword] ?? 0n) & ~m) | placed;
}

export function eventField(name: string): EventFieldPos {
  const f = EVENT_FIELDS.find((x) => x.name === name);
  if (f === undefined) throw new Error(`Unknown event field "${name}"`);
  return f;
}

export interface GenericEvent {
  readonly type: number;
  readonly name: string;
  readonly fields: Record<string, bigint>;
}

/** Every common field at its position, whatever the type (Linux's view; missing dwords read 0). */
export function decodeEventGeneric(raw: readonly bigint[]): GenericEvent {
  const fields: Record<string, bigint> = {};
  for (const f of EVENT_FIELDS) fields[f.name] = getField(raw, f);
  const type = Number(fields['Type'] ?? 0n);
  return { type, name: EVENTS.get(type)?.name ?? 'UNKNOWN', fields };
}

export function encodeEvent(fields: Readonly<Record<string, bigint>>): bigint[] {
  const raw = [0n, 0n, 0n, 0n];
  for (const [name, v] of Object.entries(fields)) setField(raw, eventField(name), v);
  return raw;
}

/** Fields the record of this type holds (arch layout); other bits are RES0. */
export function relevantEventFields(type: number): readonly string[] {
  return eventCodec(type).fields.map((f) => f.name);
}

export const CLASS_NAMES: Readonly<Record<number, string>> = { 0: 'CD', 1: 'TT', 2: 'IN', 3: 'RESERVED' };

