/**
 * 64-bit words ↔ bytes, little-endian: how commands, event records, STEs and CDs lie in memory
 * the SMMU reads (SMMUv3 §3.5, with SMMU_CR0 and table endianness little-endian) and in the
 * IOMMUFD user buffers that carry them (struct iommu_hwpt_arm_smmuv3, the invalidation array).
 */

/** `n` words from `off`; a byte past the end of `b` reads as zero. */
export function dwordsFromBytes(b: ArrayLike<number>, n: number, off = 0): bigint[] {
  const out: bigint[] = [];
  // a typed array's whole words are read natively; a plain array or a short tail byte by byte
  const dv = b instanceof Uint8Array ? new DataView(b.buffer, b.byteOffset, b.byteLength) : undefined;
  for (let w = 0; w < n; w++) {
    const at = off + 8 * w;
    if (dv !== undefined && at >= 0 && at + 8 <= dv.byteLength) {
      out.push(dv.getBigUint64(at, true));
      continue;
    }
    let v = 0n;
    for (let k = 7; k >= 0; k--) v = (v << 8n) | BigInt(b[at + k] ?? 0);
    out.push(v);
  }
  return out;
}

/** The words as bytes (each taken modulo 2^64), written into `out` at `off` (default: a new array). */
export function dwordsToBytes(words: readonly bigint[], out = new Uint8Array(8 * words.length), off = 0): Uint8Array {
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  words.forEach((w, i) => dv.setBigUint64(off + 8 * i, BigInt.asUintN(64, w), true));
  return out;
}
