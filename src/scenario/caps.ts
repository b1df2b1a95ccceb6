/** Resource caps for loading untrusted scenario files; all configurable, all reported as CAP_EXCEEDED. */
export interface LoadCaps {
  /** Source size in bytes. */
  readonly maxFileBytes: number;
  /** yaml's alias expansion limit (alias bombs). */
  readonly maxAliasCount: number;
  readonly maxSteps: number;
  /** Map entries over all page tables. */
  readonly maxMapEntries: number;
  /** Raw 64-bit words written by `memory.writes` and `write` steps together. */
  readonly maxRawWords: number;
  /** Sum of all mapping sizes (memory is sparse, but tables grow with it). */
  readonly maxMappedBytes: bigint;
  /** Sum of `page_only` mapping sizes (each page is one descriptor). */
  readonly maxPageOnlyBytes: bigint;
  readonly maxDevices: number;
  /**
   * Leaf descriptors all mappings may need (runnable.ts, pgtable leafCountBound): bounds the time
   * and table memory of building them, which the byte caps alone do not (a misaligned 16 TiB
   * mapping is 2^32 pages).
   */
  readonly maxLeafDescriptors: number;
  /** Bytes of zero-filled RAM (memory.ram), and of a software-placed stream table. */
  readonly maxRamBytes: number;
}

export const DEFAULT_CAPS: LoadCaps = {
  maxFileBytes: 1 << 20,
  maxAliasCount: 100,
  maxSteps: 10_000,
  maxMapEntries: 100_000,
  maxRawWords: 100_000,
  maxMappedBytes: 1n << 44n,
  maxPageOnlyBytes: 1n << 30n,
  maxDevices: 4096,
  maxLeafDescriptors: 1 << 20,
  maxRamBytes: 64 << 20,
};
