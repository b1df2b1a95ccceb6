/**
 * The objects of the IOMMUFD-like model (Iommufd in iommufd.ts): what the caller describes
 * (SMMUs, devices) and what the ioctls create (HWPTs, vIOMMUs, vDEVICEs, vEVENTQs).
 */
import type { SmmuFeatures } from './features.ts';
import type { LogEra } from '../linux/messages.ts';
import type { PageTableBuilder } from '../pgtable/builder.ts';
import type { HostSmmuPort } from './port.ts';
import type { S2Config } from './ste-build.ts';
import type { VEventQueue } from './veventq.ts';

export interface HostSmmuSpec {
  readonly name: string;
  readonly port: HostSmmuPort;
  /** Linux on a VHE host (STRW=EL2 for S1 STEs). */
  readonly e2h?: boolean;
  /** `hisilicon,broken-prefetch-cmd`: no PREFETCH_CONFIG after STE writes. */
  readonly brokenPrefetch?: boolean;
  /** The `disable_msipolling` module parameter: CMD_SYNC completion by CS=SEV and CONS polling. */
  readonly disableMsipolling?: boolean;
}

export interface HostDeviceSpec {
  /** Device name as the kernel prints it (PCI BDF such as 0000:01:00.0). */
  readonly name: string;
  /** Index into the SMMU list. */
  readonly smmu: number;
  readonly sids: readonly number[];
  readonly ats?: boolean;
  readonly stallEnabled?: boolean;
  /** Fully coherent, no cache maintenance ever needed (CANWBS). */
  readonly canwbs?: boolean;
  /** PASID width the device supports. */
  readonly pasidBits?: number;
}

export interface IommufdOptions {
  readonly smmus: readonly HostSmmuSpec[];
  readonly devices: readonly HostDeviceSpec[];
  readonly era?: LogEra;
  /** Linux behaviour is false (see invalidate.ts). */
  readonly flushPendingOnError?: boolean;
  readonly pollBudget?: number;
}

export interface SmmuState {
  spec: HostSmmuSpec;
  f: SmmuFeatures;
  vmids: Set<number>;
}
export interface DeviceObj {
  kind: 'device';
  id: number;
  spec: HostDeviceSpec;
  hwpt: number | undefined;
  pasids: number;
  vmaster: { viommuId: number; vsid: number } | undefined;
  vdevice: number | undefined;
  atsOn: boolean;
}
export interface PagingObj {
  kind: 'hwpt_paging';
  id: number;
  smmu: number;
  nestParent: boolean;
  s2: S2Config | undefined;
  users: number;
  /** The stage-2 tables, when the caller handed them over (setParentTables). */
  tables?: PageTableBuilder;
}
export interface ViommuObj {
  kind: 'viommu';
  id: number;
  smmu: number;
  parent: number;
  vmid: number;
  vdevs: Map<number, number>;
  veventqs: Map<number, number>;
  users: number;
}
export interface VdeviceObj {
  kind: 'vdevice';
  id: number;
  viommu: number;
  dev: number;
  virtId: number;
}
export interface NestedObj {
  kind: 'hwpt_nested';
  id: number;
  viommu: number;
  ste: [bigint, bigint];
  enableAts: boolean;
  users: number;
}
export interface VeventqObj {
  kind: 'veventq';
  id: number;
  viommu: number;
  q: VEventQueue;
}
export type Obj = DeviceObj | PagingObj | ViommuObj | VdeviceObj | NestedObj | VeventqObj;

/** VTCR Linux would program for an S2 table covering the SMMU's IAS with a 4K granule. */
export function defaultVtcr(f: SmmuFeatures): S2Config['vtcr'] {
  const ias = f.ias;
  // 4K granule, up to 16 concatenated start-level tables: SL0 2 = level 0, 1 = level 1, 0 = level 2
  const sl = ias > 43 ? 2 : ias > 34 ? 1 : 0;
  return { tsz: 64 - ias, sl, irgn: 1, orgn: 1, sh: 3, tg: 0, ps: f.oasEnc };
}

/** The object table: IDs from one counter starting at 1, typed lookups. */
export class ObjectStore {
  readonly #objs = new Map<number, Obj>();
  #next = 1;

  get<K extends Obj['kind']>(id: number, kind: K): Extract<Obj, { kind: K }> | undefined {
    const o = this.#objs.get(id);
    return o !== undefined && o.kind === kind ? (o as Extract<Obj, { kind: K }>) : undefined;
  }
  raw(id: number): Obj | undefined {
    return this.#objs.get(id);
  }
  add<T extends Obj>(mk: (id: number) => T): T {
    const o = mk(this.#next++);
    this.#objs.set(o.id, o);
    return o;
  }
  delete(id: number): void {
    this.#objs.delete(id);
  }
  /** All objects in ID order (deterministic). */
  values(): Obj[] {
    return [...this.#objs.values()].sort((a, b) => a.id - b.id);
  }
  /** The device object owning `sid` behind SMMU `smmu`. */
  deviceBySid(smmu: number, sid: number): DeviceObj | undefined {
    for (const o of this.values()) if (o.kind === 'device' && o.spec.smmu === smmu && o.spec.sids.includes(sid)) return o;
    return undefined;
  }
}
