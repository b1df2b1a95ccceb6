/**
 * `cmdq`: submit a batch of commands. Record: commands, executed, prod, cons, cerror, gerror
 * (active bit names); result ok (drained), fault (CERROR raised), stall (queue stopped: injected
 * stall). cons shows CONS.ERR only while GERROR.CMDQ_ERR is active (UNKNOWN otherwise, §6.3.28).
 */
import { arrayOf, bool, expect, obj, ref } from '../../scenario/schema.ts';
import { type Command, type WithExpect, shape } from '../../scenario/types.ts';
import { SYNC, encodeScenarioCommand } from '../exec/commands.ts';
import { submitOut } from '../exec/context.ts';
import { defineStep } from './define.ts';

export interface CmdqStep extends WithExpect {
  readonly commands: readonly Command[];
  readonly sync?: boolean;
}
declare module '../../scenario/types.ts' {
  interface StepBodies {
    readonly cmdq: CmdqStep;
  }
}

export const cmdq = defineStep({
  kind: 'cmdq',
  layer: 'device',
  schema: obj(
    {
      commands: arrayOf(ref('command'), { minItems: 1 }),
      sync: bool('append a CMD_SYNC after the commands (default false: the queue gets exactly the listed commands)'),
      ...expect,
    },
    ['commands'],
    'submit a batch of commands on the command queue',
  ),
  shape: shape<CmdqStep>()(['commands', 'sync', 'expect'], ['commands']),
  example: 'cmdq: { commands: [ { op: CFGI_STE, device: nic, leaf: true } ], sync: true }',
  explain: (b) => [...b.commands.map((c) => c.op ?? 'raw'), ...(b.sync === true ? ['CMD_SYNC'] : [])].join(', '),
  refs: (b, t, at) => t.checkCommands(b.commands, at, true),
  run(ctx, c, _n, where) {
    const cmds = c.commands.map((cmd, i) => encodeScenarioCommand(ctx.scenario, cmd, `${where} command ${i + 1}`));
    if (c.sync === true) cmds.push([...SYNC]);
    const o = submitOut(ctx, cmds);
    return { result: o.result, fields: { commands: cmds.length, ...o.fields } };
  },
});
