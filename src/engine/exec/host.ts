/**
 * Helpers of the host steps (src/engine/steps/: hw_info, hwpt_alloc, ..., the steps with
 * `layer: 'host'`): every host step record has errno (0 or an E-name) and result ok | error
 * (errno != 0), plus the fields of its kind (listed in each step's file). Host objects created
 * by steps are named in the scenario and resolved through the HostWorld (exec/host-world.ts).
 */
import type { StepOut } from './context.ts';

/** A uAPI call's outcome as a step outcome. */
export const res = (r: { errno: 0 | string }, fields: StepOut['fields'] = {}): StepOut => ({
  result: r.errno === 0 ? 'ok' : 'error',
  fields: { errno: r.errno, ...fields },
});

/** The value, or an executor error naming the step. */
export function need<T>(v: T | undefined, what: string, where: string): T {
  if (v === undefined) throw new RangeError(`Cannot run ${where}: ${what}`);
  return v;
}

/** The bound device id of a scenario device. */
export function devId(h: { devIds: ReadonlyMap<string, number> }, name: string, where: string): number {
  return need(h.devIds.get(name), `device "${name}" is not bound`, where);
}

/**
 * The id of a host object named by an earlier step. A name whose creation step failed stands for
 * an ID the kernel never handed out: IOMMUFD IDs are allocated below 2^31 (xa_limit_31b), so
 * 0xffff_ffff names no object and the ioctl answers -ENOENT, as it would for a stale ID.
 */
export function objId(h: { names: ReadonlyMap<string, number> }, name: string): number {
  return h.names.get(name) ?? 0xffff_ffff;
}
