/** `viommu`: IOMMU_VIOMMU_ALLOC. Record: errno, id. */
import { VIOMMU_TYPE_ARM_SMMUV3 } from '../../host/iommufd.ts';
import { expect, int, name, obj } from '../../scenario/schema.ts';
import { type WithExpect, shape } from '../../scenario/types.ts';
import { devId, objId, res } from '../exec/host.ts';
import { defineStep } from './define.ts';
import { uapiLine } from './explain.ts';

export interface ViommuStep extends WithExpect {
  readonly name: string;
  readonly device: string;
  readonly hwpt: string;
  readonly type?: number;
  readonly flags?: number;
}
declare module '../../scenario/types.ts' {
  interface StepBodies {
    readonly viommu: ViommuStep;
  }
}

export const viommu = defineStep({
  kind: 'viommu',
  layer: 'host',
  schema: obj(
    { name, device: name, hwpt: name, type: int(0, 0xffff_ffff, 'default 1 (ARM_SMMUV3)'), flags: int(0, 0xffff_ffff), ...expect },
    ['name', 'device', 'hwpt'],
    'IOMMU_VIOMMU_ALLOC',
  ),
  shape: shape<ViommuStep>()(['name', 'device', 'hwpt', 'type', 'flags', 'expect'], ['name', 'device', 'hwpt']),
  example: 'viommu: { name: vi, device: nic, hwpt: parent }',
  explain: (b) => `${b.name} on ${b.hwpt} for ${b.device}`,
  detail: (b, r) => [uapiLine(`IOMMU_VIOMMU_ALLOC on the nest parent ${b.hwpt} (owns the VMID)`, r, ['id'])],
  refs(b, t, at) {
    t.ref(t.objects('hwpt'), 'HWPT', b.hwpt, [...at, 'hwpt']);
    t.declareObject('viommu', b.name, [...at, 'name']);
  },
  run(_ctx, h, b, _n, where) {
    const hwpt = objId(h, b.hwpt);
    const r = h.fd.allocViommu({
      devId: devId(h, b.device, where),
      hwptId: hwpt,
      type: b.type ?? VIOMMU_TYPE_ARM_SMMUV3,
      ...(b.flags !== undefined ? { flags: b.flags } : {}),
    });
    if (r.errno !== 0) return res(r);
    h.names.set(b.name, r.viommuId);
    h.viommuParent.set(r.viommuId, hwpt);
    h.vdevs.set(r.viommuId, new Map());
    return res(r, { id: r.viommuId });
  },
});
