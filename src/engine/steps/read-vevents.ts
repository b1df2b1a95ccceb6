/** `read_vevents`: read() the vEVENTQ fd. Record: errno, records, bytes; the records go to guest_events (source veventq). */
import { VEVENTQ_FLAG_LOST_EVENTS } from '../../host/veventq.ts';
import { expect, int, name, obj } from '../../scenario/schema.ts';
import { type WithExpect, shape } from '../../scenario/types.ts';
import type { EventRecord } from '../../scenario/observation.ts';
import { eventRecord } from '../exec/events.ts';
import { objId, res } from '../exec/host.ts';
import { defineStep } from './define.ts';
import { uapiLine } from './explain.ts';

export interface ReadVeventsStep extends WithExpect {
  readonly veventq: string;
  readonly buf_len?: number;
}
declare module '../../scenario/types.ts' {
  interface StepBodies {
    readonly read_vevents: ReadVeventsStep;
  }
}

export const readVevents = defineStep({
  kind: 'read_vevents',
  layer: 'host',
  schema: obj(
    { veventq: name, buf_len: int(0, 1 << 20, 'read() buffer size (default 1 MiB)'), ...expect },
    ['veventq'],
    'read() the vEVENTQ fd; records go to guest_events (source veventq)',
  ),
  shape: shape<ReadVeventsStep>()(['veventq', 'buf_len', 'expect'], ['veventq']),
  example: 'read_vevents: { veventq: evq }',
  explain: (b) => `${b.veventq} buf_len ${b.buf_len ?? 1 << 20}`,
  detail: (b, r) => [uapiLine(`read() of the vEVENTQ ${b.veventq} (struct iommufd_vevent_header + the 4-dword event record each)`, r, ['records', 'bytes'])],
  refs: (b, t, at) => t.ref(t.objects('veventq'), 'vEVENTQ', b.veventq, [...at, 'veventq']),
  run(_ctx, h, b, n, _where) {
    const r = h.fd.readVeventq(objId(h, b.veventq), b.buf_len ?? 1 << 20);
    if (r.errno !== 0) return res(r);
    for (const rec of r.records) {
      const lost = (rec.flags & VEVENTQ_FLAG_LOST_EVENTS) !== 0;
      if (rec.data === undefined) h.guestEvents.push({ step: n, type: 'LOST_EVENTS', source: 'veventq', seq: rec.sequence, lost });
      else h.guestEvents.push({ ...eventRecord(n, rec.data), source: 'veventq', seq: rec.sequence, lost } as EventRecord);
    }
    return res(r, { records: r.records.length, bytes: r.bytes });
  },
});
