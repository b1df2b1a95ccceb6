/**
 * Glue between a stage-2 PageTableBuilder (src/pgtable) and a nest-parent HWPT: the VTCR fields
 * Linux's io-pgtable would report for those tables (walk attributes WB-RA-WA inner/outer, ISH),
 * so `Iommufd.setParentPgtable(id, s2PgtableConfig(builder))` programs matching STEs.
 */
import { sl0ForLevel } from '../arch/ttd.ts';
import { granuleShift, psEncoding } from '../arch/ttd.ts';
import type { PageTableBuilder } from '../pgtable/builder.ts';
import type { S2Config } from './ste-build.ts';

/** VTCR.TG0 / STE.S2TG encoding: 0 4K, 1 64K, 2 16K. */
const TG: Readonly<Record<number, number>> = { 4096: 0, 65536: 1, 16384: 2 };

export function s2PgtableConfig(b: PageTableBuilder): { vttbr: bigint; vtcr: S2Config['vtcr'] } {
  if (b.stage !== 2) throw new RangeError('Cannot use a stage-1 table as a nest parent');
  return {
    vttbr: b.ttb,
    vtcr: {
      tsz: 64 - b.iaBits,
      sl: sl0ForLevel(granuleShift(b.granule), b.startLevel),
      irgn: 1,
      orgn: 1,
      sh: 3,
      tg: TG[b.granule] ?? 0,
      ps: psEncoding(b.oaBits),
    },
  };
}
