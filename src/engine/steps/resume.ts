/**
 * `resume`: CMD_RESUME (+ CMD_SYNC) for a stalled transaction, named by `stall: N` (the transaction
 * dma step N stalled) or by device + stag. Record: sid, stag, action, completed; the completion's
 * dma fields (retry) or raz; new_stag when the retried transaction stalled again; cmdq fields when
 * the queue failed. A `stall: N` whose dma step did not stall: result error, reason (no command issued).
 */
import { emulatorOnly } from '../exec/context.ts';
import { encodeCommand } from '../../arch/command.ts';
import { submitCommands } from '../../smmu/boot.ts';
import { enumOf, expect, int, name, obj, u64 } from '../../scenario/schema.ts';
import { type U64, type WithExpect, shape } from '../../scenario/types.ts';
import { SYNC } from '../exec/commands.ts';
import { type Fields, cmdqFields, cmdqResult, txnFields } from '../exec/context.ts';
import { streamSid } from '../exec/streams.ts';
import { hex } from '../../arch/hex.ts';
import { defineStep } from './define.ts';
import { recordLine } from './explain.ts';

export interface ResumeStep extends WithExpect {
  /** With `stag`: the device whose StreamID the RESUME names. */
  readonly device?: string;
  readonly ssid?: U64;
  readonly stag?: U64;
  /** 1-based number of an earlier dma step whose transaction stalled (instead of device + stag). */
  readonly stall?: number;
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
    {
      device: name,
      ssid: u64,
      stag: u64,
      stall: int(
        1,
        1_000_000,
        'number of the earlier dma step whose transaction stalled: resume that transaction (its StreamID and STAG), instead of device + stag',
      ),
      action: enumOf(['retry', 'abort']),
      ...expect,
    },
    ['action'],
    'CMD_RESUME (+ CMD_SYNC) for a stalled transaction: by stall (a step reference) or by device + stag',
  ),
  shape: shape<ResumeStep>()(['device', 'ssid', 'stag', 'stall', 'action', 'expect'], ['action']),
  example: 'resume: { stall: 3, action: retry }',
  explain: (b) => `${b.stall !== undefined ? `the stall of step ${b.stall}` : `${b.device ?? '?'} stag ${hex(b.stag ?? 0n)}`} ${b.action}`,
  detail: (_b, r) => [
    `CMD_RESUME + CMD_SYNC for StreamID ${r['sid']} STAG ${r['stag']} (§4.7.1): ${recordLine(r, ['action', 'completed', 'pa', 'event', 'raz', 'new_stag'])}`,
  ],
  refs(b, t, at) {
    t.ref(t.devices, 'device', b.device, [...at, 'device']);
    const i = Number(at[1]);
    if ((b.stall === undefined) === (b.stag === undefined)) {
      t.report('CONFLICT', at, 'A resume names its transaction by stall (a dma step number) or by device + stag: give exactly one of stall, stag');
    } else if (b.stag !== undefined && b.device === undefined) t.report('CONFLICT', at, 'A resume by stag needs device');
    else if (b.stall !== undefined && (b.stall > i || !('dma' in (t.scenario.steps[b.stall - 1] ?? {})))) {
      t.report('CONFLICT', [...at, 'stall'], `stall: ${b.stall} must be the number of an earlier dma step`);
    }
  },
  run(ctx, r, _n, where) {
    const dev = ctx.dev;
    // By reference: the StreamID and STAG of the transaction an earlier dma step stalled.
    let target: { sid: number; stag: bigint };
    if (r.stall !== undefined) {
      const st = ctx.stalled?.get(r.stall);
      // Nothing to resume: the referenced DMA did not stall (it translated, faulted or aborted), so
      // software has no STAG and issues no command; the step says so instead of guessing one.
      if (st === undefined) return { result: 'error', fields: { action: r.action, reason: `step ${r.stall} did not stall a transaction` } };
      target = { sid: st.sid, stag: BigInt(st.stag) };
    } else {
      if (r.device === undefined || r.stag === undefined) throw new Error(`Cannot run ${where}: give stall, or device and stag`);
      target = { sid: streamSid(ctx.scenario, { device: r.device }, where), stag: r.stag };
    }
    const sid = target.sid;
    const emu = emulatorOnly(ctx, 'A resume step');
    const before = emu.stallCompletions.length;
    const cmd = encodeCommand('RESUME', { StreamID: sid, STAG: target.stag, Ac: r.action === 'retry' ? 1 : 0, Ab: r.action === 'abort' ? 1 : 0 });
    const q = submitCommands(dev, [cmd, [...SYNC]]);
    const done = emu.stallCompletions.slice(before).find((c) => c.sid === sid && BigInt(c.stag) === target.stag);
    const base: Fields = { sid, stag: Number(target.stag), action: r.action, completed: done !== undefined };
    if (q.error !== 'CERROR_NONE' || q.stalled) return { result: cmdqResult(q), fields: { ...base, ...cmdqFields(dev, q) } };
    if (done === undefined) return { result: 'ok', fields: base };
    // A retry that stalls again has a new STAG: report it apart from the STAG this step resumed.
    const { stag: again, ...o } = txnFields(done.result).fields;
    return { result: txnFields(done.result).result, fields: { ...base, ...o, ...(again !== undefined ? { new_stag: again } : {}) } };
  },
});
