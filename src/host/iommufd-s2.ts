/**
 * Stage-2 HWPT helpers of the IOMMUFD-like model: connecting a PageTableBuilder to a nest parent
 * (VTTBR/VTCR follow the tables), IOAS map/unmap on those tables, and which ATS-enabled SIDs an
 * unmap must ATC-invalidate (masters attached to the parent directly or through a vIOMMU).
 */
import type { LeafAttrs, PageTableBuilder } from '../pgtable/builder.ts';
import type { ObjectStore } from './iommufd-objects.ts';
import { s2PgtableConfig } from './s2-pgtable.ts';
import type { S2Config } from './ste-build.ts';
import type { Result } from './uapi.ts';

const einval = (reason: string): { errno: 'EINVAL'; reason: string } => ({ errno: 'EINVAL', reason });
// an ID the kernel never handed out (or already destroyed): iommufd_get_object fails, ENOENT (§6.1)
const enoent = (id: number): { errno: 'ENOENT'; reason: string } => ({ errno: 'ENOENT', reason: `no object ${id}` });

export function setParentPgtable(store: ObjectStore, hwptId: number, pg: { vttbr: bigint; vtcr?: S2Config['vtcr'] }): Result {
  const h = store.get(hwptId, 'hwpt_paging');
  if (!h?.s2) return einval(`object ${hwptId} is not a stage-2 HWPT`);
  h.s2 = { ...h.s2, vttbr: pg.vttbr, ...(pg.vtcr ? { vtcr: pg.vtcr } : {}) };
  return { errno: 0 };
}

export function setParentTables(store: ObjectStore, hwptId: number, tables: PageTableBuilder): Result {
  const h = store.get(hwptId, 'hwpt_paging');
  if (!h?.s2) return einval(`object ${hwptId} is not a stage-2 HWPT`);
  if (tables.stage !== 2) return einval('stage-1 tables cannot back a stage-2 HWPT');
  h.tables = tables;
  return setParentPgtable(store, hwptId, s2PgtableConfig(tables));
}

export function s2Map(store: ObjectStore, hwptId: number, iova: bigint, pa: bigint, size: bigint, attrs: LeafAttrs): Result {
  if (store.raw(hwptId) === undefined) return enoent(hwptId);
  const h = store.get(hwptId, 'hwpt_paging');
  if (!h?.tables) return einval(`HWPT ${hwptId} has no stage-2 tables`);
  try {
    h.tables.map(iova, pa, size, attrs);
  } catch (e) {
    return einval(e instanceof Error ? e.message : String(e));
  }
  return { errno: 0 };
}

/**
 * Clear [iova, iova+size) from the tables. Returns the table granule and the size of the leaf
 * that mapped `iova` (io-pgtable's gather pgsize): the TLBI_S2_IPA TTL hint must name the
 * level of that leaf, or a block entry may stay cached.
 */
export function s2UnmapTables(store: ObjectStore, hwptId: number, iova: bigint, size: bigint): Result<{ granule: bigint; leaf: bigint }> {
  if (store.raw(hwptId) === undefined) return enoent(hwptId);
  const h = store.get(hwptId, 'hwpt_paging');
  if (!h?.tables) return einval(`HWPT ${hwptId} has no stage-2 tables`);
  const granule = BigInt(h.tables.granule);
  const leaf = h.tables.leafSizeAt(iova) ?? granule;
  try {
    h.tables.unmap(iova, size);
  } catch (e) {
    return einval(e instanceof Error ? e.message : String(e));
  }
  return { errno: 0, granule, leaf };
}

/** SIDs of ATS-enabled masters using stage-2 HWPT `parentId`, directly or via a nested HWPT. */
export function atsSidsUsing(store: ObjectStore, parentId: number): number[] {
  const out: number[] = [];
  for (const o of store.values()) {
    if (o.kind !== 'device' || !o.atsOn || o.hwpt === undefined) continue;
    const h = store.raw(o.hwpt);
    const v = h?.kind === 'hwpt_nested' ? store.get(h.viommu, 'viommu') : undefined;
    if (h?.id === parentId || v?.parent === parentId) out.push(...o.spec.sids);
  }
  return out;
}
