/**
 * `attach`: attach a device to a HWPT (replace-attach when already attached), or detach to a
 * blocking STE when `hwpt` is omitted. Record: errno, hwpt, syncs, ste (the physical STE read back
 * after the write); with `probe`: dma_0, then per pass i ste_i, v0_i, dma_i, and torn (probeFields).
 */
import { hex64 } from '../../arch/fields.ts';
import { expect, int, name, obj, ref } from '../../scenario/schema.ts';
import { type AttachProbe, type WithExpect, shape } from '../../scenario/types.ts';
import type { ExecContext, Fields } from '../exec/context.ts';
import { devId, objId, res } from '../exec/host.ts';
import { streamSid } from '../exec/streams.ts';
import { defineStep } from './define.ts';
import { STE } from '../../arch/ste.ts';
import { fieldsLine } from '../../arch/explain.ts';
import { uapiLine } from './explain.ts';

export interface AttachStep extends WithExpect {
  readonly device: string;
  /** A HWPT name, or omitted to detach (blocking STE). */
  readonly hwpt?: string;
  /** Model "the device has N PASID domains attached" before the attach. */
  readonly pasids_attached?: number;
  /** DMA before the first STE write and after every pass's CFGI_STE + CMD_SYNC. */
  readonly probe?: AttachProbe;
}
declare module '../../scenario/types.ts' {
  interface StepBodies {
    readonly attach: AttachStep;
  }
}

export const attach = defineStep({
  kind: 'attach',
  layer: 'host',
  schema: obj(
    {
      device: name,
      hwpt: { ...name, description: 'HWPT to attach (omit: detach to a blocking STE)' },
      pasids_attached: int(0, 1_048_576, 'PASID domains the device has attached (EBUSY for nested)'),
      probe: { ...ref('attach_probe'), description: 'DMA between the writes of the STE update; records every pass and a torn verdict' },
      ...expect,
    },
    ['device'],
    'attach a device to a HWPT (replace-attach when already attached)',
  ),
  shape: shape<AttachStep>()(['device', 'hwpt', 'pasids_attached', 'probe', 'expect'], ['device']),
  example: 'attach: { device: nic, hwpt: nested }',
  explain: (b) => (b.hwpt !== undefined ? `${b.device} to ${b.hwpt}` : `${b.device} detach`) + (b.probe !== undefined ? ' (probed)' : ''),
  detail: (b, r) => {
    const ste = r['ste'];
    const words = Array.isArray(ste) ? ste.map((w) => BigInt(w as string | bigint)) : undefined;
    return [
      uapiLine(b.hwpt !== undefined ? 'IOMMU_HWPT_REPLACE/attach' : 'detach (blocking STE)', r, ['hwpt', 'syncs']),
      ...(words !== undefined ? [`physical STE written (hitless update, arm-smmu-v3 STE writer): ${fieldsLine(STE, words)}`] : []),
    ];
  },
  refs: (b, t, at) => t.ref(t.objects('hwpt'), 'HWPT', b.hwpt, [...at, 'hwpt']),
  run(ctx, h, b, _n, where) {
    const s = ctx.scenario;
    const fd = h.fd;
    const id = devId(h, b.device, where);
    if (b.pasids_attached !== undefined) fd.setPasidsAttached(id, b.pasids_attached);
    const sid = streamSid(s, b, where);
    const probe = b.probe !== undefined ? probeRunner(ctx, b.probe, `${where} probe`) : undefined;
    const passes: Pass[] = [];
    const before = probe?.();
    const opts =
      probe !== undefined
        ? {
            onStep: (p: { dwords: bigint[] }): void => {
              passes.push({ dwords: p.dwords, dma: probe() });
            },
          }
        : {};
    const r = b.hwpt !== undefined ? fd.attach(id, objId(h, b.hwpt), opts) : fd.detach(id, opts);
    // the STE as read back from the SMMU the device sits behind (host.devices[].smmu)
    const port = h.ports[s.host?.devices?.find((x) => x.device === b.device)?.smmu ?? 0] ?? h.port;
    const f: Fields = { ...(b.hwpt !== undefined ? { hwpt: b.hwpt } : {}), ...(r.errno === 0 ? { syncs: r.syncs } : {}), ste: port.readSte(sid) };
    if (before !== undefined) Object.assign(f, probeFields(before, passes));
    return res(r, f);
  },
});

export interface Pass {
  readonly dwords: bigint[];
  readonly dma: string;
}

/** One probe DMA on the real device; its outcome as one comparable string. */
function probeRunner(ctx: ExecContext, p: AttachProbe, where: string): () => string {
  const sid = streamSid(ctx.scenario, p, where);
  return () => {
    const r = ctx.dev.transaction({ sid, iova: p.iova, access: p.access, ...(p.ssid !== undefined ? { ssid: Number(p.ssid) } : {}) });
    if (r.kind === 'translated') return `pa ${hex64(r.pa)}`;
    if (r.kind === 'stalled') return 'stall';
    if (r.raz === true) return 'raz';
    return r.event ?? 'abort (silent)';
  };
}

/**
 * The update as DMA saw it: dma_0 before the first write, then per pass i the entry written
 * (ste_i), whether it had V=0 (v0_i) and the DMA outcome after its CFGI_STE + CMD_SYNC (dma_i).
 * torn: some pass with V=1 gave an outcome that is neither the old config's (dma_0) nor the new
 * one's (the last pass), or a C_BAD_STE. Passes with V=0 are the breaking window: the entry is
 * invalid there, so C_BAD_STE is the architected outcome (SMMUv3 §5.2 STE.V, §7.3.4) and they
 * are recorded, not judged (linux-smmuv3-iommufd.md §1.3, §8).
 */
export function probeFields(before: string, passes: readonly Pass[]): Fields {
  const f: Fields = { dma_0: before };
  const after = passes.at(-1)?.dma ?? before;
  let torn = false;
  passes.forEach((p, i) => {
    const v0 = STE.get(p.dwords, 'V') === 0n;
    f[`ste_${i + 1}`] = p.dwords;
    f[`v0_${i + 1}`] = v0;
    f[`dma_${i + 1}`] = p.dma;
    if (!v0 && ((p.dma !== before && p.dma !== after) || p.dma === 'C_BAD_STE')) torn = true;
  });
  f['torn'] = torn;
  return f;
}
