/**
 * `read_mem`: read physical memory, what software (or a checker) reads back: hardware AF/dirty
 * updates, CMD_SYNC MSI writes. Record: pa, width, values (hex, null where unbacked); result abort
 * if any was unbacked. `expect.values` checks the values.
 */
import { hex32, hex64 } from '../../arch/fields.ts';
import { enumOf, expect, int, obj, u64 } from '../../scenario/schema.ts';
import type { ObsScalar } from '../../scenario/observation.ts';
import { shape, type U64, type WithExpect } from '../../scenario/types.ts';
import { hex } from '../../arch/hex.ts';
import { defineStep } from './define.ts';
import { show } from './explain.ts';

export interface ReadMemStep extends WithExpect {
  readonly pa: U64;
  readonly count?: number;
  readonly width?: 32 | 64;
}
declare module '../../scenario/types.ts' {
  interface StepBodies {
    readonly read_mem: ReadMemStep;
  }
}

export const readMem = defineStep({
  kind: 'read_mem',
  layer: 'device',
  schema: obj(
    { pa: u64, count: int(1, 512, 'how many values (default 1)'), width: enumOf([32, 64], 'bits per value (default 64)'), ...expect },
    ['pa'],
    'read physical memory (hardware descriptor updates, MSI writes); expect.values checks the values',
  ),
  shape: shape<ReadMemStep>()(['pa', 'count', 'width', 'expect'], ['pa']),
  example: 'read_mem: { pa: 0x8000_0000, count: 2 }',
  explain: (b) => `${b.count ?? 1} x ${b.width ?? 64} bits at ${hex(b.pa)}`,
  detail: (b, r) => [
    `${b.count ?? 1} read(s) of ${b.width ?? 64} bits from PA ${hex(b.pa)}: ${show(r['values'])}${r.result === 'abort' ? ' (null: unbacked, an external abort)' : ''}`,
  ],
  run(ctx, m) {
    const width = m.width ?? 64;
    const values: ObsScalar[] = [];
    for (let i = 0; i < (m.count ?? 1); i++) {
      const a = m.pa + BigInt((i * width) / 8);
      const v = width === 64 ? ctx.mem.read64(a) : ctx.mem.read32(a);
      values.push(v === undefined ? null : width === 64 ? hex64(BigInt(v)) : hex32(v));
    }
    return { result: values.includes(null) ? 'abort' : 'ok', fields: { pa: m.pa, width, values } };
  },
});
