/**
 * `guest_cmdq`: the guest writes commands into its CMDQ ring and rings CMDQ_PROD (exec/guest.ts).
 * Record: commands, prod, cons, cerror, gerror, forwarded, hung [+ timeout_cons] (current uAPI);
 * errno, issued (rfc-2023). result ok | fault (CERROR) | stall (guest CMD_SYNC never completes) | error.
 */
import { arrayOf, bool, expect, obj, ref } from '../../scenario/schema.ts';
import { type Command, type WithExpect, shape } from '../../scenario/types.ts';
import { guestCmdqStep } from '../exec/guest.ts';
import { defineStep } from './define.ts';
import { recordLine } from './explain.ts';

export interface GuestCmdqStep extends WithExpect {
  readonly commands?: readonly Command[];
  /** Guest driver error handling first: rewrite the slot at CONS to CMD_SYNC, then GERRORN = GERROR. */
  readonly ack_gerror?: boolean;
}
declare module '../../scenario/types.ts' {
  interface StepBodies {
    readonly guest_cmdq: GuestCmdqStep;
  }
}

export const guestCmdq = defineStep({
  kind: 'guest_cmdq',
  layer: 'host',
  schema: obj(
    { commands: arrayOf(ref('command')), ack_gerror: bool('guest driver first rewrites the slot at CONS to CMD_SYNC and writes GERRORN = GERROR'), ...expect },
    [],
    'the guest writes commands into its CMDQ ring and rings CMDQ_PROD',
  ),
  shape: shape<GuestCmdqStep>()(['commands', 'ack_gerror', 'expect'], []),
  example: 'guest_cmdq: { commands: [ { op: CFGI_STE, device: nic }, { op: SYNC } ] }',
  explain: (b) => `${b.ack_gerror === true ? 'ack GERROR, then ' : ''}${(b.commands ?? []).map((c) => c.op ?? 'raw').join(', ') || 'no commands'}`,
  detail: (b, r) => [
    `the guest writes ${(b.commands ?? []).length} command(s) into its own CMDQ and writes its CMDQ_PROD; the VMM traps the write and forwards what it may (guest_cmdq): ${recordLine(r, ['errno', 'forwarded', 'prod', 'cons', 'cerror', 'gerror', 'hung', 'issued'])}`,
  ],
  refs(b, t, at) {
    if (t.scenario.guest === undefined) t.report('CONFLICT', at, 'Step "guest_cmdq" needs a top-level `guest:`');
    t.checkCommands(b.commands ?? [], at, false);
  },
  run: (ctx, h, b, _n, where) => guestCmdqStep(ctx, h, b.commands ?? [], b.ack_gerror === true, where),
});
