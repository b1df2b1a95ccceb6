/** `msi`: a device MSI, a 4-byte write of data to iova through the SMMU. Record: device, iova, delivered | landed (+backed) | fault, its_received. */
import { emulatorOnly } from '../exec/context.ts';
import { deliverMsi } from '../../host/msi.ts';
import { expect, name, obj, u64 } from '../../scenario/schema.ts';
import { type U64, type WithExpect, shape } from '../../scenario/types.ts';
import type { Fields } from '../exec/context.ts';
import { streamSid } from '../exec/streams.ts';
import { hex } from '../../arch/hex.ts';
import { defineStep } from './define.ts';
import { recordLine, streamLines } from './explain.ts';

export interface MsiStep extends WithExpect {
  readonly device: string;
  readonly ssid?: U64;
  readonly iova: U64;
  readonly data: U64;
}
declare module '../../scenario/types.ts' {
  interface StepBodies {
    readonly msi: MsiStep;
  }
}

export const msi = defineStep({
  kind: 'msi',
  layer: 'host',
  schema: obj(
    { device: name, ssid: u64, iova: u64, data: u64, ...expect },
    ['device', 'iova', 'data'],
    'a device MSI: a 4-byte write of data to iova through the SMMU (ITS doorbell or memory)',
  ),
  shape: shape<MsiStep>()(['device', 'ssid', 'iova', 'data', 'expect'], ['device', 'iova', 'data']),
  example: 'msi: { device: nic, iova: 0x0800_0040, data: 0x20 }',
  explain: (b) => `${b.device} writes ${hex(b.data)} to ${hex(b.iova)}`,
  detail: (b, r, ctx) => {
    const sid = ctx.scenario.devices?.find((x) => x.name === b.device)?.sid;
    return [
      ...(sid !== undefined ? streamLines(ctx, Number(sid), b.ssid !== undefined ? Number(b.ssid) : 0) : []),
      `a 32-bit write through the SMMU, like any DMA write; the output PA decides whether the ITS doorbell takes it: ${recordLine(r, ['delivered', 'landed', 'backed', 'fault', 'its_received'])}`,
    ];
  },
  run(ctx, h, b, _n, where) {
    const sid = streamSid(ctx.scenario, b, where);
    const o = deliverMsi(
      emulatorOnly(ctx, 'An msi step (the output PA decides ITS delivery)'),
      { sid, ...(b.ssid !== undefined ? { ssid: Number(b.ssid) } : {}) },
      b.iova,
      Number(b.data & 0xffff_ffffn),
      h.its,
    );
    const base: Fields = { device: b.device, iova: b.iova };
    if ('delivered' in o) return { result: 'ok', fields: { ...base, delivered: o.delivered, its_received: [...h.its.received] } };
    if ('landed' in o) return { result: 'ok', fields: { ...base, landed: o.landed, backed: o.backed, its_received: [...h.its.received] } };
    return { result: 'fault', fields: { ...base, fault: o.fault, its_received: [...h.its.received] } };
  },
});
