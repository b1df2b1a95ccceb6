/**
 * `resume`: CMD_RESUME (+ CMD_SYNC) for a stalled transaction. Record: sid, stag, action,
 * completed; the completion's dma fields (retry) or raz; cmdq fields when the queue failed.
 */
import { encodeCommand } from '../../arch/command.ts';
import { submitCommands } from '../../smmu/boot.ts';
import { enumOf, expect, name, obj, u64 } from '../../scenario/schema.ts';
import { type U64, type WithExpect, shape } from '../../scenario/types.ts';
import { SYNC } from '../exec/commands.ts';
import { type Fields, cmdqFields, cmdqResult, txnFields } from '../exec/context.ts';
import { streamSid } from '../exec/streams.ts';
import { defineStep, hx } from './define.ts';

export interface ResumeStep extends WithExpect {
  readonly device: string;
  readonly ssid?: U64;
  readonly stag: U64;
  readonly action: 'retry' | 'abort';
}
declare module '../../scenario/types.ts' {
  interface StepBodies {
    readonly resume: ResumeStep;
  }
}

export const resume = defineStep({
  kind: 'resume',
  layer: 'device',
  schema: obj(
    { device: name, ssid: u64, stag: u64, action: enumOf(['retry', 'abort']), ...expect },
    ['device', 'stag', 'action'],
    'CMD_RESUME for a stalled transaction',
  ),
  shape: shape<ResumeStep>()(['device', 'ssid', 'stag', 'action', 'expect'], ['device', 'stag', 'action']),
  example: 'resume: { device: nic, stag: 0, action: retry }',
  explain: (b) => `${b.device} stag ${hx(b.stag)} ${b.action}`,
  refs: (b, t, at) => t.ref(t.devices, 'device', b.device, [...at, 'device']),
  run(ctx, r, _n, where) {
    const dev = ctx.dev;
    const sid = streamSid(ctx.scenario, r, where);
    const before = dev.stallCompletions.length;
    const cmd = encodeCommand('RESUME', { StreamID: sid, STAG: r.stag, Ac: r.action === 'retry' ? 1 : 0, Ab: r.action === 'abort' ? 1 : 0 });
    const q = submitCommands(dev, [cmd, [...SYNC]]);
    const done = dev.stallCompletions.slice(before).find((c) => c.sid === sid && BigInt(c.stag) === r.stag);
    const base: Fields = { sid, stag: Number(r.stag), action: r.action, completed: done !== undefined };
    if (q.error !== 'CERROR_NONE' || q.stalled) return { result: cmdqResult(q), fields: { ...base, ...cmdqFields(dev, q) } };
    if (done === undefined) return { result: 'ok', fields: base };
    const o = txnFields(done.result);
    return { result: o.result, fields: { ...base, ...o.fields } };
  },
});
