/**
 * `nested_hwpt`: IOMMU_HWPT_ALLOC of a nested HWPT from a guest STE (dw0, dw1). Record: errno,
 * id, vste (the two dwords handed over) [, event (rfc-2023: the C_BAD_STE written back)].
 */
import { HWPT_DATA_ARM_SMMUV3, vsteBytes } from '../../host/iommufd.ts';
import { arrayOf, expect, int, name, obj, ref } from '../../scenario/schema.ts';
import { type VSte, type WithExpect, shape } from '../../scenario/types.ts';
import { devId, objId, res } from '../exec/host.ts';
import { encodeVste } from '../exec/streams.ts';
import { defineStep } from './define.ts';
import { STE } from '../../arch/ste.ts';
import { fieldsLine } from '../../arch/explain.ts';
import { uapiLine } from './explain.ts';

export interface NestedHwptStep extends WithExpect {
  readonly name: string;
  readonly device: string;
  /** pt_id: a vIOMMU (current uAPI) or the NEST_PARENT (rfc-2023), or any object for error cases. */
  readonly pt: string;
  readonly ste: VSte;
  readonly flags?: number;
  readonly data_type?: number;
  /** Bytes appended after ste[2] (E2BIG when non-zero). */
  readonly trailing?: readonly number[];
}
declare module '../../scenario/types.ts' {
  interface StepBodies {
    readonly nested_hwpt: NestedHwptStep;
  }
}

export const nestedHwpt = defineStep({
  kind: 'nested_hwpt',
  layer: 'host',
  schema: obj(
    {
      name,
      device: name,
      pt: { ...name, description: 'pt_id: a vIOMMU (or, rfc-2023, the NEST_PARENT HWPT)' },
      ste: ref('vste'),
      flags: int(0, 0xffff_ffff),
      data_type: int(0, 0xffff_ffff, 'default 2 (IOMMU_HWPT_DATA_ARM_SMMUV3)'),
      trailing: arrayOf(int(0, 255), { description: 'bytes after ste[2] (data_len grows)' }),
      ...expect,
    },
    ['name', 'device', 'pt', 'ste'],
    'IOMMU_HWPT_ALLOC of a nested HWPT from a guest STE',
  ),
  shape: shape<NestedHwptStep>()(['name', 'device', 'pt', 'ste', 'flags', 'data_type', 'trailing', 'expect'], ['name', 'device', 'pt', 'ste']),
  example: 'nested_hwpt: { name: nested, device: nic, pt: vi, ste: { config: s1, cd_table: guest_cds } }',
  explain: (b) => `${b.name} on ${b.pt} for ${b.device}, guest STE ${b.ste.raw !== undefined ? 'raw' : (b.ste.config ?? 's1')}`,
  detail: (_b, r) => {
    const v = r['vste'];
    const words = Array.isArray(v) ? v.map((w) => BigInt(w as string | bigint)) : [];
    return [uapiLine('IOMMU_HWPT_ALLOC (nested HWPT from the guest STE)', r, ['id', 'event']), `guest STE dw0-1 handed over: ${fieldsLine(STE, words)}`];
  },
  refs(b, t, at) {
    t.ref(t.objects('*'), 'host object', b.pt, [...at, 'pt']);
    t.ref(t.cds, 'CD table', b.ste.cd_table, [...at, 'ste', 'cd_table']);
    t.declareObject('hwpt', b.name, [...at, 'name']);
  },
  run(ctx, h, b, _n, where) {
    const pt = objId(h, b.pt);
    const vste = encodeVste(b.ste, ctx.tables, where);
    if (h.rfc !== undefined) {
      // RFC v2: the full 64-byte guest STE (dw2..dw7 zero), C_BAD_STE written back on rejection
      const bytes = new Uint8Array(64);
      bytes.set(vsteBytes([vste[0] ?? 0n, vste[1] ?? 0n]));
      const r = h.rfc.allocNestedHwpt({ devId: devId(h, b.device, where), parentHwptId: pt, steLen: 64, ste: bytes, eventLen: 32 });
      if (r.errno !== 0) return res(r, { vste, ...('event' in r && r.event !== undefined ? { event: r.event } : {}) });
      h.names.set(b.name, r.hwptId);
      h.nestedParent.set(r.hwptId, pt);
      return res(r, { id: r.hwptId, vste });
    }
    const r = h.fd.allocNestedHwpt({
      devId: devId(h, b.device, where),
      viommuId: pt,
      ...(b.flags !== undefined ? { flags: b.flags } : {}),
      dataType: b.data_type ?? HWPT_DATA_ARM_SMMUV3,
      data: vsteBytes([vste[0] ?? 0n, vste[1] ?? 0n], b.trailing ?? []),
    });
    if (r.errno !== 0) return res(r, { vste });
    h.names.set(b.name, r.hwptId);
    return res(r, { id: r.hwptId, vste });
  },
});
