/**
 * Event queue records (SMMUv3 §7.3): 32 bytes = 4 dwords, event number in dw0[7:0]. One
 * StructCodec per event type holding only the fields that record has (errata rows 24-28):
 * - Stall dw1[31] / STAG dw1[15:0] only in F_TRANSLATION, F_ADDR_SIZE, F_ACCESS, F_PERMISSION;
 * - fetch events (F_STE_FETCH, F_CD_FETCH, F_VMS_FETCH, F_WALK_EABT) carry the IMPDEF Reason in
 *   dw1[15:0], GPCF dw1[16] and FetchAddr[55:3] in dw3;
 * - C_BAD_SUBSTREAMID has no SSV (SubstreamID always valid); F_STREAM_DISABLED and
 *   F_TRANSL_FORBIDDEN carry no SubstreamID.
 * Positions from the §7.3.x figures that survive (F_UUT, C_BAD_*, F_STE_FETCH, F_VMS_FETCH,
 * F_CFG_CONFLICT, E_PAGE_REQUEST, F_TRANSL_FORBIDDEN); the translation-fault bits S2 dw1[39],
 * CLASS dw1[41:40], NSIPA dw1[36], TTRnW dw1[44] follow Linux/QEMU (figures missing).
 * GPCF for F_CD_FETCH / F_WALK_EABT is assumed at the F_STE_FETCH position.
 * Not decoded (figures missing): F_BAD_ATS_TREQ R/W/X/PRIV/Span, F_PERMISSION
 * Overlay/AssuredOnly/DirtyBit.
 */
import { type FieldInput, type FieldSpec, StructCodec } from './fields.ts';
import { decodeTagged, tagOf } from './tagged.ts';

export type EventName =
  | 'F_UUT'
  | 'C_BAD_STREAMID'
  | 'F_STE_FETCH'
  | 'C_BAD_STE'
  | 'F_BAD_ATS_TREQ'
  | 'F_STREAM_DISABLED'
  | 'F_TRANSL_FORBIDDEN'
  | 'C_BAD_SUBSTREAMID'
  | 'F_CD_FETCH'
  | 'C_BAD_CD'
  | 'F_WALK_EABT'
  | 'F_TRANSLATION'
  | 'F_ADDR_SIZE'
  | 'F_ACCESS'
  | 'F_PERMISSION'
  | 'F_TLB_CONFLICT'
  | 'F_CFG_CONFLICT'
  | 'E_PAGE_REQUEST'
  | 'F_VMS_FETCH'
  | 'IMPDEF_0xE0'
  | 'IMPDEF_0xE1'
  | 'IMPDEF_0xE2'
  | 'IMPDEF_0xE3'
  | 'IMPDEF_0xE4'
  | 'IMPDEF_0xE5'
  | 'IMPDEF_0xE6'
  | 'IMPDEF_0xE7'
  | 'IMPDEF_0xE8'
  | 'IMPDEF_0xE9'
  | 'IMPDEF_0xEA'
  | 'IMPDEF_0xEB'
  | 'IMPDEF_0xEC'
  | 'IMPDEF_0xED'
  | 'IMPDEF_0xEE'
  | 'IMPDEF_0xEF';

const IMPDEF_NAMES = Array.from({ length: 16 }, (_, i) => `IMPDEF_0x${(0xe0 + i).toString(16).toUpperCase()}` as EventName);

export const EVENT_TYPE: Readonly<Record<EventName, number>> = {
  F_UUT: 0x01,
  C_BAD_STREAMID: 0x02,
  F_STE_FETCH: 0x03,
  C_BAD_STE: 0x04,
  F_BAD_ATS_TREQ: 0x05,
  F_STREAM_DISABLED: 0x06,
  F_TRANSL_FORBIDDEN: 0x07,
  C_BAD_SUBSTREAMID: 0x08,
  F_CD_FETCH: 0x09,
  C_BAD_CD: 0x0a,
  F_WALK_EABT: 0x0b,
  F_TRANSLATION: 0x10,
  F_ADDR_SIZE: 0x11,
  F_ACCESS: 0x12,
  F_PERMISSION: 0x13,
  F_TLB_CONFLICT: 0x20,
  F_CFG_CONFLICT: 0x21,
  E_PAGE_REQUEST: 0x24,
  F_VMS_FETCH: 0x25,
  ...(Object.fromEntries(IMPDEF_NAMES.map((n, i) => [n, 0xe0 + i])) as Record<`IMPDEF_0x${string}`, number>),
} as Record<EventName, number>;

/** Event CLASS (§7.3): which access of the walk faulted. */
export const CLASS_NAME: Readonly<Record<number, string>> = { 0: 'CD', 1: 'TT', 2: 'IN', 3: 'RESERVED' };
export const CLASS = { CD: 0, TT: 1, IN: 2 } as const;

const TYPE: FieldSpec = { name: 'Type', dword: 0, lo: 0, hi: 7 };
const SSV: FieldSpec = { name: 'SSV', dword: 0, lo: 11, hi: 11, doc: 'SubstreamID valid' };
const SSID: FieldSpec = { name: 'SubstreamID', dword: 0, lo: 12, hi: 31 };
const SID: FieldSpec = { name: 'StreamID', dword: 0, lo: 32, hi: 63 };
const HDR: FieldSpec[] = [TYPE, SSV, SSID, SID];
const STAG: FieldSpec = { name: 'STAG', dword: 1, lo: 0, hi: 15, doc: 'stall tag for CMD_RESUME' };
const REASON16: FieldSpec = { name: 'Reason', dword: 1, lo: 0, hi: 15, doc: 'IMPLEMENTATION DEFINED' };
const GPCF: FieldSpec = { name: 'GPCF', dword: 1, lo: 16, hi: 16, doc: 'granule protection check fault' };
const STALL: FieldSpec = { name: 'Stall', dword: 1, lo: 31, hi: 31, doc: 'transaction stalled' };
const PNU: FieldSpec = { name: 'PnU', dword: 1, lo: 33, hi: 33, enum: { 0: 'unprivileged', 1: 'privileged' } };
const IND: FieldSpec = { name: 'InD', dword: 1, lo: 34, hi: 34, enum: { 0: 'data', 1: 'instruction' } };
const RNW: FieldSpec = { name: 'RnW', dword: 1, lo: 35, hi: 35, enum: { 0: 'write', 1: 'read' } };
const NSIPA: FieldSpec = { name: 'NSIPA', dword: 1, lo: 36, hi: 36, doc: 'Non-secure IPA (Secure queue, S2=1)' };
const S2: FieldSpec = { name: 'S2', dword: 1, lo: 39, hi: 39, enum: { 0: 'stage 1', 1: 'stage 2' } };
const CLASSF: FieldSpec = { name: 'CLASS', dword: 1, lo: 40, hi: 41, enum: CLASS_NAME };
const TTRNW: FieldSpec = { name: 'TTRnW', dword: 1, lo: 44, hi: 44, enum: { 0: 'descriptor write', 1: 'descriptor read' }, doc: 'valid when CLASS=TT' };
const INPUT: FieldSpec = { name: 'InputAddr', dword: 2, lo: 0, hi: 63, addr: true };
const IPA: FieldSpec = { name: 'IPA', dword: 3, lo: 12, hi: 55, addr: true, doc: 'valid when S2=1' };
const FETCH: FieldSpec = { name: 'FetchAddr', dword: 3, lo: 3, hi: 55, addr: true };
/**
 * Every field at the position each record that has it puts it, whatever the type (IPA and
 * FetchAddr share dw3): how the Linux driver reads any record (linux/event-view.ts).
 */
export const COMMON_EVENT_FIELDS: readonly FieldSpec[] = [...HDR, STAG, STALL, PNU, IND, RNW, S2, CLASSF, TTRNW, INPUT, IPA, FETCH];
/** Translation-related faults that can stall (§7.3.13-16). */
const XLATE: FieldSpec[] = [...HDR, STAG, STALL, PNU, IND, RNW, NSIPA, S2, CLASSF, INPUT, IPA];

const LAYOUTS: Readonly<Record<string, readonly FieldSpec[]>> = {
  F_UUT: [...HDR, REASON16, PNU, IND, RNW, INPUT],
  C_BAD_STREAMID: HDR,
  F_STE_FETCH: [...HDR, REASON16, GPCF, FETCH],
  C_BAD_STE: HDR,
  F_BAD_ATS_TREQ: [...HDR, { name: 'InputAddr', dword: 2, lo: 12, hi: 63, addr: true, doc: 'R/W/X/PRIV/Span not decoded' }],
  F_STREAM_DISABLED: [TYPE, SID],
  F_TRANSL_FORBIDDEN: [TYPE, SID, RNW, INPUT],
  C_BAD_SUBSTREAMID: [TYPE, SSID, SID],
  F_CD_FETCH: [...HDR, REASON16, GPCF, FETCH],
  C_BAD_CD: HDR,
  F_WALK_EABT: [...HDR, REASON16, GPCF, PNU, IND, RNW, S2, CLASSF, INPUT, FETCH],
  F_TRANSLATION: XLATE,
  F_ADDR_SIZE: XLATE,
  F_ACCESS: XLATE,
  F_PERMISSION: [...XLATE, TTRNW],
  F_TLB_CONFLICT: [...HDR, REASON16, PNU, IND, RNW, S2, INPUT, IPA],
  F_CFG_CONFLICT: [...HDR, { name: 'Reason', dword: 1, lo: 0, hi: 31, doc: 'IMPLEMENTATION DEFINED' }],
  E_PAGE_REQUEST: [
    ...HDR,
    { name: 'uX', dword: 1, lo: 34, hi: 34 },
    { name: 'uW', dword: 1, lo: 35, hi: 35 },
    { name: 'uR', dword: 1, lo: 36, hi: 36 },
    { name: 'pX', dword: 1, lo: 37, hi: 37 },
    { name: 'pW', dword: 1, lo: 38, hi: 38 },
    { name: 'pR', dword: 1, lo: 39, hi: 39 },
    { name: 'Span', dword: 1, lo: 44, hi: 51, doc: 'span = Span * 4KB' },
    { name: 'InputAddr', dword: 2, lo: 12, hi: 63, addr: true },
  ],
  F_VMS_FETCH: [...HDR, REASON16, GPCF, FETCH],
};

export interface EventInfo {
  readonly name: EventName;
  readonly type: number;
  readonly codec: StructCodec;
}

export const EVENT_NAMES = Object.keys(EVENT_TYPE) as EventName[];

export const EVENTS: ReadonlyMap<number, EventInfo> = new Map(
  EVENT_NAMES.map((name) => {
    const type = EVENT_TYPE[name];
    // The Type field names its own event so `describe` prints e.g. "16 (F_TRANSLATION)".
    const fields = (LAYOUTS[name] ?? HDR).map((f) => (f === TYPE ? { ...TYPE, enum: { [type]: name } } : f));
    return [type, { name, type, codec: new StructCodec(name, 4, fields) }] as const;
  }),
);

/** Codec for reserved event numbers: the common header only. */
export const UNKNOWN_EVENT = new StructCodec('EVENT_UNKNOWN', 4, HDR);

export function eventInfo(name: EventName): EventInfo {
  const info = EVENTS.get(EVENT_TYPE[name]);
  if (info === undefined) throw new Error(`No codec for event ${name}`);
  return info;
}

export interface DecodedEvent {
  type: number;
  name: EventName | 'UNKNOWN';
  fields: Record<string, bigint>;
}

/** The Type field of an event record, dw0[7:0]. */
export const eventType: (raw: readonly bigint[]) => number = tagOf;

/** The StructCodec of an event type (reserved types: the common header only). */
export function eventCodec(type: number): StructCodec {
  return EVENTS.get(type)?.codec ?? UNKNOWN_EVENT;
}

/** Decode a 4-dword event record. Reserved types keep Type/SSV/SubstreamID/StreamID. Never throws. */
export function decodeEvent(raw: readonly bigint[]): DecodedEvent {
  const d = decodeTagged(raw, EVENTS, UNKNOWN_EVENT);
  return { type: d.tag, name: d.name, fields: d.fields };
}

/** Encode an event record by name (4 dwords); Type is set from the name. */
export function encodeEvent(name: EventName, fields: FieldInput): bigint[] {
  const info = eventInfo(name);
  return info.codec.encode({ ...fields, Type: info.type });
}
