/** A value in hex as the tool prints addresses and raw fields: `0x` and lowercase digits, no padding. */
export function hex(v: bigint | number): string {
  return `0x${v.toString(16)}`;
}
