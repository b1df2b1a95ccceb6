/** `ack_gerror`: GERRORN = GERROR. Record: gerror (active after the ack) [+ cmdq fields when the queue restarted]. */
import { REG } from '../../arch/registers.ts';
import { expect, obj } from '../../scenario/schema.ts';
import { type WithExpect, shape } from '../../scenario/types.ts';
import { activeGerror, cmdqFields, cmdqResult } from '../exec/context.ts';
import { defineStep } from './define.ts';
import { recordLine, show } from './explain.ts';

export type AckGerrorStep = WithExpect;
declare module '../../scenario/types.ts' {
  interface StepBodies {
    readonly ack_gerror: AckGerrorStep;
  }
}

export const ackGerror = defineStep({
  kind: 'ack_gerror',
  layer: 'device',
  schema: obj({ ...expect }, [], 'acknowledge every active GERROR bit via SMMU_GERRORN'),
  shape: shape<AckGerrorStep>()(['expect'], []),
  example: 'ack_gerror: {}',
  explain: () => 'GERRORN = GERROR',
  detail: (_b, r) => [
    `GERRORN := GERROR: every active global error acknowledged (§6.3.20); active after: ${show(r['gerror'])}`,
    ...(r['executed'] !== undefined ? [`the command queue ran again: ${recordLine(r, ['executed', 'prod', 'cons', 'cerror'])}`] : []),
  ],
  run(ctx) {
    const dev = ctx.dev;
    const r = dev.writeReg(REG.GERRORN, dev.readReg(REG.GERROR));
    if (r === undefined) return { result: 'ok', fields: { gerror: activeGerror(dev) } };
    return { result: cmdqResult(r), fields: cmdqFields(dev, r) };
  },
});
