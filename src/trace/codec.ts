/**
 * The one place src/trace (and src/linux/messages.ts) decode event records and commands.
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

export * from '../linux/event-view.ts';

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
  0x01: 'F_UUT',
  0x02: 'C_BAD_STREAMID',
  0x03: 'F_STE_FETCH',
  0x04: 'C_BAD_STE',
  0x05: 'F_BAD_ATS_TREQ',
  0x06: 'F_STREAM_DISABLED',
  0x07: 'F_TRANSL_FORBIDDEN',
  0x08: 'C_BAD_SUBSTREAMID',
  0x09: 'F_CD_FETCH',
  0x0a: 'C_BAD_CD',
  0x0b: 'F_WALK_EABT',
  0x10: 'F_TRANSLATION',
  0x11: 'F_ADDR_SIZE',
  0x12: 'F_ACCESS',
  0x13: 'F_PERMISSION',
  0x20: 'F_TLB_CONFLICT',
  0x21: 'F_CFG_CONFLICT',
  0x24: 'E_PAGE_REQUEST',
  0x25: 'F_VMS_FETCH',
};

const TYPE_BY_NAME: ReadonlyMap<string, number> = new Map(Object.entries(EVENT_NAMES).map(([k, v]) => [v, Number(k)]));

export function eventTypeByName(name: string): number | undefined {
  return TYPE_BY_NAME.get(name);
}

export const CLASS_NAMES: Readonly<Record<number, string>> = { 0: 'CD', 1: 'TT', 2: 'IN', 3: 'RESERVED' };
