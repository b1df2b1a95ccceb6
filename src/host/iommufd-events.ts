/**
 * The vEVENTQ ioctls and the host's event thread (reference §6.7): a physical event record is
 * forwarded to the vIOMMU's vEVENTQ (event-route.ts decides), handed to IOPF (stall), or printed
 * in the kernel's format. Successfully queued events are not printed; a forwardable event with no
 * vEVENTQ of the type is (the report fails with EOPNOTSUPP in Linux).
 */
import { routeEvent } from './event-route.ts';
import type { ObjectStore, VeventqObj } from './iommufd-objects.ts';
import { fieldValue } from '../arch/fields.ts';
import { eventField } from '../linux/event-view.ts';
import { EVENT_LOG_LEVEL, formatEventLog, type LogEra } from '../linux/messages.ts';
import type { Result } from './uapi.ts';
import { VEVENTQ_TYPE_ARM_SMMUV3, VEventQueue, type VEventRecord } from './veventq.ts';

export type EventOutcome = 'vevent' | 'lost' | 'iopf' | 'logged';

const fail = (errno: 'EOPNOTSUPP' | 'EINVAL' | 'ENOENT' | 'EEXIST', reason: string): { errno: typeof errno; reason: string } => ({ errno, reason });

/** IOMMU_VEVENTQ_ALLOC: one queue per type per vIOMMU. */
export function allocVeventq(store: ObjectStore, a: { viommuId: number; type: number; depth: number; flags?: number }): Result<{ veventqId: number }> {
  if ((a.flags ?? 0) !== 0 || a.type === 0) return fail('EOPNOTSUPP', 'vEVENTQ flags must be 0 and type non-default');
  if (a.depth === 0) return fail('EINVAL', 'veventq_depth is 0');
  const v = store.get(a.viommuId, 'viommu');
  if (!v) return fail('ENOENT', `no vIOMMU ${a.viommuId}`);
  if (v.veventqs.has(a.type)) return fail('EEXIST', `vIOMMU already has a vEVENTQ of type ${a.type}`);
  const o = store.add((id): VeventqObj => ({ kind: 'veventq', id, viommu: v.id, q: new VEventQueue(a.type, a.depth) }));
  v.veventqs.set(a.type, o.id);
  v.users++;
  return { errno: 0, veventqId: o.id };
}

export function readVeventq(store: ObjectStore, id: number, bufLen: number): Result<{ records: VEventRecord[]; bytes: number }> {
  const q = store.get(id, 'veventq');
  if (!q) return fail('ENOENT', `no vEVENTQ ${id}`);
  return { errno: 0, ...q.q.read(bufLen) };
}

export function handleEvent(
  store: ObjectStore,
  smmu: number,
  raw: readonly bigint[],
  era: LogEra,
  log: (level: 'err' | 'info', line: string) => void,
): EventOutcome {
  const route = routeEvent(raw, (sid) => {
    const d = store.deviceBySid(smmu, sid);
    return d ? { vmaster: d.vmaster } : undefined;
  });
  if (route.to === 'vevent') {
    const v = store.get(route.viommuId, 'viommu');
    const qid = v?.veventqs.get(VEVENTQ_TYPE_ARM_SMMUV3);
    const q = qid !== undefined ? store.get(qid, 'veventq') : undefined;
    if (q) return q.q.report(route.data) === 'queued' ? 'vevent' : 'lost';
  }
  if (route.to === 'iopf') return 'iopf';
  const client = store.deviceBySid(smmu, Number(fieldValue(raw, eventField('StreamID'))))?.spec.name;
  for (const line of formatEventLog(raw, { era, client })) log(EVENT_LOG_LEVEL[era], line);
  return 'logged';
}
