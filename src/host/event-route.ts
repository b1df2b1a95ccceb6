/**
 * Which physical event records the host forwards to a vEVENTQ (arm_smmu_handle_event,
 * reference §6.7): only C_BAD_STE, F_STREAM_DISABLED, C_BAD_SUBSTREAMID, C_BAD_CD and
 * F_TRANSLATION..F_PERMISSION; only for a master with a vmaster (attached to a nested domain while
 * it has a vDEVICE on that vIOMMU); only if Stall=0 and S2=0. The forwarded record is the raw event with the
 * StreamID replaced by the vSID. Everything else is printed by the host.
 */
import { EVENT_TYPE, eventType } from '../arch/event.ts';
import { fieldValue, setFieldValue } from '../arch/fields.ts';
import { eventField } from '../linux/event-view.ts';

export const FORWARDABLE_EVENT_TYPES: ReadonlySet<number> = new Set(
  (['C_BAD_STE', 'F_STREAM_DISABLED', 'C_BAD_SUBSTREAMID', 'C_BAD_CD', 'F_TRANSLATION', 'F_ADDR_SIZE', 'F_ACCESS', 'F_PERMISSION'] as const).map(
    (n) => EVENT_TYPE[n],
  ),
);

export interface VmasterInfo {
  readonly viommuId: number;
  readonly vsid: number;
}

export type EventRoute =
  | { readonly to: 'vevent'; readonly viommuId: number; readonly data: bigint[] }
  | { readonly to: 'iopf' }
  | { readonly to: 'log'; readonly why: 'type' | 'no-master' | 'no-vmaster' | 's2' };

/**
 * `master(sid)`: undefined if no master owns the SID; else its vmaster (undefined if none).
 * Stalled events go to the IOPF path whatever the vmaster (they need a RESUME).
 */
export function routeEvent(raw: readonly bigint[], master: (sid: number) => { vmaster: VmasterInfo | undefined } | undefined): EventRoute {
  // the driver's generic view of the record (linux/event-view.ts: the same positions for every type)
  const f = (name: string): bigint => fieldValue(raw, eventField(name));
  if (!FORWARDABLE_EVENT_TYPES.has(eventType(raw))) return { to: 'log', why: 'type' };
  const stall = f('Stall') === 1n;
  const s2 = f('S2') === 1n;
  const m = master(Number(f('StreamID')));
  if (m === undefined) return { to: 'log', why: 'no-master' };
  if (stall) return { to: 'iopf' };
  if (m.vmaster === undefined) return { to: 'log', why: 'no-vmaster' };
  if (s2) return { to: 'log', why: 's2' };
  const data = [0, 1, 2, 3].map((i) => raw[i] ?? 0n);
  setFieldValue(data, eventField('StreamID'), BigInt(m.vmaster.vsid));
  return { to: 'vevent', viommuId: m.vmaster.viommuId, data };
}
