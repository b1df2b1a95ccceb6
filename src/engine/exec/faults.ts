/** Fault injection (`smmu.faults` at set-up, `inject_fault` steps later). */
import { emulatorOnly } from './context.ts';
import type { FaultInjection } from '../../scenario/types.ts';
import type { ExecContext } from './context.ts';
import { stopEventConsumer } from './events.ts';

export function injectFault(ctx: ExecContext, f: FaultInjection, where: string): void {
  switch (f.kind) {
    case 'ext_abort': {
      // Reads of these PAs abort from now on (contents are lost): F_WALK_EABT / F_CD_FETCH / ...
      if (f.pa === undefined) throw new RangeError(`Cannot inject ext_abort (${where}): \`pa\` is required`);
      emulatorOnly(ctx, 'ext_abort injection');
      ctx.mem.unback(f.pa, Number(f.size ?? 4096n));
      return;
    }
    case 'cmdq_stall':
      // The queue consumes `count` more commands (default 0), then stops making progress.
      emulatorOnly(ctx, 'cmdq_stall injection').cmdq.stallAfter(f.count ?? 0);
      return;
    case 'cmdq_fetch_abort':
      // The next `count` command fetches (default 1) abort: CERROR_ABT at CONS, slot untouched.
      emulatorOnly(ctx, 'cmdq_fetch_abort injection').cmdq.abortFetches(f.count ?? 1);
      return;
    case 'atc_inv_timeout':
      // No StreamID in the injection: every declared device stops completing ATS invalidations.
      for (const d of ctx.scenario.devices ?? []) emulatorOnly(ctx, 'atc_inv_timeout injection').atcInvNeverCompletes.add(Number(d.sid));
      return;
    case 'evtq_full':
      // Software stops consuming the event queue: it fills, then overflows (exec/events.ts).
      stopEventConsumer(ctx);
      return;
  }
}
