/**
 * `dma`: one transaction from a device. Record: device, [ssid], iova, access; ok: pa; fault: event,
 * recorded, [illegal: the ILLEGAL rule id of a C_BAD_STE/C_BAD_CD]; abort: [event, recorded], [raz: true] (RAZ/WI termination) or silent: true; stall:
 * stag. `size` is not modelled (one translation per step).
 */
import { WalkTrace } from '../../smmu/walk-trace.ts';
import { bool, enumOf, expect, int, name, obj, u64 } from '../../scenario/schema.ts';
import { type U64, type WithExpect, shape } from '../../scenario/types.ts';
import { txnFields } from '../exec/context.ts';
import { streamSid } from '../exec/streams.ts';
import { defineStep, hx } from './define.ts';

export interface DmaStep extends WithExpect {
  readonly device: string;
  readonly ssid?: U64;
  readonly iova: U64;
  readonly access: 'read' | 'write' | 'exec';
  readonly priv?: boolean;
  readonly size?: number;
}
declare module '../../scenario/types.ts' {
  interface StepBodies {
    readonly dma: DmaStep;
  }
}

export const dma = defineStep({
  kind: 'dma',
  layer: 'device',
  schema: obj(
    {
      device: name,
      ssid: u64,
      iova: u64,
      access: enumOf(['read', 'write', 'exec']),
      priv: bool('privileged access'),
      size: int(1, 4096, 'access size in bytes (default 8)'),
      ...expect,
    },
    ['device', 'iova', 'access'],
    'one DMA transaction from a device',
  ),
  shape: shape<DmaStep>()(['device', 'ssid', 'iova', 'access', 'priv', 'size', 'expect'], ['device', 'iova', 'access']),
  example: 'dma: { device: nic, iova: 0x1000, access: read }',
  explain: (b) => `${b.device}${b.ssid !== undefined ? ` ssid ${b.ssid}` : ''} ${b.access} ${hx(b.iova)}`,
  refs: (b, t, at) => t.ref(t.devices, 'device', b.device, [...at, 'device']),
  run(ctx, d, n, where) {
    const sid = streamSid(ctx.scenario, d, where);
    const trace = ctx.trace ? new WalkTrace() : undefined;
    const r = ctx.dev.transaction({
      sid,
      iova: d.iova,
      access: d.access,
      ...(d.ssid !== undefined ? { ssid: Number(d.ssid) } : {}),
      ...(d.priv !== undefined ? { privileged: d.priv } : {}),
      ...(trace !== undefined ? { trace } : {}),
    });
    if (trace !== undefined) ctx.walks.push({ step: n, lines: trace.format() });
    if (r.kind === 'stalled') ctx.stalled?.set(n, { sid, stag: r.stag });
    const o = txnFields(r);
    return {
      result: o.result,
      fields: { device: d.device, ...(d.ssid !== undefined ? { ssid: Number(d.ssid) } : {}), iova: d.iova, access: d.access, ...o.fields },
    };
  },
});
