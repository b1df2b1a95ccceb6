/** `write`: raw 64-bit writes to physical memory. Record: pa, words. */
import { arrayOf, expect, obj, u64 } from '../../scenario/schema.ts';
import { type U64, type WithExpect, shape } from '../../scenario/types.ts';
import { hex } from '../../arch/hex.ts';
import { defineStep } from './define.ts';
import { show } from './explain.ts';

export interface WriteStep extends WithExpect {
  readonly pa: U64;
  readonly u64: readonly U64[];
}
declare module '../../scenario/types.ts' {
  interface StepBodies {
    readonly write: WriteStep;
  }
}

export const write = defineStep({
  kind: 'write',
  layer: 'device',
  schema: obj({ pa: u64, u64: arrayOf(u64, { minItems: 1 }), ...expect }, ['pa', 'u64'], 'raw 64-bit writes to physical memory'),
  shape: shape<WriteStep>()(['pa', 'u64', 'expect'], ['pa', 'u64']),
  example: 'write: { pa: 0x8000_0000, u64: [0x0, 0x1] }',
  explain: (b) => `${b.u64.length} dword${b.u64.length === 1 ? '' : 's'} at ${hex(b.pa)}`,
  detail: (b) => [
    `PA ${hex(b.pa)}..: ${show(b.u64.map((x) => BigInt(x)))} (software writes: a structure the SMMU may have cached needs its invalidation command)`,
  ],
  run(ctx, w) {
    w.u64.forEach((v, i) => ctx.mem.write64(w.pa + BigInt(8 * i), v));
    return { result: 'ok', fields: { pa: w.pa, words: w.u64.length } };
  },
});
