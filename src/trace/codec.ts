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
import { CLASS_NAME, EVENT_TYPE, decodeEvent as archDecodeEvent, type DecodedEvent as ArchDecodedEvent } from '../arch/event.ts';
import { decodeCommand as archDecodeCommand, type DecodedCommand } from '../arch/command.ts';

export { eventCodec, eventType } from '../arch/event.ts';

export * from '../linux/event-view.ts';

/** Per-type decode (arch contract). */
export function decodeEvent(raw: readonly bigint[]): ArchDecodedEvent {
  return archDecodeEvent(raw);
}

export function decodeCommand(raw: readonly bigint[]): DecodedCommand {
  return archDecodeCommand(raw);
}

/** Architected event names by type (arch/event.ts), without the IMPLEMENTATION DEFINED 0xE0-0xEF. */
export const EVENT_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(EVENT_TYPE)
    .filter(([, type]) => type < 0xe0)
    .map(([name, type]) => [type, name]),
);

const TYPE_BY_NAME: ReadonlyMap<string, number> = new Map(Object.entries(EVENT_NAMES).map(([k, v]) => [v, Number(k)]));

export function eventTypeByName(name: string): number | undefined {
  return TYPE_BY_NAME.get(name);
}

export const CLASS_NAMES: Readonly<Record<number, string>> = CLASS_NAME;
