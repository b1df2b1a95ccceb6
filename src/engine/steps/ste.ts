/** `ste`: install (overwrite) one STE. Record: sid, addr [+ cmdq fields with invalidate]. */
import { installSte } from '../../smmu/boot.ts';
import { bool, expect, obj, steFields, streamSelect } from '../../scenario/schema.ts';
import { STREAM_INSTALL_KEYS, type StreamInstall, type WithExpect, shape } from '../../scenario/types.ts';
import { submitOut } from '../exec/context.ts';
import { steInvalidation } from '../exec/invalidate.ts';
import { encodeSte, streamSid } from '../exec/streams.ts';
import { hex } from '../../arch/hex.ts';
import { defineStep } from './define.ts';
import { steLines } from './explain.ts';

export interface SteStep extends StreamInstall, WithExpect {
  readonly invalidate?: boolean;
}
declare module '../../scenario/types.ts' {
  interface StepBodies {
    readonly ste: SteStep;
  }
}

export const ste = defineStep({
  kind: 'ste',
  layer: 'device',
  schema: obj({ ...streamSelect, ...steFields, invalidate: bool('follow with CFGI_STE + SYNC (default false)'), ...expect }, [], 'install (overwrite) one STE'),
  shape: shape<SteStep>()([...STREAM_INSTALL_KEYS, 'invalidate', 'expect'], []),
  example: 'ste: { device: nic, config: s1, cd_table: cds, invalidate: true }',
  explain: (b) => `${b.device ?? (b.sid !== undefined ? `sid ${hex(b.sid)}` : '?')} config ${b.raw !== undefined ? 'raw' : (b.config ?? '?')}`,
  detail: (_b, r, ctx) => steLines(ctx, r),
  refs: (b, t, at) => t.checkStream(b, at),
  run(ctx, st, _n, where) {
    const sid = streamSid(ctx.scenario, st, where);
    const addr = installSte(ctx.dev, sid, encodeSte(st, ctx.tables, where));
    ctx.steAddrs.set(sid, addr);
    if (st.invalidate !== true) return { result: 'ok', fields: { sid, addr } };
    const o = submitOut(ctx, steInvalidation(sid));
    return { result: o.result, fields: { sid, addr, ...o.fields } };
  },
});
