/**
 * `map`: add a mapping to a declared page table (s1_tables: va → pa, or → ipa for a nested guest
 * table; s2_tables: ipa → pa). Record: table, va|ipa, the output address as mapped (pa, or ipa for
 * a nested stage-1 table), size [+ cmdq fields with invalidate: Linux's TLBI sequence].
 */
import { MemoryCapError } from '../../memory/sparse-memory.ts';
import { bool, expect, mapCommon, name, obj, s1Extra, u64 } from '../../scenario/schema.ts';
import { type Perm, type U64, type WithExpect, shape } from '../../scenario/types.ts';
import type { RefPath, RefTools } from '../../scenario/language.ts';
import { type ExecContext, type Fields, type StepOut, submitOut } from '../exec/context.ts';
import { s1Invalidation, s2Invalidation } from '../exec/invalidate.ts';
import { mapS1, mapS2 } from '../exec/tables.ts';
import { hex } from '../../arch/hex.ts';
import { defineStep } from './define.ts';
import { tableLines } from './explain.ts';

export interface MapStep extends WithExpect {
  readonly table: string;
  readonly va?: U64;
  readonly ipa?: U64;
  readonly pa?: U64;
  readonly size: U64;
  readonly perm: Perm;
  readonly af?: boolean;
  readonly attr?: 'normal' | 'normal_nc' | 'device';
  readonly page_only?: boolean;
  readonly priv?: boolean;
  readonly ng?: boolean;
  readonly xn?: boolean;
  readonly invalidate?: boolean;
}
declare module '../../scenario/types.ts' {
  interface StepBodies {
    readonly map: MapStep;
  }
}

export const map = defineStep({
  kind: 'map',
  layer: 'device',
  schema: obj(
    { table: name, va: u64, ipa: u64, pa: u64, ...mapCommon, ...s1Extra, invalidate: bool('invalidate after editing'), ...expect },
    ['table', 'size', 'perm'],
    'add a mapping to a declared page table',
  ),
  shape: shape<MapStep>()(
    ['table', 'va', 'ipa', 'pa', 'size', 'perm', 'af', 'attr', 'page_only', 'priv', 'ng', 'xn', 'invalidate', 'expect'],
    ['table', 'size', 'perm'],
  ),
  example: 'map: { table: guest_s1, va: 0x4000, pa: 0x8000_4000, size: 4K, perm: rw, invalidate: true }',
  explain: (b) => tableEditLine(b, b.pa ?? b.ipa),
  detail: (b, r, ctx) => tableLines(ctx, b.table, `leaf descriptors written for ${tableEditLine(b, b.pa ?? b.ipa)} ${b.perm}`, r),
  refs: (b, t, at) => checkTableEdit(b, true, t, at),
  run: (ctx, b, _n, where) => editTable(ctx, b, b, where),
});

/** `table va|ipa [-> out] size`, for explain. */
export function tableEditLine(b: { table: string; va?: U64; ipa?: U64; size: U64 }, out?: U64): string {
  const input = b.va !== undefined ? `va ${hex(b.va)}` : b.ipa !== undefined ? `ipa ${hex(b.ipa)}` : '?';
  return `${b.table} ${input}${out !== undefined && out !== b.ipa ? ` -> ${hex(out)}` : ''} size ${hex(b.size)}`;
}

/** What map and unmap have in common: the table and the input address edited. */
export interface TableEdit {
  readonly table: string;
  readonly va?: U64;
  readonly ipa?: U64;
  readonly size: U64;
  readonly invalidate?: boolean;
}

/** The table is declared; stage 1 takes va and exactly one output (pa|ipa), stage 2 ipa (and pa). */
export function checkTableEdit(b: TableEdit | MapStep, isMap: boolean, t: RefTools, at: RefPath): void {
  const isS1 = t.s1.has(b.table);
  const isS2 = t.s2.has(b.table);
  if (!isS1 && !isS2) {
    t.ref(new Set([...t.s1, ...t.s2]), 'page table', b.table, [...at, 'table']);
    return;
  }
  const pa = 'pa' in b ? b.pa : undefined;
  if (isS1 && b.va === undefined) t.report('CONFLICT', at, `Table "${b.table}" is a stage-1 table: give va`);
  if (isS1 && isMap && (pa === undefined) === (b.ipa === undefined)) t.report('CONFLICT', at, 'A stage-1 mapping needs exactly one output address: pa or ipa');
  if (isS2 && (b.ipa === undefined || b.va !== undefined)) t.report('CONFLICT', at, `Table "${b.table}" is a stage-2 table: give ipa (not va)`);
  if (isS2 && isMap && pa === undefined) t.report('CONFLICT', at, 'A stage-2 mapping needs pa');
}

/**
 * Edit a declared table (map when `m` is given, else unmap), then optionally invalidate. A map or
 * unmap is software editing its own tables (io-pgtable map/unmap): when the edit is impossible
 * (the range is already mapped, or an unmap would split a block) the step fails the way the
 * software call would, with result `error` and the reason, and the tables are unchanged from the
 * failing entry on. Validation already rejected every statically impossible edit.
 */
export function editTable(ctx: ExecContext, body: TableEdit, m: MapStep | undefined, where: string): StepOut {
  try {
    return editTableUnguarded(ctx, body, m, where);
  } catch (e) {
    if (!(e instanceof TableEditError)) throw e;
    return { result: 'error', fields: { table: body.table, reason: e.message } };
  }
}

class TableEditError extends Error {}
const edit = (f: () => void): void => {
  try {
    f();
  } catch (e) {
    if (e instanceof MemoryCapError) throw e;
    throw new TableEditError(e instanceof Error ? e.message.replace(/^Cannot map [^:]*: /, '') : String(e));
  }
};

function editTableUnguarded(ctx: ExecContext, body: TableEdit, m: MapStep | undefined, where: string): StepOut {
  const s1 = ctx.tables.s1.get(body.table);
  const s2 = ctx.tables.s2.get(body.table);
  if (s1 === undefined && s2 === undefined) throw new RangeError(`Cannot run ${where}: "${body.table}" is neither an s1_tables nor an s2_tables entry`);
  let cmds: bigint[][];
  let addrField: Fields;
  if (s1 !== undefined) {
    const va = body.va;
    if (va === undefined) throw new RangeError(`Cannot run ${where}: stage-1 table "${body.table}" needs \`va\``);
    if (m !== undefined) edit(() => mapS1(s1, { ...m, va }, ctx.alloc, where));
    else edit(() => s1.builder.unmap(va, body.size));
    cmds = s1Invalidation(ctx.scenario, ctx.tables, body.table, s1.builder, va, body.size);
    addrField = { va };
  } else {
    const sp = s2 as NonNullable<typeof s2>;
    const ipa = body.ipa;
    if (ipa === undefined) throw new RangeError(`Cannot run ${where}: stage-2 table "${body.table}" needs \`ipa\``);
    if (m !== undefined) {
      const pa = m.pa;
      if (pa === undefined) throw new RangeError(`Cannot run ${where}: a stage-2 mapping needs \`pa\``);
      edit(() => mapS2(sp.builder, { ...m, ipa, pa }, where));
    } else {
      edit(() => sp.builder.unmap(ipa, body.size));
    }
    cmds = s2Invalidation(ctx.scenario, body.table, sp.builder, ipa, body.size);
    addrField = { ipa };
  }
  // Echo the output address as mapped: IPA for a nested stage-1 table, else PA.
  const nestedS1 = s1?.s2 !== undefined;
  const out = m !== undefined ? (nestedS1 ? (m.ipa ?? m.pa) : (m.pa ?? (s1 !== undefined ? m.ipa : undefined))) : undefined;
  const fields: Fields = { table: body.table, ...addrField, ...(out !== undefined ? { [nestedS1 ? 'ipa' : 'pa']: out } : {}), size: body.size };
  if (body.invalidate !== true) return { result: 'ok', fields };
  const o = submitOut(ctx, cmds);
  return { result: o.result, fields: { ...fields, ...o.fields } };
}
