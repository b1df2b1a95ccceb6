/** `write_reg`: write an SMMU register. Record: reg [+ cmdq fields when the write ran the queue]. */
import { REG, type RegName } from '../../arch/registers.ts';
import { enumOf, expect, obj, u64 } from '../../scenario/schema.ts';
import { type U64, type WithExpect, shape } from '../../scenario/types.ts';
import { REGISTERS, type RegisterName } from '../../scenario/vocab.ts';
import { cmdqFields, cmdqResult } from '../exec/context.ts';
import { hex } from '../../arch/hex.ts';
import { defineStep } from './define.ts';
import { regLine } from './explain.ts';

export interface WriteRegStep extends WithExpect {
  readonly reg: RegisterName;
  readonly value: U64;
}
declare module '../../scenario/types.ts' {
  interface StepBodies {
    readonly write_reg: WriteRegStep;
  }
}

export const writeReg = defineStep({
  kind: 'write_reg',
  layer: 'device',
  schema: obj({ reg: enumOf(REGISTERS), value: u64, ...expect }, ['reg', 'value'], 'write an SMMU register'),
  shape: shape<WriteRegStep>()(['reg', 'value', 'expect'], ['reg', 'value']),
  example: 'write_reg: { reg: SMMU_CR0, value: 0 }',
  explain: (b) => `${b.reg} = ${hex(b.value)}`,
  detail: (b) => [regLine(b.reg, b.value, 'written')],
  run(ctx, w, _n, where) {
    const key = w.reg.replace(/^SMMU_/, '') as RegName;
    const off = REG[key];
    if (off === undefined) throw new RangeError(`Cannot run ${where}: register ${w.reg} is not modelled`);
    const r = ctx.dev.writeReg(off, w.value);
    if (r === undefined) return { result: 'ok', fields: { reg: w.reg } };
    return { result: cmdqResult(r), fields: { reg: w.reg, ...cmdqFields(ctx.dev, r) } };
  },
});
