/**
 * Field masks for comparing event records from different implementations. Some fields are
 * UNKNOWN or IMPLEMENTATION DEFINED by the architecture and must not count as divergence:
 * - SubstreamID when SSV=0 (UNKNOWN, spec §7.3; errata row 25);
 * - IPA of stage-1 faults (UNKNOWN unless S2=1, §7.3.13-7.3.17; errata row 24);
 * - STAG when Stall=0, and dw1[15:0] of fetch events (IMPDEF Reason, errata row 28);
 * - RES0 bits some parts fill (QEMU writes ADDR2 as a full 64-bit value, §3 of emulator-models).
 * Profiles bundle defaults; users add masks by field name (or `RES0`).
 */
import { eventCodec, eventType } from '../arch/event.ts';
import { fieldValue } from '../arch/fields.ts';
import { EVENT_FIELDS, EVENT_FIELD_NAMES, isFetchFault, isTranslationFault } from '../linux/event-view.ts';
import { fieldMask as archFieldMask, suggest } from '../arch/fields.ts';

export type MaskProfile = 'strict' | 'architectural' | 'hardware' | 'qemu';
export const MASK_PROFILES: readonly MaskProfile[] = ['strict', 'architectural', 'hardware', 'qemu'];

export interface MaskSet {
  readonly profile: MaskProfile;
  /** Mask the conditionally UNKNOWN fields (SubstreamID/SSV=0, IPA/S2=0, STAG/Stall=0). */
  readonly unknownFields: boolean;
  /** Fields never compared. */
  readonly always: ReadonlySet<string>;
  /** Ignore bits outside the fields that carry meaning for the type. */
  readonly res0: boolean;
}

const PROFILE_DEFAULTS: Readonly<Record<MaskProfile, { unknownFields: boolean; always: readonly string[]; res0: boolean }>> = {
  strict: { unknownFields: false, always: [], res0: false },
  architectural: { unknownFields: true, always: [], res0: false },
  // Real parts put IMPDEF data in STAG/Reason and may fill RES0 bits.
  hardware: { unknownFields: true, always: ['STAG'], res0: true },
  // QEMU: all transactions privileged data accesses (PnU/InD never set), TTRnW not provided,
  // ADDR2 written as a full 64-bit value (IPA[11:0] land in RES0 bits).
  qemu: { unknownFields: true, always: ['STAG', 'PnU', 'InD', 'TTRnW'], res0: true },
};

/** Every field name any event layout has (arch codecs), for user masks. */
export const MASKABLE: readonly string[] = [
  ...new Set([...EVENT_FIELD_NAMES, ...Array.from({ length: 256 }, (_, t) => eventCodec(t).fields.map((f) => f.name)).flat()]),
];

export interface MaskError {
  readonly message: string;
}

/** Build the mask set; unknown names are reported with a suggestion. */
export function resolveMasks(profile: MaskProfile, user: readonly string[]): { masks: MaskSet; errors: MaskError[] } {
  const d = PROFILE_DEFAULTS[profile];
  const always = new Set(d.always);
  let res0 = d.res0;
  const errors: MaskError[] = [];
  for (const raw of user) {
    const name = raw.trim();
    if (name === '') continue;
    if (name.toUpperCase() === 'RES0') res0 = true;
    else if (MASKABLE.includes(name)) always.add(name);
    else {
      const ci = MASKABLE.find((f) => f.toLowerCase() === name.toLowerCase());
      if (ci !== undefined) always.add(ci);
      else errors.push({ message: `Unknown mask field "${name}"${suggest(name, [...MASKABLE, 'RES0'])}; known: ${MASKABLE.join(', ')}, RES0` });
    }
  }
  return { masks: { profile, unknownFields: d.unknownFields, always, res0 }, errors };
}

/** Human-readable list of what the mask set hides. */
export function describeMasks(m: MaskSet): string {
  const parts: string[] = [];
  if (m.unknownFields) parts.push('SubstreamID when SSV=0', 'IPA when S2=0', 'STAG when Stall=0 / fetch Reason');
  for (const f of [...m.always].sort()) parts.push(f);
  if (m.res0) parts.push('RES0 bits');
  return parts.length === 0 ? 'nothing' : parts.join(', ');
}

/** Is `field` of the expected record `exp` masked? (conditions read from the expected record). */
export function isMasked(m: MaskSet, field: string, exp: readonly bigint[]): boolean {
  if (m.always.has(field)) return true;
  if (!m.unknownFields) return false;
  const type = eventType(exp);
  const f = (n: string): bigint => fieldValue(exp, EVENT_FIELDS.find((x) => x.name === n) ?? EVENT_FIELDS[0]!);
  if (field === 'SubstreamID' && f('SSV') === 0n && type !== 0x08) return true;
  if (field === 'IPA' && isTranslationFault(type) && f('S2') === 0n) return true;
  if (field === 'STAG' && ((isTranslationFault(type) && f('Stall') === 0n) || isFetchFault(type))) return true;
  if (field === 'Reason') return true; // IMPLEMENTATION DEFINED (errata row 28)
  return false;
}

export interface FieldDiff {
  readonly field: string;
  readonly expected: bigint;
  readonly actual: bigint;
  /** Values that are names, not numbers (record kinds). */
  readonly expectedText?: string;
  readonly actualText?: string;
}

/** Both values of a difference as printed: names where the values are names, else hex. */
export function diffValues(d: FieldDiff): { expected: string; actual: string } {
  return { expected: d.expectedText ?? `0x${d.expected.toString(16)}`, actual: d.actualText ?? `0x${d.actual.toString(16)}` };
}

/** `Field expected X got Y`. */
export function diffText(d: FieldDiff): string {
  const v = diffValues(d);
  return `${d.field} expected ${v.expected} got ${v.actual}`;
}

/**
 * Field-by-field differences between an expected record and a trace record, over the fields the
 * expected type's record holds (arch layout), comparing only fields the trace record carries
 * (`known`) and skipping masked ones. Bits outside the layout are RES0 and compared per dword as
 * a pseudo-field `RES0.dwN`, unless masked or the trace record is partial.
 */
export function diffEvent(exp: readonly bigint[], act: readonly bigint[], known: readonly string[] | undefined, m: MaskSet): FieldDiff[] {
  const out: FieldDiff[] = [];
  const codec = eventCodec(eventType(exp));
  const maskedBits = [0n, 0n, 0n, 0n];
  for (const f of codec.fields) {
    if (isMasked(m, f.name, exp)) {
      maskedBits[f.dword] = (maskedBits[f.dword] ?? 0n) | archFieldMask(f);
      continue;
    }
    if (known !== undefined && !known.includes(f.name)) continue;
    const a = codec.get(exp, f.name);
    const b = codec.get(act, f.name);
    if (a !== b) out.push({ field: f.name, expected: a, actual: b });
  }
  if (!m.res0 && known === undefined) {
    for (let d = 0; d < 4; d++) {
      const keep = ~((codec.definedMask[d] ?? 0n) | (maskedBits[d] ?? 0n)) & ((1n << 64n) - 1n);
      const a = BigInt.asUintN(64, exp[d] ?? 0n) & keep;
      const b = BigInt.asUintN(64, act[d] ?? 0n) & keep;
      if (a !== b) out.push({ field: `RES0.dw${d}`, expected: a, actual: b });
    }
  }
  return out;
}
