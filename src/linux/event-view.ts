/**
 * An event record as the Linux driver reads it before printing (reference
 * linux-smmuv3-iommufd.md §4.1, §7): every common field at its fixed position whatever the type
 * (EVTQ_0_ID, EVTQ_0_SSV, ..., EVTQ_3_IPA / EVTQ_3_FETCH_ADDR), address fields kept in place.
 * The kernel-log writer (messages.ts) prints from this view and the importer cross-checks the
 * decoded text against it; per-type layouts (which bits are RES0 for a type) live in
 * src/arch/event.ts.
 */
import { EVENTS } from '../arch/event.ts';
import { fieldMask, fieldValue as getField, setFieldValue as setField } from '../arch/fields.ts';

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

/** Field access at these positions: the codecs' (arch/fields.ts). */
export { fieldMask, getField, setField };

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
