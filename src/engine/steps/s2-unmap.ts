/**
 * `s2_unmap`: IOMMU_IOAS_UNMAP: clear the tables, then Linux's S2 invalidation sequence. Record:
 * errno, ipa, size, leaf (size of the leaf that mapped ipa), issued (opcode names), raw (≤ 8 commands).
 */
import { decodeCommand } from '../../arch/command.ts';
import { expect, name, obj, ref, u64 } from '../../scenario/schema.ts';
import { type U64, type WithExpect, shape } from '../../scenario/types.ts';
import { objId, res } from '../exec/host.ts';
import { hex } from '../../arch/hex.ts';
import { defineStep } from './define.ts';
import { uapiLine } from './explain.ts';

export interface S2UnmapStep extends WithExpect {
  readonly hwpt: string;
  readonly ipa: U64;
  readonly size: U64;
}
declare module '../../scenario/types.ts' {
  interface StepBodies {
    readonly s2_unmap: S2UnmapStep;
  }
}

export const s2Unmap = defineStep({
  kind: 's2_unmap',
  layer: 'host',
  schema: obj(
    { hwpt: name, ipa: u64, size: ref('size'), ...expect },
    ['hwpt', 'ipa', 'size'],
    "IOMMU_IOAS_UNMAP: clear the tables, then Linux's S2 invalidation sequence",
  ),
  shape: shape<S2UnmapStep>()(['hwpt', 'ipa', 'size', 'expect'], ['hwpt', 'ipa', 'size']),
  example: 's2_unmap: { hwpt: parent, ipa: 0x4000_0000, size: 2M }',
  explain: (b) => `${b.hwpt} ipa ${hex(b.ipa)} size ${hex(b.size)}`,
  detail: (b, r) => [
    uapiLine(
      `IOMMU_IOAS_UNMAP: stage-2 descriptors of ${b.hwpt} cleared for IPA ${hex(b.ipa)} size ${hex(b.size)}, then TLBI_S2_IPA per leaf and TLBI_NH_ALL`,
      r,
      ['leaf', 'issued'],
    ),
  ],
  refs: (b, t, at) => t.ref(t.objects('hwpt'), 'HWPT', b.hwpt, [...at, 'hwpt']),
  run(_ctx, h, b, _n, _where) {
    const id = objId(h, b.hwpt);
    // The host sizes the TLBI_S2_IPA by the leaf that mapped the IPA (Linux's gather pgsize);
    // the golden shows that size so the TTL hint can be checked by hand.
    const leaf = h.parents.get(id)?.builder.leafSizeAt(b.ipa);
    const r = h.fd.s2Unmap(id, b.ipa, b.size);
    const issued = r.errno === 0 ? r.batches.flat().map((c) => decodeCommand(c).name) : [];
    const raw = r.errno === 0 && r.batches.flat().length <= 8 ? { raw: r.batches.flat().flatMap((c) => [c[0] ?? 0n, c[1] ?? 0n]) } : {};
    return res(r, { ipa: b.ipa, size: b.size, ...(leaf !== undefined ? { leaf } : {}), issued, ...raw });
  },
});
