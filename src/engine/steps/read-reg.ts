/** `read_reg`: read an SMMU register. Record: reg, value (`expect.fields.value` checks it). */
import { REG, type RegName } from '../../arch/registers.ts';
import { enumOf, expect, obj } from '../../scenario/schema.ts';
import { shape, type WithExpect } from '../../scenario/types.ts';
import { READ_REGISTERS, type ReadRegisterName } from '../../scenario/vocab.ts';
import { defineStep } from './define.ts';
import { regLine } from './explain.ts';

export interface ReadRegStep extends WithExpect {
  readonly reg: ReadRegisterName;
}
declare module '../../scenario/types.ts' {
  interface StepBodies {
    readonly read_reg: ReadRegStep;
  }
}

export const readReg = defineStep({
  kind: 'read_reg',
  layer: 'device',
  schema: obj({ reg: enumOf(READ_REGISTERS), ...expect }, ['reg'], 'read an SMMU register: the step record shows its value (expect.fields.value checks it)'),
  shape: shape<ReadRegStep>()(['reg', 'expect'], ['reg']),
  example: 'read_reg: { reg: SMMU_GERROR }',
  explain: (b) => b.reg,
  detail: (b, r) => [regLine(b.reg, r['value'], 'reads')],
  run(ctx, b) {
    const key = b.reg.replace(/^SMMU_/, '') as RegName;
    return { result: 'ok', fields: { reg: b.reg, value: ctx.dev.readReg(REG[key]) } };
  },
});
