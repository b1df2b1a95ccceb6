/**
 * The largest value a JS number holds exactly (2^53 - 1), as a bigint. Addresses and sizes at or
 * below it may take the number fast paths (memory pages, table building, the allocator); above
 * it they stay bigints, so a 64-bit value never passes through a number unchecked.
 */
export const MAX_SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);
