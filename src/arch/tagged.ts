/**
 * Structures whose dw0[7:0] selects their layout: commands (Opcode, §4.1) and event records
 * (Type, §7.3). One StructCodec per tag; reserved tags decode with `unknown` (the tag field, or
 * the common header), so decoding never throws.
 */
import type { FieldValues, StructCodec } from './fields.ts';

/** dw0[7:0]: a command's Opcode, an event record's Type. */
export function tagOf(raw: readonly bigint[]): number {
  return Number((raw[0] ?? 0n) & 0xffn);
}

/** The codec of the tag in `raw` (or `unknown`), its name ('UNKNOWN' for a reserved tag) and the decoded fields. */
export function decodeTagged<N extends string>(
  raw: readonly bigint[],
  byTag: ReadonlyMap<number, { readonly name: N; readonly codec: StructCodec }>,
  unknown: StructCodec,
): { tag: number; name: N | 'UNKNOWN'; fields: FieldValues } {
  const tag = tagOf(raw);
  const info = byTag.get(tag);
  if (info === undefined) return { tag, name: 'UNKNOWN', fields: unknown.decode(raw) };
  return { tag, name: info.name, fields: info.codec.decode(raw) };
}
