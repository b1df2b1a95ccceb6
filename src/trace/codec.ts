/**
 * Event type ↔ name as trace files spell it: the architected names only (arch/event.ts), without
 * the IMPLEMENTATION DEFINED 0xE0-0xEF. Decoding is arch/event.ts (per type) and
 * linux/event-view.ts (every common field at its Linux position).
 */
import { EVENT_TYPE } from '../arch/event.ts';

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
