/** `inject_fault`: the same injections as `smmu.faults`, from this step on (exec/faults.ts). Record: kind. */
import { ref } from '../../scenario/schema.ts';
import type { FaultInjection } from '../../scenario/types.ts';
import { injectFault as inject } from '../exec/faults.ts';
import { hex } from '../../arch/hex.ts';
import { defineStep } from './define.ts';
import { show } from './explain.ts';

declare module '../../scenario/types.ts' {
  interface StepBodies {
    readonly inject_fault: FaultInjection;
  }
}

export const injectFault = defineStep({
  kind: 'inject_fault',
  layer: 'device',
  // the body is `$defs/fault` (shared with smmu.faults), modelled by FaultInjection
  schema: ref('fault'),
  shape: undefined,
  example: 'inject_fault: { kind: ext_abort, pa: 0x8000_0000 }',
  explain: (b) => `${b.kind}${b.pa !== undefined ? ` pa ${hex(b.pa)}` : ''}${b.count !== undefined ? ` count ${b.count}` : ''}`,
  detail: (b) => [
    `from this step on: ${Object.entries(b)
      .filter(([k]) => k !== 'expect')
      .map(
        ([k, v]) => `${k}=${typeof v === 'bigint' || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' ? show(v) : JSON.stringify(v)}`,
      )
      .join(' ')}`,
  ],
  run(ctx, f, _n, where) {
    inject(ctx, f, where);
    return { result: 'ok', fields: { kind: f.kind } };
  },
});
