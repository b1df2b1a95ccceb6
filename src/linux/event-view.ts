/**
 * An event record as the Linux driver reads it before printing (reference
 * linux-smmuv3-iommufd.md §4.1, §7): every common field at its fixed position whatever the type
 * (EVTQ_0_ID, EVTQ_0_SSV, ..., EVTQ_3_IPA / EVTQ_3_FETCH_ADDR), address fields kept in place.
 * The kernel-log writer (messages.ts) prints from this view and the importer cross-checks the
 * decoded text against it; per-type layouts (which bits are RES0 for a type) live in
 * src/arch/event.ts.
 */
import { COMMON_EVENT_FIELDS, EVENTS } from '../arch/event.ts';
import { type FieldSpec, fieldValue, setFieldValue } from '../arch/fields.ts';

/** Types whose dw3 carries an IPA (stage-2 faults) and Stall/STAG (§7.3.13–7.3.16). */
export function isTranslationFault(type: number): boolean {
  return type >= 0x10 && type <= 0x13;
}

/** Types whose dw3 carries FetchAddr[55:3] (§7.3.4, 7.3.10, 7.3.12, 7.3.21). */
export function isFetchFault(type: number): boolean {
  return type === 0x03 || type === 0x09 || type === 0x0b || type === 0x25;
}

/** Field positions (IPA and FetchAddr share dw3; which one applies depends on the type): the codec's own. */
export const EVENT_FIELDS: readonly FieldSpec[] = COMMON_EVENT_FIELDS;

export const EVENT_FIELD_NAMES: readonly string[] = EVENT_FIELDS.map((f) => f.name);

export function eventField(name: string): FieldSpec {
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
  for (const f of EVENT_FIELDS) fields[f.name] = fieldValue(raw, f);
  const type = Number(fields['Type'] ?? 0n);
  return { type, name: EVENTS.get(type)?.name ?? 'UNKNOWN', fields };
}

export function encodeEvent(fields: Readonly<Record<string, bigint>>): bigint[] {
  const raw = [0n, 0n, 0n, 0n];
  for (const [name, v] of Object.entries(fields)) setFieldValue(raw, eventField(name), v);
  return raw;
}
