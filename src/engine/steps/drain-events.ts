/**
 * `drain_events`: consume the event queue. Nothing while events are drained after every step;
 * after `inject_fault: evtq_full`: records, overflow, prod, cons (exec/events.ts drainEventsStep).
 */
import { expect, obj } from '../../scenario/schema.ts';
import { type WithExpect, shape } from '../../scenario/types.ts';
import { drainEventsStep } from '../exec/events.ts';
import { defineStep } from './define.ts';
import { recordLine } from './explain.ts';

export type DrainEventsStep = WithExpect;
declare module '../../scenario/types.ts' {
  interface StepBodies {
    readonly drain_events: DrainEventsStep;
  }
}

export const drainEvents = defineStep({
  kind: 'drain_events',
  layer: 'device',
  schema: obj({ ...expect }, [], 'consume the event queue'),
  shape: shape<DrainEventsStep>()(['expect'], []),
  example: 'drain_events: {}',
  explain: () => 'consume the event queue',
  detail: (_b, r) => [
    `software reads EVENTQ_PROD and moves EVENTQ_CONS up to it (§3.5): ${recordLine(r, ['records', 'overflow', 'prod', 'cons']) || 'the records are drained after every step already'}`,
  ],
  run: (ctx, _b, n) => drainEventsStep(ctx, n),
});
