/**
 * Distinct line numbers marked as used, for the import summary of a streamed import (records
 * are not kept, so the lines cannot be collected from them at the end): one bit per line.
 */
export interface LineCounter {
  mark(line: number): void;
  count(): number;
}

export function createLineCounter(): LineCounter {
  let bits = new Uint8Array(1024);
  let n = 0;
  return {
    mark(line) {
      if (line <= 0) return;
      const byte = line >>> 3;
      if (byte >= bits.length) {
        const grown = new Uint8Array(Math.max(bits.length * 2, byte + 1));
        grown.set(bits);
        bits = grown;
      }
      const bit = 1 << (line & 7);
      if (((bits[byte] ?? 0) & bit) === 0) {
        bits[byte] = (bits[byte] ?? 0) | bit;
        n++;
      }
    },
    count: () => n,
  };
}
