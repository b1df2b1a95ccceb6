/** `veventq`: IOMMU_VEVENTQ_ALLOC. Record: errno, id. */
import { VEVENTQ_TYPE_ARM_SMMUV3 } from '../../host/veventq.ts';
import { expect, int, name, obj } from '../../scenario/schema.ts';
import { type WithExpect, shape } from '../../scenario/types.ts';
import { objId, res } from '../exec/host.ts';
import { defineStep } from './define.ts';
import { uapiLine } from './explain.ts';

export interface VeventqStep extends WithExpect {
  readonly name: string;
  readonly viommu: string;
  readonly depth: number;
  readonly type?: number;
}
declare module '../../scenario/types.ts' {
  interface StepBodies {
    readonly veventq: VeventqStep;
  }
}

export const veventq = defineStep({
  kind: 'veventq',
  layer: 'host',
  schema: obj(
    { name, viommu: name, depth: int(0, 1_000_000), type: int(0, 0xffff_ffff, 'default 1 (ARM_SMMUV3)'), ...expect },
    ['name', 'viommu', 'depth'],
    'IOMMU_VEVENTQ_ALLOC',
  ),
  shape: shape<VeventqStep>()(['name', 'viommu', 'depth', 'type', 'expect'], ['name', 'viommu', 'depth']),
  example: 'veventq: { name: evq, viommu: vi, depth: 64 }',
  explain: (b) => `${b.name} on ${b.viommu} depth ${b.depth}`,
  detail: (b, r) => [uapiLine(`IOMMU_VEVENTQ_ALLOC on ${b.viommu} (depth ${b.depth})`, r, ['id'])],
  refs(b, t, at) {
    t.ref(t.objects('viommu'), 'vIOMMU', b.viommu, [...at, 'viommu']);
    t.declareObject('veventq', b.name, [...at, 'name']);
  },
  run(_ctx, h, b, _n, _where) {
    const vi = objId(h, b.viommu);
    const r = h.fd.allocVeventq({ viommuId: vi, type: b.type ?? VEVENTQ_TYPE_ARM_SMMUV3, depth: b.depth });
    if (r.errno !== 0) return res(r);
    h.names.set(b.name, r.veventqId);
    if (!h.veventqOf.has(vi)) h.veventqOf.set(vi, r.veventqId);
    return res(r, { id: r.veventqId });
  },
});
