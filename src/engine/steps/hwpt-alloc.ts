/**
 * `hwpt_alloc`: IOMMU_HWPT_ALLOC of a paging HWPT. Record: errno, id, vmid [, msi_doorbell_ipa].
 * `s2_table` hands the HWPT the VMM's stage-2 tables (the harness's stand-in for the IOAS mappings);
 * on a HWPT that is not a stage-2 domain (no NEST_PARENT on an SMMU with stage 1: Linux gives it a
 * stage-1 domain) they cannot back it: the ioctl's own answer stands (errno 0, its id) and the record
 * says why the tables were not bound (`reason`), instead of an errno no kernel call returned.
 */
import { HWPT_ALLOC_NEST_PARENT } from '../../host/iommufd.ts';
import { setupMsiCookie, setupMsiFlat } from '../../host/msi.ts';
import { bool, expect, int, name, obj } from '../../scenario/schema.ts';
import { type WithExpect, shape } from '../../scenario/types.ts';
import type { Fields } from '../exec/context.ts';
import { setupGuestRam } from '../exec/guest.ts';
import { devId, need, res } from '../exec/host.ts';
import { defineStep } from './define.ts';
import { uapiLine } from './explain.ts';

export interface HwptAllocStep extends WithExpect {
  readonly name: string;
  readonly device: string;
  readonly nest_parent?: boolean;
  readonly flags?: number;
  readonly data_len?: number;
  readonly s2_table?: string;
}
declare module '../../scenario/types.ts' {
  interface StepBodies {
    readonly hwpt_alloc: HwptAllocStep;
  }
}

export const hwptAlloc = defineStep({
  kind: 'hwpt_alloc',
  layer: 'host',
  schema: obj(
    {
      name,
      device: name,
      nest_parent: bool('IOMMU_HWPT_ALLOC_NEST_PARENT (default true)'),
      flags: int(0, 0xffff_ffff, 'raw HWPT_ALLOC flags (overrides nest_parent)'),
      data_len: int(0, 4096, 'driver data length (default 0)'),
      s2_table: { ...name, description: "memory.s2_tables entry that becomes this HWPT's stage 2 (s2_map/s2_unmap, guest IPA space)" },
      ...expect,
    },
    ['name', 'device'],
    'IOMMU_HWPT_ALLOC on the IOAS: a paging (stage-2) HWPT',
  ),
  shape: shape<HwptAllocStep>()(['name', 'device', 'nest_parent', 'flags', 'data_len', 's2_table', 'expect'], ['name', 'device']),
  example: 'hwpt_alloc: { name: parent, device: nic, nest_parent: true, s2_table: vm_s2 }',
  explain: (b) => `${b.name} for ${b.device}${(b.nest_parent ?? true) ? ' NEST_PARENT' : ''}${b.s2_table !== undefined ? ` s2 ${b.s2_table}` : ''}`,
  detail: (b, r) => [
    uapiLine(`IOMMU_HWPT_ALLOC (paging HWPT${(b.nest_parent ?? true) ? ', NEST_PARENT' : ''})`, r, ['id', 'vmid', 'msi_doorbell_ipa', 'reason']),
  ],
  refs(b, t, at) {
    t.ref(t.s2, 's2 table', b.s2_table, [...at, 's2_table']);
    t.declareObject('hwpt', b.name, [...at, 'name']);
  },
  run(ctx, h, b, _n, where) {
    const s = ctx.scenario;
    const fd = h.fd;
    const flags = b.flags ?? ((b.nest_parent ?? true) ? HWPT_ALLOC_NEST_PARENT : 0);
    const r =
      h.rfc !== undefined && flags === HWPT_ALLOC_NEST_PARENT && (b.data_len ?? 0) === 0
        ? ((): { errno: 0 | string; hwptId?: number; vmid?: number | undefined; reason?: string } => {
            const x = need(h.rfc, 'rfc', where).allocParentHwpt(devId(h, b.device, where));
            return x.errno === 0 ? { errno: 0, hwptId: x.hwptId, vmid: undefined } : x;
          })()
        : fd.allocPagingHwpt(devId(h, b.device, where), { flags, ...(b.data_len !== undefined ? { dataLen: b.data_len } : {}) });
    if (r.errno !== 0 || r.hwptId === undefined) return res(r);
    h.names.set(b.name, r.hwptId);
    const f: Fields = { id: r.hwptId, ...(r.vmid !== undefined ? { vmid: r.vmid } : {}) };
    if (b.s2_table !== undefined) {
      const sp = need(ctx.tables.s2.get(b.s2_table), `s2_table "${b.s2_table}" is not declared`, where);
      const t = fd.setParentTables(r.hwptId, sp.builder);
      // a plain paging HWPT on an SMMU with stage 1 is a stage-1 domain (linux-smmuv3-iommufd.md
      // §6.3): stage-2 tables cannot back it. The ioctl succeeded (a failed one leaves no object),
      // so the record keeps errno 0 and says why the tables were not bound.
      if (t.errno !== 0) return res(r, { ...f, reason: `s2_table "${b.s2_table}" not bound: ${t.reason}` });
      h.parents.set(r.hwptId, sp);
      if (s.host?.msi !== undefined && h.msi === undefined) {
        const m = s.host.msi === 'cookie' ? setupMsiCookie(fd, r.hwptId) : setupMsiFlat(fd, r.hwptId);
        if (m.errno !== 0) throw new Error(`Cannot run ${where}: MSI set-up failed: ${m.reason}`);
        h.msi = m;
        f['msi_doorbell_ipa'] = m.doorbellIpa;
      }
      if (s.guest !== undefined && h.guest === undefined) h.guest = setupGuestRam(ctx, h, r.hwptId);
    }
    return res(r, f);
  },
});
