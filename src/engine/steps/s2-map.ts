/** `s2_map`: IOMMU_IOAS_MAP as seen by one stage-2 HWPT. Record: errno, ipa, pa, size. */
import { expect, mapCommon, name, obj, ref, u64, type Json } from '../../scenario/schema.ts';
import { type Perm, type U64, type WithExpect, shape } from '../../scenario/types.ts';
import { objId, res } from '../exec/host.ts';
import { leafAttrs } from '../exec/tables.ts';
import { hex } from '../../arch/hex.ts';
import { defineStep } from './define.ts';
import { uapiLine } from './explain.ts';

export interface S2MapStep extends WithExpect {
  readonly hwpt: string;
  readonly ipa: U64;
  readonly pa: U64;
  readonly size: U64;
  readonly perm: Perm;
  readonly attr?: 'normal' | 'normal_nc' | 'device';
  readonly page_only?: boolean;
}
declare module '../../scenario/types.ts' {
  interface StepBodies {
    readonly s2_map: S2MapStep;
  }
}

export const s2Map = defineStep({
  kind: 's2_map',
  layer: 'host',
  schema: obj(
    {
      hwpt: name,
      ipa: u64,
      pa: u64,
      size: ref('size'),
      perm: ref('perm'),
      attr: mapCommon['attr'] as Json,
      page_only: mapCommon['page_only'] as Json,
      ...expect,
    },
    ['hwpt', 'ipa', 'pa', 'size', 'perm'],
    'IOMMU_IOAS_MAP as seen by one stage-2 HWPT',
  ),
  shape: shape<S2MapStep>()(['hwpt', 'ipa', 'pa', 'size', 'perm', 'attr', 'page_only', 'expect'], ['hwpt', 'ipa', 'pa', 'size', 'perm']),
  example: 's2_map: { hwpt: parent, ipa: 0x4000_0000, pa: 0x8000_0000, size: 2M, perm: rw }',
  explain: (b) => `${b.hwpt} ipa ${hex(b.ipa)} -> ${hex(b.pa)} size ${hex(b.size)} ${b.perm}`,
  detail: (b, r) => [
    uapiLine(`IOMMU_IOAS_MAP: stage-2 leaf descriptors of ${b.hwpt} for IPA ${hex(b.ipa)} -> PA ${hex(b.pa)} size ${hex(b.size)} ${b.perm}`, r),
  ],
  refs: (b, t, at) => t.ref(t.objects('hwpt'), 'HWPT', b.hwpt, [...at, 'hwpt']),
  run(_ctx, h, b, _n, _where) {
    const r = h.fd.s2Map(objId(h, b.hwpt), b.ipa, b.pa, b.size, leafAttrs(2, b));
    return res(r, { ipa: b.ipa, pa: b.pa, size: b.size });
  },
});
