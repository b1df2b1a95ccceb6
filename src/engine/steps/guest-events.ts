/**
 * `guest_events`: the VMM moves vEVENTQ records into the guest EVTQ; the guest reads them.
 * Record: written, lost, evtq_prod, evtq_cons; records → guest_events (source guest_evtq).
 */
import { expect, obj } from '../../scenario/schema.ts';
import { type WithExpect, shape } from '../../scenario/types.ts';
import { guestEventsStep } from '../exec/guest.ts';
import { defineStep } from './define.ts';
import { recordLine } from './explain.ts';

export type GuestEventsStep = WithExpect;
declare module '../../scenario/types.ts' {
  interface StepBodies {
    readonly guest_events: GuestEventsStep;
  }
}

export const guestEvents = defineStep({
  kind: 'guest_events',
  layer: 'host',
  schema: obj({ ...expect }, [], 'the VMM moves vEVENTQ records into the guest EVTQ; the guest reads them (guest_events)'),
  shape: shape<GuestEventsStep>()(['expect'], []),
  example: 'guest_events: {}',
  explain: () => 'forward vEVENTQ records to the guest EVTQ',
  detail: (_b, r) => [
    `the VMM writes vEVENTQ records into the guest EVTQ and moves its EVENTQ_PROD: ${recordLine(r, ['written', 'lost', 'evtq_prod', 'evtq_cons'])}`,
  ],
  refs(_b, t, at) {
    if (t.scenario.guest === undefined) t.report('CONFLICT', at, 'Step "guest_events" needs a top-level `guest:`');
  },
  run: (ctx, h, _b, n) => guestEventsStep(ctx, h, n),
});
