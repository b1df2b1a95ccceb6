/**
 * How the SMMU's caches (TLB: tlb.ts, configuration cache: cfgcache.ts) behave, by name:
 *  - `max`: keep every entry the architecture allows and never evict unless invalidated, so a
 *    missing invalidation is always observable;
 *  - `none`: cache nothing; every transaction re-reads memory.
 */
export type CachePolicy = 'max' | 'none';
