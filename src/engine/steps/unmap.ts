/** `unmap`: remove a mapping from a declared page table. Record: table, va|ipa, size [+ cmdq fields with invalidate]. */
import { bool, expect, name, obj, ref, u64 } from '../../scenario/schema.ts';
import { type U64, type WithExpect, shape } from '../../scenario/types.ts';
import { defineStep } from './define.ts';
import { checkTableEdit, editTable, tableEditLine } from './map.ts';
import { tableLines } from './explain.ts';

export interface UnmapStep extends WithExpect {
  readonly table: string;
  readonly va?: U64;
  readonly ipa?: U64;
  readonly size: U64;
  readonly invalidate?: boolean;
}
declare module '../../scenario/types.ts' {
  interface StepBodies {
    readonly unmap: UnmapStep;
  }
}

export const unmap = defineStep({
  kind: 'unmap',
  layer: 'device',
  schema: obj(
    { table: name, va: u64, ipa: u64, size: ref('size'), invalidate: bool('invalidate after editing'), ...expect },
    ['table', 'size'],
    'remove a mapping from a declared page table',
  ),
  shape: shape<UnmapStep>()(['table', 'va', 'ipa', 'size', 'invalidate', 'expect'], ['table', 'size']),
  example: 'unmap: { table: guest_s1, va: 0x4000, size: 4K, invalidate: true }',
  explain: (b) => tableEditLine(b),
  detail: (b, r, ctx) => tableLines(ctx, b.table, `leaf descriptors cleared (invalid) for ${tableEditLine(b)}`, r),
  refs: (b, t, at) => checkTableEdit(b, false, t, at),
  run: (ctx, b, _n, where) => editTable(ctx, b, undefined, where),
});
