/**
 * `cmdq`: submit a batch of commands. Record: commands, executed, prod, cons, cerror, gerror
 * (active bit names); result ok (drained), fault (CERROR raised), stall (queue stopped: injected
 * stall). cons shows CONS.ERR only while GERROR.CMDQ_ERR is active (UNKNOWN otherwise, §6.3.28).
 */
import { REG } from '../../arch/registers.ts';
import { arrayOf, bool, expect, int, obj, ref } from '../../scenario/schema.ts';
import { type Command, type WithExpect, shape } from '../../scenario/types.ts';
import { restartCmdqAt } from '../../smmu/boot.ts';
import { SYNC, encodeScenarioCommand } from '../exec/commands.ts';
import { submitOut } from '../exec/context.ts';
import { defineStep } from './define.ts';
import { recordLine } from './explain.ts';

export interface CmdqStep extends WithExpect {
  readonly commands: readonly Command[];
  readonly sync?: boolean;
  /** Ring index of the first command (CMD_SYNCs are queued before it until PROD reaches it). */
  readonly index?: number;
  /** With index: false restarts the queue at the index instead of queueing CMD_SYNCs (default true). */
  readonly filler?: boolean;
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
      index: int(0, 2 ** 19 - 1, 'ring index of the first command: CMD_SYNCs (CS=none) are queued before it until PROD reaches it'),
      filler: bool(
        'with index: queue CMD_SYNCs (CS=none) until PROD reaches the index (default true); false: software disables the queue (CR0.CMDQEN=0), writes CMDQ_CONS = CMDQ_PROD = the index and enables it again, discarding what it held (§6.3.28)',
      ),
      ...expect,
    },
    ['commands'],
    'submit a batch of commands on the command queue',
  ),
  shape: shape<CmdqStep>()(['commands', 'sync', 'index', 'filler', 'expect'], ['commands']),
  example: 'cmdq: { commands: [ { op: CFGI_STE, device: nic, leaf: true } ], sync: true }',
  explain: (b) =>
    (b.index !== undefined ? `at index ${b.index}${b.filler === false ? ' (queue restarted there)' : ''}: ` : '') +
    [...b.commands.map((c) => c.op ?? 'raw'), ...(b.sync === true ? ['CMD_SYNC'] : [])].join(', '),
  detail: (b, r) => [
    `${b.commands.length} command(s)${b.sync === true ? ' + CMD_SYNC' : ''} written to the ring from ${b.index === undefined ? 'PROD' : b.filler === false ? `index ${b.index} (queue disabled, CONS = PROD = ${b.index}, enabled again)` : `index ${b.index} (CMD_SYNC fillers before it)`}, then SMMU_CMDQ_PROD written (§3.5): ${recordLine(r, ['executed', 'prod', 'cons', 'cerror', 'gerror'])}`,
  ],
  refs: (b, t, at) => t.checkCommands(b.commands, at, true),
  run(ctx, c, _n, where) {
    let cmds: (readonly bigint[])[] = c.commands.map((cmd, i) => encodeScenarioCommand(ctx.scenario, cmd, `${where} command ${i + 1}`));
    if (c.index !== undefined) {
      const ptr = ctx.dev.cmdq.ptr();
      const at = c.index % ptr.size;
      const prod = ctx.dev.readReg(REG.CMDQ_PROD);
      if (c.filler === false) {
        // Restart the queue at the index (keeping PROD's wrap bit): no commands before it.
        restartCmdqAt(ctx.dev, at + ptr.wrap(prod) * ptr.size);
      } else {
        // Software can only write at PROD: to place the first command at ring index `index`, queue
        // CMD_SYNCs (CS=none, no side effect) until PROD gets there (§3.5: the ring wraps).
        const pad = (at - ptr.index(prod) + ptr.size) % ptr.size;
        // (concat, not unshift(...): up to 2^19 - 1 fillers would overflow the call stack as
        // arguments; the fillers share the one read-only SYNC, as submitCommands only reads them)
        cmds = new Array<readonly bigint[]>(pad).fill(SYNC).concat(cmds);
      }
    }
    if (c.sync === true) cmds.push(SYNC);
    const o = submitOut(ctx, cmds);
    return { result: o.result, fields: { commands: cmds.length, ...o.fields } };
  },
});
