/** `vdevice`: IOMMU_VDEVICE_ALLOC (rfc-2023: IOMMU_SET_DEV_DATA, no viommu). Record: errno, id, virt_id. */
import { expect, name, obj, u64 } from '../../scenario/schema.ts';
import { type U64, type WithExpect, shape } from '../../scenario/types.ts';
import { devId, need, objId, res } from '../exec/host.ts';
import { defineStep } from './define.ts';
import { uapiLine } from './explain.ts';

export interface VdeviceStep extends WithExpect {
  readonly name?: string;
  /** Required with the current uAPI; rfc-2023 has no vIOMMU (IOMMU_SET_DEV_DATA instead). */
  readonly viommu?: string;
  readonly device: string;
  readonly virt_id?: U64;
}
declare module '../../scenario/types.ts' {
  interface StepBodies {
    readonly vdevice: VdeviceStep;
  }
}

export const vdevice = defineStep({
  kind: 'vdevice',
  layer: 'host',
  schema: obj(
    { name, viommu: name, device: name, virt_id: { ...u64, description: "vSID (default: the device's vsid)" }, ...expect },
    ['device'],
    'IOMMU_VDEVICE_ALLOC (rfc-2023: IOMMU_SET_DEV_DATA, no viommu)',
  ),
  shape: shape<VdeviceStep>()(['name', 'viommu', 'device', 'virt_id', 'expect'], ['device']),
  example: 'vdevice: { name: vd, viommu: vi, device: nic, virt_id: 0x10 }',
  explain: (b) => `${b.device}${b.viommu !== undefined ? ` on ${b.viommu}` : ''}${b.virt_id !== undefined ? ` virt_id ${b.virt_id}` : ''}`,
  detail: (b, r) => [uapiLine(`IOMMU_VDEVICE_ALLOC: the guest's virtual StreamID for ${b.device}`, r, ['id', 'virt_id'])],
  refs(b, t, at) {
    t.ref(t.objects('viommu'), 'vIOMMU', b.viommu, [...at, 'viommu']);
    t.declareObject('vdevice', b.name, [...at, 'name']);
  },
  run(ctx, h, b, _n, where) {
    const d = need(
      (ctx.scenario.devices ?? []).find((x) => x.name === b.device),
      `device "${b.device}" is not declared`,
      where,
    );
    const virt = Number(b.virt_id ?? d.vsid ?? d.sid);
    if (h.rfc !== undefined) return res(h.rfc.setDevData(devId(h, b.device, where), virt), { virt_id: virt });
    const vi = objId(h, need(b.viommu, 'vdevice needs viommu with the current uAPI', where));
    const r = h.fd.allocVdevice({ viommuId: vi, devId: devId(h, b.device, where), virtId: virt });
    if (r.errno !== 0) return res(r, { virt_id: virt });
    if (b.name !== undefined) h.names.set(b.name, r.vdeviceId);
    h.vdevs.get(vi)?.set(virt, devId(h, b.device, where));
    return res(r, { id: r.vdeviceId, virt_id: virt });
  },
});
