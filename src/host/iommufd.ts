/**
 * IOMMUFD-like object model over one or more SMMUs (reference §6): hw_info, nest-parent HWPT,
 * vIOMMU, vDEVICE, nested HWPT (guest STE), attach (physical STE built Linux's way and written
 * with the hitless algorithm), S2 unmap invalidation, vIOMMU cache invalidation, vEVENTQ and
 * the host's event handling. Errors are returned as errno names, never thrown.
 *
 * Object IDs come from one counter starting at 1 (devices are bound first, in the given order).
 * Stage-2 tables come from src/pgtable: `setParentTables(id, builder)` makes the parent's STEs
 * follow them and enables s2Map/s2Unmap (or set VTTBR/VTCR directly with `setParentPgtable`).
 * Split: uapi.ts (constants, hw_info layout), iommufd-objects.ts (object table),
 * iommufd-events.ts (vEVENTQ, event thread), iommufd-s2.ts (stage-2 tables).
 */
import { dwordsFromBytes } from '../arch/dwords.ts';
import { EVENTQ_CONS, EVENTQ_PROD, REG } from '../arch/registers.ts';
import { STE } from '../arch/ste.ts';
import { CFG } from './masks.ts';
import { type DriverIssueResult, driverIssue, type HostLogSink } from './driver-cmdq.ts';
import { formatEvtqOverflow } from '../linux/messages.ts';
import { planSteWrite, steWriteBatches } from './entry-sync.ts';
import { type SmmuFeatures, probeFeatures } from './features.ts';
import { type InvalidateArgs, type InvalidateResult, invalidatePrecheck, invalidateViommu } from './invalidate.ts';
import { cmdAtcInvAll, cmdSync } from './commands.ts';
import { s2UnmapBatches } from './s2-inval.ts';
import { atsSidsUsing, s2Map, s2UnmapTables, setParentPgtable, setParentTables } from './iommufd-s2.ts';
import type { LeafAttrs, PageTableBuilder } from '../pgtable/builder.ts';
import { type HostFeatures, type MasterFlags, type S2Config, makeAbortSte, makeNestedSte, makeS2Ste } from './ste-build.ts';
import type { VEventRecord } from './veventq.ts';
import { type EventOutcome, allocVeventq, handleEvent, readVeventq } from './iommufd-events.ts';
import {
  type Errno,
  HWPT_ALLOC_DIRTY_TRACKING,
  HWPT_ALLOC_NEST_PARENT,
  HWPT_ALLOC_PASID,
  HWPT_DATA_ARM_SMMUV3,
  HW_INFO_ARM_SMMUV3_SIZE,
  HW_INFO_TYPE_ARM_SMMUV3,
  type Result,
  VIOMMU_TYPE_ARM_SMMUV3,
  hwInfoBytes,
} from './uapi.ts';
import { validateVste } from './vste.ts';
import {
  type DeviceObj,
  type IommufdOptions,
  type NestedObj,
  ObjectStore,
  type PagingObj,
  type SmmuState,
  type VdeviceObj,
  type ViommuObj,
  defaultVtcr,
} from './iommufd-objects.ts';

export type { HostDeviceSpec, HostSmmuSpec, IommufdOptions } from './iommufd-objects.ts';

export * from './uapi.ts';

const fail = (errno: Errno, reason: string): { errno: Errno; reason: string } => ({ errno, reason });

export interface HostLogLine {
  readonly level: 'err' | 'warn' | 'info';
  readonly line: string;
}

/** One pass of an STE update (write-entry.ts step), reported after its CFGI_STE + CMD_SYNC. */
export type SteStepHook = (step: { sid: number; index: number; dwords: bigint[] }) => void;
export interface SteWriteOptions {
  /** Called after every written pass of every SID's update (0-based index per SID). */
  readonly onStep?: SteStepHook;
}

export class Iommufd {
  readonly log: HostLogLine[] = [];
  readonly #smmus: SmmuState[];
  readonly #store = new ObjectStore();
  readonly #opts: IommufdOptions;
  readonly #sink: HostLogSink = (level, line) => this.log.push({ level, line });

  constructor(o: IommufdOptions) {
    this.#opts = o;
    this.#smmus = o.smmus.map((spec) => ({ spec, f: probeFeatures(spec.port.idRegs()), vmids: new Set<number>() }));
    for (const d of o.devices) {
      if (this.#smmus[d.smmu] === undefined) throw new RangeError(`Cannot bind device "${d.name}": no SMMU ${d.smmu}`);
      this.#store.add((id): DeviceObj => ({ kind: 'device', id, spec: d, hwpt: undefined, pasids: 0, vmaster: undefined, vdevice: undefined, atsOn: false }));
      // Binding claims DMA ownership, which attaches the blocking domain (iommu_device_claim_dma_owner):
      // a bound device starts at the abort STE (arm_smmu_make_abort_ste: V=1, Config=0), not V=0.
      // Stored without commands, as the stream table is initialised with abort STEs before SMMUEN
      // (arm_smmu_init_initial_stes), so the CMDQ indices of the scenario are unchanged.
      for (const sid of d.sids) this.#smmu(d.smmu).spec.port.installSte(sid, makeAbortSte());
    }
  }

  deviceId(name: string): number | undefined {
    for (const o of this.#store.values()) if (o.kind === 'device' && o.spec.name === name) return o.id;
    return undefined;
  }
  features(smmu: number): SmmuFeatures | undefined {
    return this.#smmus[smmu]?.f;
  }

  #smmu(i: number): SmmuState {
    const s = this.#smmus[i];
    if (s === undefined) throw new RangeError(`no SMMU ${i}`);
    return s;
  }

  /** IOMMU_GET_HW_INFO: raw IDR0-5/IIDR/AIDR in a 40-byte struct; larger buffers zero-filled. */
  getHwInfo(
    devId: number,
    a: { dataLen: number; flags?: number; inDataType?: number },
  ): Result<{ outDataType: number; dataLen: number; data: Uint8Array; maxPasidLog2: number; capabilities: bigint }> {
    const flags = a.flags ?? 0;
    if ((flags & ~1) !== 0) return fail('EOPNOTSUPP', `unsupported hw_info flags 0x${flags.toString(16)}`);
    const dev = this.#store.get(devId, 'device');
    if (!dev) return fail('ENOENT', `no device object ${devId}`);
    // IOMMU_HW_INFO_FLAG_INPUT_TYPE: only DEFAULT (0) or ARM_SMMUV3 (2) can be asked of this driver
    const inType = (flags & 1) !== 0 ? (a.inDataType ?? 0) : 0;
    if (inType !== 0 && inType !== HW_INFO_TYPE_ARM_SMMUV3) return fail('EOPNOTSUPP', `hw_info type ${inType} not provided by SMMUv3`);
    const s = this.#smmu(dev.spec.smmu);
    const data = hwInfoBytes(s.spec.port.idRegs(), a.dataLen);
    return {
      errno: 0,
      outDataType: HW_INFO_TYPE_ARM_SMMUV3,
      dataLen: HW_INFO_ARM_SMMUV3_SIZE,
      data,
      maxPasidLog2: Math.min(s.f.ssidBits, dev.spec.pasidBits ?? 0),
      capabilities: s.f.httuDirty ? 1n : 0n,
    };
  }

  /** HWPT_ALLOC on an IOAS: a paging domain; NEST_PARENT makes it the S2 of future vIOMMUs. */
  allocPagingHwpt(devId: number, a: { flags: number; dataLen?: number }): Result<{ hwptId: number; vmid: number | undefined }> {
    const dev = this.#store.get(devId, 'device');
    if (!dev) return fail('ENOENT', `no device object ${devId}`);
    const s = this.#smmu(dev.spec.smmu);
    const known = HWPT_ALLOC_NEST_PARENT | HWPT_ALLOC_DIRTY_TRACKING | HWPT_ALLOC_PASID;
    if ((a.flags & ~known) !== 0) return fail('EOPNOTSUPP', `unsupported HWPT flags 0x${a.flags.toString(16)}`);
    if ((a.dataLen ?? 0) !== 0) return fail('EOPNOTSUPP', 'paging HWPTs take no driver data');
    const nestParent = a.flags === HWPT_ALLOC_NEST_PARENT;
    if ((a.flags & HWPT_ALLOC_NEST_PARENT) !== 0 && !nestParent) return fail('EOPNOTSUPP', 'NEST_PARENT cannot be combined with other flags');
    if (nestParent && !s.f.nesting) return fail('EOPNOTSUPP', s.f.s1p && s.f.s2p ? 'nesting disabled by an IIDR erratum' : 'SMMU lacks S1P or S2P');
    let vmid: number | undefined;
    let s2: S2Config | undefined;
    if (nestParent || !s.f.s1p) {
      // ida_alloc_range(1, 2^vmid_bits - 1): VMID 0 stays for S1-only/bypass STEs
      const max = (1 << s.f.vmidBits) - 1;
      for (let v = 1; v <= max; v++)
        if (!s.vmids.has(v)) {
          vmid = v;
          break;
        }
      if (vmid === undefined) return fail('ENOSPC', 'no free VMID');
      s.vmids.add(vmid);
      s2 = { vmid, vttbr: 0n, vtcr: defaultVtcr(s.f), s2fwb: nestParent && s.f.fwb };
    }
    const o = this.#store.add((id): PagingObj => ({ kind: 'hwpt_paging', id, smmu: dev.spec.smmu, nestParent, s2, users: 0 }));
    return { errno: 0, hwptId: o.id, vmid };
  }

  /** Set the S2 table base / VTCR of a stage-2 HWPT (from the page-table builder). */
  setParentPgtable(hwptId: number, pg: { vttbr: bigint; vtcr?: S2Config['vtcr'] }): Result {
    return setParentPgtable(this.#store, hwptId, pg);
  }

  /** Hand the stage-2 tables of a HWPT to the host: VTTBR/VTCR follow them; enables s2Map/s2Unmap. */
  setParentTables(hwptId: number, tables: PageTableBuilder): Result {
    return setParentTables(this.#store, hwptId, tables);
  }

  /** IOMMU_IOAS_MAP as seen by one stage-2 HWPT: write the mapping into its tables. */
  s2Map(hwptId: number, iova: bigint, pa: bigint, size: bigint, attrs: LeafAttrs = {}): Result {
    return s2Map(this.#store, hwptId, iova, pa, size, attrs);
  }

  /** IOMMU_IOAS_UNMAP on one stage-2 HWPT: clear the tables, then s2UnmapInvalidate. `granule`: unmapped leaf size. */
  s2Unmap(hwptId: number, iova: bigint, size: bigint, granule?: bigint): Result<{ batches: bigint[][][] }> {
    const r = s2UnmapTables(this.#store, hwptId, iova, size);
    if (r.errno !== 0) return r;
    return this.s2UnmapInvalidate(hwptId, iova, size, granule ?? r.leaf, Math.log2(Number(r.granule)));
  }

  /** IOMMU_VIOMMU_ALLOC. */
  allocViommu(a: { devId: number; hwptId: number; type: number; flags?: number }): Result<{ viommuId: number }> {
    if ((a.flags ?? 0) !== 0 || a.type === 0) return fail('EOPNOTSUPP', 'vIOMMU flags must be 0 and type non-default');
    const dev = this.#store.get(a.devId, 'device');
    if (!dev) return fail('ENOENT', `no device object ${a.devId}`);
    const s = this.#smmu(dev.spec.smmu);
    if (a.type !== VIOMMU_TYPE_ARM_SMMUV3) return fail('EOPNOTSUPP', `vIOMMU type ${a.type} not supported by this SMMU`);
    if (!s.f.nesting) return fail('EOPNOTSUPP', 'SMMU does not support nesting');
    if (s.f.cmdqForceSync) return fail('EOPNOTSUPP', 'CMDQ_FORCE_SYNC erratum');
    if (!dev.spec.canwbs && !s.f.fwb) return fail('EOPNOTSUPP', 'device is not CANWBS and the SMMU lacks S2FWB');
    const p = this.#store.get(a.hwptId, 'hwpt_paging');
    if (!p) return fail('ENOENT', `no paging HWPT ${a.hwptId}`);
    if (!p.nestParent || p.s2 === undefined) return fail('EINVAL', `HWPT ${a.hwptId} is not a NEST_PARENT`);
    if (p.smmu !== dev.spec.smmu) return fail('EINVAL', 'nest parent belongs to another SMMU');
    p.users++;
    const o = this.#store.add(
      (id): ViommuObj => ({
        kind: 'viommu',
        id,
        smmu: p.smmu,
        parent: p.id,
        vmid: p.s2?.vmid ?? 0,
        vdevs: new Map(),
        veventqs: new Map(),
        users: 0,
      }),
    );
    return { errno: 0, viommuId: o.id };
  }

  /** IOMMU_VDEVICE_ALLOC: virt_id is the guest's vSID. */
  allocVdevice(a: { viommuId: number; devId: number; virtId: number }): Result<{ vdeviceId: number }> {
    const v = this.#store.get(a.viommuId, 'viommu');
    if (!v) return fail('ENOENT', `no vIOMMU ${a.viommuId}`);
    const dev = this.#store.get(a.devId, 'device');
    if (!dev) return fail('ENOENT', `no device object ${a.devId}`);
    if (dev.spec.smmu !== v.smmu) return fail('EINVAL', 'device is behind another SMMU');
    if (dev.vdevice !== undefined) return fail('EEXIST', `device already has vDEVICE ${dev.vdevice}`);
    if (v.vdevs.has(a.virtId)) return fail('EEXIST', `virt_id 0x${a.virtId.toString(16)} already in use`);
    const o = this.#store.add((id): VdeviceObj => ({ kind: 'vdevice', id, viommu: v.id, dev: dev.id, virtId: a.virtId }));
    v.vdevs.set(a.virtId, o.id);
    v.users++;
    dev.vdevice = o.id;
    return { errno: 0, vdeviceId: o.id };
  }

  /**
   * HWPT_ALLOC with pt_id = vIOMMU: a nested HWPT from a guest STE (iommu_hwpt_arm_smmuv3
   * { le64 ste[2] }). `viommuId` is the ioctl's pt_id: a nested HWPT there is EINVAL, and a
   * paging HWPT EOPNOTSUPP (SMMUv3 nests only on a vIOMMU).
   */
  allocNestedHwpt(a: { devId: number; viommuId: number; flags?: number; dataType: number; data: Uint8Array }): Result<{ hwptId: number }> {
    const dev = this.#store.get(a.devId, 'device');
    if (!dev) return fail('ENOENT', `no device object ${a.devId}`);
    const pt = this.#store.raw(a.viommuId);
    if (pt === undefined) return fail('ENOENT', `no object ${a.viommuId}`);
    if (pt.kind === 'hwpt_paging') return fail('EOPNOTSUPP', 'SMMUv3 has no nested-on-HWPT path: allocate on a vIOMMU');
    if (pt.kind !== 'viommu') return fail('EINVAL', `object ${a.viommuId} cannot host a nested HWPT`);
    const v = pt;
    if ((a.flags ?? 0) !== 0) return fail('EOPNOTSUPP', 'nested HWPT flags must be 0');
    if (a.dataType !== HWPT_DATA_ARM_SMMUV3) return fail('EINVAL', `data_type ${a.dataType} is not IOMMU_HWPT_DATA_ARM_SMMUV3 (2)`);
    if (a.data.length < 16) return fail('EINVAL', `data_len ${a.data.length} is shorter than 16`);
    for (let i = 16; i < a.data.length; i++) if (a.data[i] !== 0) return fail('E2BIG', `non-zero byte ${i} beyond ste[2]`);
    const r = validateVste(dwordsFromBytes(a.data, 2));
    if (!r.ok) return fail(r.errno, r.reason);
    v.users++;
    const o = this.#store.add((id): NestedObj => ({ kind: 'hwpt_nested', id, viommu: v.id, ste: r.ste, enableAts: r.enableAts, users: 0 }));
    return { errno: 0, hwptId: o.id };
  }

  #flags(s: SmmuState): HostFeatures {
    return { stalls: s.f.stalls, attrTypesOvr: s.f.attrTypesOvr, e2h: (s.spec.e2h ?? false) && s.f.hyp };
  }

  /** Attach a device to a paging (S2) or nested HWPT: builds and writes the physical STE of each SID. */
  attach(devId: number, hwptId: number, opts: SteWriteOptions = {}): Result<{ syncs: number; ste: bigint[] }> {
    const dev = this.#store.get(devId, 'device');
    if (!dev) return fail('ENOENT', `no device object ${devId}`);
    const s = this.#smmu(dev.spec.smmu);
    const obj = this.#store.raw(hwptId);
    let target: bigint[];
    let vmaster: DeviceObj['vmaster'];
    let atsOn = false;
    if (obj?.kind === 'hwpt_paging') {
      if (obj.smmu !== dev.spec.smmu) return fail('EINVAL', 'HWPT belongs to another SMMU');
      if (!obj.s2) return fail('EOPNOTSUPP', 'stage-1 paging domains are not modelled');
      atsOn = (dev.spec.ats ?? false) && s.f.ats;
      target = makeS2Ste(this.#flags(s), this.#master(dev, atsOn), obj.s2);
    } else if (obj?.kind === 'hwpt_nested') {
      const v = this.#store.get(obj.viommu, 'viommu');
      const parent = v ? this.#store.get(v.parent, 'hwpt_paging') : undefined;
      if (!v || !parent?.s2) return fail('EINVAL', 'nested HWPT has no vIOMMU parent');
      if (v.smmu !== dev.spec.smmu) return fail('EINVAL', 'vIOMMU belongs to another SMMU');
      if (dev.pasids > 0) return fail('EBUSY', 'device has PASIDs attached');
      // any nested attach with a vDEVICE gets a vmaster (vSID for events); without one only
      // abort/bypass vSTEs may attach (the VMM's GBPA emulation)
      const cfg = STE.get(obj.ste, 'Config');
      const vd = dev.vdevice !== undefined ? this.#store.get(dev.vdevice, 'vdevice') : undefined;
      if (vd && vd.viommu === v.id) vmaster = { viommuId: v.id, vsid: vd.virtId };
      else if (cfg !== CFG.ABORT && cfg !== CFG.BYPASS) return fail('ENOENT', 'no vDEVICE for this device on the vIOMMU');
      atsOn = obj.enableAts && (dev.spec.ats ?? false) && s.f.ats;
      target = makeNestedSte(this.#flags(s), this.#master(dev, atsOn), parent.s2, obj.ste);
    } else {
      return fail('ENOENT', `no HWPT ${hwptId}`);
    }
    const syncs = this.#writeStes(s, dev, target, opts.onStep);
    if (typeof syncs !== 'number') return syncs;
    // arm_smmu_attach_commit (reference §6.5 "normal ATS sequencing"): after the STE install,
    // ATS being turned on (arm_smmu_enable_ats flushes before pci_enable_ats), kept on with a
    // changed translation, or switched off ("ATS is being switched off, invalidate the entire
    // ATC") flushes the master's whole ATC: ATC_INV SSV=0 Size=52 per SID + CMD_SYNC
    // (SMMUv3 §4.5.1, §4.7.3). Not counted in `syncs`, which counts the STE-write syncs.
    const flush = this.#commitAtcFlush(s, dev, atsOn);
    if (flush !== undefined) return flush;
    const old = dev.hwpt !== undefined ? this.#store.raw(dev.hwpt) : undefined;
    if (old && (old.kind === 'hwpt_paging' || old.kind === 'hwpt_nested')) old.users--;
    obj.users++;
    dev.hwpt = hwptId;
    dev.vmaster = vmaster;
    dev.atsOn = atsOn;
    return { errno: 0, syncs, ste: target };
  }

  /** Detach to a blocking (abort) STE. */
  detach(devId: number, opts: SteWriteOptions = {}): Result<{ syncs: number }> {
    const dev = this.#store.get(devId, 'device');
    if (!dev) return fail('ENOENT', `no device object ${devId}`);
    const s = this.#smmu(dev.spec.smmu);
    const syncs = this.#writeStes(s, dev, makeAbortSte(), opts.onStep);
    if (typeof syncs !== 'number') return syncs;
    // the blocking domain has no ATS: arm_smmu_attach_commit flushes the ATC if it was on
    const flush = this.#commitAtcFlush(s, dev, false);
    if (flush !== undefined) return flush;
    const old = dev.hwpt !== undefined ? this.#store.raw(dev.hwpt) : undefined;
    if (old && (old.kind === 'hwpt_paging' || old.kind === 'hwpt_nested')) old.users--;
    dev.hwpt = undefined;
    dev.vmaster = undefined;
    dev.atsOn = false;
    return { errno: 0, syncs };
  }

  /** The ATC flush of arm_smmu_attach_commit: whenever ATS is on before or after the attach. */
  #commitAtcFlush(s: SmmuState, dev: DeviceObj, atsOn: boolean): { errno: Errno; reason: string } | undefined {
    if (!atsOn && !dev.atsOn) return undefined;
    const r = this.#issue(s, [...dev.spec.sids.map((sid) => cmdAtcInvAll(sid)), cmdSync()]);
    return r.ok ? undefined : fail('ETIMEDOUT', atsOn ? 'ATC invalidation before enabling ATS timed out' : 'ATC invalidation after disabling ATS timed out');
  }

  /** Model "device has PASID domains attached" (EBUSY for nested attach). */
  setPasidsAttached(devId: number, n: number): void {
    const dev = this.#store.get(devId, 'device');
    if (dev) dev.pasids = n;
  }

  #master(dev: DeviceObj, ats: boolean): MasterFlags {
    return { ats, stallEnabled: dev.spec.stallEnabled ?? false };
  }

  #issue(s: SmmuState, cmds: readonly (readonly bigint[])[]): DriverIssueResult {
    const msiPolling = s.f.msi && s.f.coherent && !(s.spec.disableMsipolling ?? false);
    return driverIssue(s.spec.port, cmds, this.#sink, { msiPolling, ...(this.#opts.pollBudget !== undefined ? { pollBudget: this.#opts.pollBudget } : {}) });
  }

  #writeStes(s: SmmuState, dev: DeviceObj, target: readonly bigint[], onStep?: SteStepHook): number | { errno: Errno; reason: string } {
    let syncs = 0;
    for (const sid of dev.spec.sids) {
      const plan = planSteWrite(s.spec.port.readSte(sid), target);
      let index = 0;
      for (const b of steWriteBatches(sid, plan, { brokenPrefetch: s.spec.brokenPrefetch ?? false })) {
        if (b.dwords) s.spec.port.installSte(sid, b.dwords);
        const r = this.#issue(s, b.cmds);
        if (!r.ok) return fail('ETIMEDOUT', `STE write for SID 0x${sid.toString(16)} timed out`);
        // after the pass and its CFGI_STE + CMD_SYNC: the point where DMA may see this entry
        if (b.dwords && onStep) onStep({ sid, index: index++, dwords: [...b.dwords] });
      }
      syncs += plan.syncCount;
    }
    return syncs;
  }

  /** Invalidation after unmapping [iova, iova+size) from a stage-2 HWPT (s2-inval.ts). */
  s2UnmapInvalidate(hwptId: number, iova: bigint, size: bigint, granule: bigint, leafLog2 = 12): Result<{ batches: bigint[][][] }> {
    const p = this.#store.get(hwptId, 'hwpt_paging');
    if (!p?.s2) return fail('EINVAL', `object ${hwptId} is not a stage-2 HWPT`);
    const s = this.#smmu(p.smmu);
    const batches = s2UnmapBatches({ ril: s.f.ril, vmid: p.s2.vmid, iova, size, granule, leafLog2, atsSids: atsSidsUsing(this.#store, p.id) });
    // report each batch as written to the ring (an MSI-polled CMD_SYNC names its own slot, §3.4)
    const written: bigint[][][] = [];
    for (const b of batches) {
      const r = this.#issue(s, b);
      if (!r.ok) return fail('ETIMEDOUT', 'unmap invalidation timed out');
      written.push(r.issued.map((c) => [c[0] ?? 0n, c[1] ?? 0n]));
    }
    return { errno: 0, batches: written };
  }

  /** IOMMU_HWPT_INVALIDATE: hwpt_id may name a vIOMMU (SMMUv3 path), a nested or a paging HWPT. */
  invalidate(id: number, a: InvalidateArgs): InvalidateResult {
    const pre = invalidatePrecheck(a);
    if (pre) return pre;
    const o = this.#store.raw(id);
    if (o === undefined) return { errno: 'ENOENT', entryNum: 0, reason: `no object ${id}`, issued: [] };
    if (o.kind === 'hwpt_nested') return { errno: 'EOPNOTSUPP', entryNum: 0, reason: 'SMMUv3 nested HWPTs take no invalidation; use the vIOMMU', issued: [] };
    if (o.kind !== 'viommu') return { errno: 'EINVAL', entryNum: 0, reason: `object ${id} is neither a nested HWPT nor a vIOMMU`, issued: [] };
    const s = this.#smmu(o.smmu);
    const view = {
      vmid: o.vmid,
      lookupVsid: (vsid: number): number | undefined => {
        const vd = this.#store.get(o.vdevs.get(vsid) ?? -1, 'vdevice');
        const dev = vd ? this.#store.get(vd.dev, 'device') : undefined;
        return dev?.spec.sids[0];
      },
    };
    return invalidateViommu(view, a, (cmds) => this.#issue(s, cmds), { flushPendingOnError: this.#opts.flushPendingOnError ?? false });
  }

  /** IOMMU_VEVENTQ_ALLOC. */
  allocVeventq(a: { viommuId: number; type: number; depth: number; flags?: number }): Result<{ veventqId: number }> {
    return allocVeventq(this.#store, a);
  }

  /** read() on a vEVENTQ fd with a `bufLen`-byte buffer. */
  readVeventq(id: number, bufLen: number): Result<{ records: VEventRecord[]; bytes: number }> {
    return readVeventq(this.#store, id, bufLen);
  }

  /** One physical event record through the host's event thread (see iommufd-events.ts). */
  handleEvent(smmu: number, raw: readonly bigint[]): EventOutcome {
    return handleEvent(this.#store, smmu, raw, this.#opts.era ?? '6.14+', (level, line) => this.log.push({ level, line }));
  }

  /**
   * End of an event-thread pass (after the records were drained): if EVENTQ_PROD.OVFLG differs
   * from CONS.OVACKFLG, print "EVTQ overflow detected -- events lost" and acknowledge by copying
   * OVFLG into OVACKFLG (the CONS index is unchanged).
   */
  checkEvtqOverflow(smmu: number): boolean {
    const port = this.#smmu(smmu).spec.port;
    const prod = port.readReg(REG.EVENTQ_PROD);
    const cons = port.readReg(REG.EVENTQ_CONS);
    const ovflg = EVENTQ_PROD.get([prod], 'OVFLG');
    if (ovflg === EVENTQ_CONS.get([cons], 'OVACKFLG')) return false;
    for (const line of formatEvtqOverflow()) this.log.push({ level: 'err', line });
    port.writeReg(REG.EVENTQ_CONS, EVENTQ_CONS.with([cons], 'OVACKFLG', ovflg)[0] ?? 0n);
    return true;
  }

  /** IOMMU_DESTROY. */
  destroy(id: number): Result {
    const o = this.#store.raw(id);
    if (!o || o.kind === 'device') return fail('ENOENT', `no destroyable object ${id}`);
    if ((o.kind === 'hwpt_paging' || o.kind === 'hwpt_nested' || o.kind === 'viommu') && o.users > 0) return fail('EBUSY', `object ${id} is in use`);
    if (o.kind === 'hwpt_paging' && o.s2) this.#smmu(o.smmu).vmids.delete(o.s2.vmid);
    const dec = (vid: number): void => {
      const v = this.#store.get(vid, 'viommu');
      if (v) v.users--;
    };
    if (o.kind === 'viommu') {
      const p = this.#store.get(o.parent, 'hwpt_paging');
      if (p) p.users--;
    }
    if (o.kind === 'hwpt_nested') dec(o.viommu);
    if (o.kind === 'veventq') {
      dec(o.viommu);
      this.#store.get(o.viommu, 'viommu')?.veventqs.delete(o.q.type);
    }
    if (o.kind === 'vdevice') {
      dec(o.viommu);
      this.#store.get(o.viommu, 'viommu')?.vdevs.delete(o.virtId);
      const d = this.#store.get(o.dev, 'device');
      if (d) d.vdevice = undefined;
    }
    this.#store.delete(id);
    return { errno: 0 };
  }
}
