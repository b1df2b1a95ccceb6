/**
 * uAPI profile `rfc-2023`: the shape of the 2023 RFC v2 nesting series (reference §6.8), on top
 * of the current object model (Iommufd). Two calls differ from today's uAPI:
 *
 * - Nested HWPT: `iommu_hwpt_arm_smmuv3 { flags, ste_len, ste_uptr, event_len, out_event_uptr }`.
 *   The kernel read the full 64-byte guest STE and, on rejection, wrote a 32-byte C_BAD_STE
 *   (0x04) record to out_event_uptr and returned EINVAL. Rejections (S1 Config only): the SMMU
 *   lacks S1 or S2; S1Fmt 2-level without IDR0.CD2L; S1CDMax > the master's ssid_bits;
 *   S1ContextPtr above IAS. A missing/short STE is EINVAL without an event.
 * - Invalidation: `{ cmdq_uptr, cmdq_cons_uptr, cmdq_prod, cmdq_entry_size, cmdq_log2size }`.
 *   The kernel walked the guest CMDQ in user memory from the guest CONS (a u32 read from
 *   cmdq_cons_uptr) to cmdq_prod (raw values with wrap bits). Entry size != 16 or an empty queue
 *   → EINVAL. NH_* got the S2 VMID (NSNH_ALL → NH_ALL); ATC_INV/CFGI_CD/CFGI_CD_ALL took SIDs
 *   from the vSID table (IOMMU_SET_DEV_DATA {u32 sid}); other opcodes were skipped silently. An
 *   unknown vSID stopped the walk: CONS (on that entry) | CERROR_ILL << 24 written back, ENODEV,
 *   nothing issued. Otherwise all collected commands ran with ONE CMD_SYNC (no 63-command
 *   chunking), ETIMEDOUT on a SYNC timeout, and the updated CONS (= PROD) was written back.
 *
 * Modelling choices: the RFC had no vIOMMU/vDEVICE objects; this profile creates one hidden
 * vIOMMU per nest parent and one vDEVICE per device (virt_id = the SET_DEV_DATA vSID, or
 * 0x8000_0000 + device ID when none was set) so the existing attach path builds the STE. The
 * C_BAD_STE StreamID is the device's vSID (0 if none) — the record is meant for the guest.
 * User memory is any read64/write64 space (e.g. GuestMemory: the VMM maps guest RAM, user VA = IPA).
 */
import { dwordsFromBytes } from '../arch/dwords.ts';
import { encodeEvent } from '../arch/event.ts';
import { type Ring, ringEmpty, ringInc, ringIndex } from '../arch/queue.ts';
import { CMDQ_CONS } from '../arch/registers.ts';
import { CERROR } from '../arch/command.ts';
import { STE } from '../arch/ste.ts';
import { type Cmd, cmdSync } from './commands.ts';
import { type VsmmuView, convertGuestCommand } from './invalidate.ts';
import { CFG } from './masks.ts';
import { driverIssue } from './driver-cmdq.ts';
import { type SmmuFeatures, probeFeatures } from './features.ts';
import type { HostLogLine, Iommufd } from './iommufd.ts';
import type { IommufdOptions } from './iommufd-objects.ts';
import { type Errno, HWPT_ALLOC_NEST_PARENT, HWPT_DATA_ARM_SMMUV3, VIOMMU_TYPE_ARM_SMMUV3, vsteBytes } from './uapi.ts';
import { VSTE_DW0_ALLOWED, VSTE_DW1_ALLOWED } from './vste.ts';

export type RfcErrno = 'EINVAL' | 'ENODEV' | 'ETIMEDOUT' | 'EFAULT' | 'ENOENT' | 'EOPNOTSUPP' | 'EEXIST';
export type RfcResult<T extends object = object> = ({ readonly errno: 0 } & T) | { readonly errno: RfcErrno | Errno; readonly reason: string };

export interface UserMemory {
  read64(addr: bigint): bigint | undefined;
  write64(addr: bigint, value: bigint): unknown;
}

export const RFC_STE_SIZE = 64;
export const RFC_EVENT_SIZE = 32;
export const RFC_CMDQ_ENTRY_SIZE = 16;

/** What the RFC's STE checks need of the SMMU. */
export type RfcSteCaps = Pick<SmmuFeatures, 's1p' | 's2p' | 'cd2l' | 'ias'>;

/** The RFC's sanity checks of a 64-byte guest STE: undefined if acceptable, else why. */
export function rfcCheckSte(c: RfcSteCaps, ssidBits: number, ste: readonly bigint[]): string | undefined {
  if (!c.s1p || !c.s2p) return 'SMMU lacks stage 1 or stage 2';
  // only S1-translate STEs carry a CD table
  if (STE.get(ste, 'V') === 0n || STE.get(ste, 'Config') !== CFG.S1_TRANS) return undefined;
  const s1fmt = STE.get(ste, 'S1Fmt');
  if (s1fmt !== 0n && !c.cd2l) return `S1Fmt ${s1fmt} (2-level CD table) without IDR0.CD2L`;
  const cdmax = Number(STE.get(ste, 'S1CDMax'));
  if (cdmax > ssidBits) return `S1CDMax ${cdmax} exceeds the device's ssid_bits ${ssidBits}`;
  const ptr = STE.get(ste, 'S1ContextPtr');
  if (ptr >> BigInt(c.ias) !== 0n) return `S1ContextPtr 0x${ptr.toString(16)} is above IAS (${c.ias} bits)`;
  return undefined;
}

export interface RfcNestedArgs {
  readonly devId: number;
  readonly parentHwptId: number;
  readonly flags?: bigint;
  readonly steLen: number;
  /** The STE bytes at ste_uptr (null: NULL pointer). */
  readonly ste: Uint8Array | null;
  readonly eventLen: number;
}

export interface RfcInvalidateArgs {
  readonly cmdqUptr: bigint;
  readonly cmdqConsUptr: bigint;
  readonly cmdqProd: number;
  readonly cmdqEntrySize: number;
  readonly cmdqLog2size: number;
  readonly reserved?: number;
}

export interface RfcInvalidateResult {
  readonly errno: 0 | RfcErrno;
  readonly reason?: string;
  /** The u32 written back to cmdq_cons_uptr (undefined if nothing was written). */
  readonly cons?: number;
  /** The batch issued to the physical CMDQ (host commands + the one CMD_SYNC), if any. */
  readonly issued?: bigint[][];
}

function readU32(m: UserMemory, a: bigint): number | undefined {
  const w = m.read64(a & ~7n);
  return w === undefined ? undefined : Number((w >> ((a & 4n) * 8n)) & 0xffff_ffffn);
}
function writeU32(m: UserMemory, a: bigint, v: number): void {
  const sh = (a & 4n) * 8n;
  const w = m.read64(a & ~7n) ?? 0n;
  m.write64(a & ~7n, (w & ~(0xffff_ffffn << sh)) | (BigInt(v >>> 0) << sh));
}

export class Rfc2023 {
  readonly log: HostLogLine[] = [];
  readonly #fd: Iommufd;
  readonly #o: IommufdOptions;
  readonly #vmids = new Map<number, number>();
  readonly #viommus = new Map<number, number>();
  readonly #devData = new Map<number, number>();
  readonly #vdevs = new Set<number>();
  readonly #nested = new Map<number, { parent: number; smmu: number }>();

  /** `o` is the options the Iommufd was built with (ports and device list). */
  constructor(fd: Iommufd, o: IommufdOptions) {
    this.#fd = fd;
    this.#o = o;
  }

  #spec(devId: number): IommufdOptions['devices'][number] | undefined {
    return this.#o.devices.find((d) => this.#fd.deviceId(d.name) === devId);
  }

  /** The S2 (NEST_PARENT) HWPT; its VMID is what NH_* commands get. */
  allocParentHwpt(devId: number): RfcResult<{ hwptId: number }> {
    const r = this.#fd.allocPagingHwpt(devId, { flags: HWPT_ALLOC_NEST_PARENT });
    if (r.errno !== 0) return r;
    this.#vmids.set(r.hwptId, r.vmid ?? 0);
    return { errno: 0, hwptId: r.hwptId };
  }

  /** IOMMU_SET_DEV_DATA { u32 sid }: the device's vSID for ATC_INV / CFGI_CD. */
  setDevData(devId: number, vsid: number): RfcResult {
    if (this.#spec(devId) === undefined) return { errno: 'ENOENT', reason: `no device object ${devId}` };
    for (const [d, v] of this.#devData)
      if (v === vsid && d !== devId) return { errno: 'EEXIST', reason: `vSID 0x${vsid.toString(16)} is already set for device ${d}` };
    this.#devData.set(devId, vsid >>> 0);
    return { errno: 0 };
  }

  #viommuFor(devId: number, parent: number): RfcResult<{ viommuId: number }> {
    let vi = this.#viommus.get(parent);
    if (vi === undefined) {
      const r = this.#fd.allocViommu({ devId, hwptId: parent, type: VIOMMU_TYPE_ARM_SMMUV3 });
      if (r.errno !== 0) return r;
      vi = r.viommuId;
      this.#viommus.set(parent, vi);
    }
    if (!this.#vdevs.has(devId)) {
      const r = this.#fd.allocVdevice({ viommuId: vi, devId, virtId: this.#devData.get(devId) ?? 0x8000_0000 + devId });
      if (r.errno !== 0) return r;
      this.#vdevs.add(devId);
    }
    return { errno: 0, viommuId: vi };
  }

  /** HWPT_ALLOC (nested, RFC v2 data). On rejection `event` is the C_BAD_STE written to out_event_uptr. */
  allocNestedHwpt(a: RfcNestedArgs): RfcResult<{ hwptId: number }> | { readonly errno: 'EINVAL'; readonly reason: string; readonly event?: bigint[] } {
    const spec = this.#spec(a.devId);
    if (spec === undefined) return { errno: 'ENOENT', reason: `no device object ${a.devId}` };
    if (!this.#vmids.has(a.parentHwptId)) return { errno: 'EINVAL', reason: `HWPT ${a.parentHwptId} is not an S2 parent of this profile` };
    if (a.ste === null || a.steLen < RFC_STE_SIZE || a.ste.length < RFC_STE_SIZE)
      return { errno: 'EINVAL', reason: `ste_len ${a.steLen} is shorter than the 64-byte STE` };
    const ste = dwordsFromBytes(a.ste, RFC_STE_SIZE / 8);
    const port = this.#o.smmus[spec.smmu]?.port;
    if (port === undefined) return { errno: 'ENOENT', reason: `no SMMU ${spec.smmu}` };
    const ids = port.idRegs();
    const f = probeFeatures(ids);
    const why = rfcCheckSte(f, Math.min(f.ssidBits, spec.pasidBits ?? 0), ste);
    if (why !== undefined) {
      const event = a.eventLen >= RFC_EVENT_SIZE ? encodeEvent('C_BAD_STE', { StreamID: this.#devData.get(a.devId) ?? 0 }) : undefined;
      return { errno: 'EINVAL', reason: why, ...(event ? { event } : {}) };
    }
    const vi = this.#viommuFor(a.devId, a.parentHwptId);
    if (vi.errno !== 0) return vi;
    // the RFC copied only the fields it knew into its S1 config
    const vste: [bigint, bigint] = [(ste[0] ?? 0n) & VSTE_DW0_ALLOWED, (ste[1] ?? 0n) & VSTE_DW1_ALLOWED];
    const h = this.#fd.allocNestedHwpt({ devId: a.devId, viommuId: vi.viommuId, dataType: HWPT_DATA_ARM_SMMUV3, data: vsteBytes(vste) });
    if (h.errno !== 0) return { errno: 'EINVAL', reason: h.reason };
    this.#nested.set(h.hwptId, { parent: a.parentHwptId, smmu: spec.smmu });
    return { errno: 0, hwptId: h.hwptId };
  }

  /** IOMMU_HWPT_INVALIDATE on a nested HWPT with the RFC v2 data (guest CMDQ read from user memory). */
  invalidate(hwptId: number, a: RfcInvalidateArgs, user: UserMemory): RfcInvalidateResult {
    const n = this.#nested.get(hwptId);
    if (n === undefined) return { errno: 'ENOENT', reason: `no nested HWPT ${hwptId} of this profile` };
    if ((a.reserved ?? 0) !== 0) return { errno: 'EOPNOTSUPP', reason: '__reserved is not zero' };
    if (a.cmdqEntrySize !== RFC_CMDQ_ENTRY_SIZE) return { errno: 'EINVAL', reason: `cmdq_entry_size ${a.cmdqEntrySize} is not 16` };
    if (a.cmdqLog2size < 1 || a.cmdqLog2size > 19) return { errno: 'EINVAL', reason: `cmdq_log2size ${a.cmdqLog2size} out of range` };
    const consRaw = readU32(user, a.cmdqConsUptr);
    if (consRaw === undefined) return { errno: 'EFAULT', reason: 'cmdq_cons_uptr is not readable' };
    const ring: Ring = { log2: a.cmdqLog2size };
    // index + wrap bits of CONS; the bits above (ERR) are kept on write-back
    const wrapMask = (2 << ring.log2) - 1;
    const prod = a.cmdqProd;
    let cons = consRaw & wrapMask;
    if (ringEmpty(ring, prod, cons)) return { errno: 'EINVAL', reason: 'guest CMDQ is empty (CONS == PROD)' };
    const view: VsmmuView = { vmid: this.#vmids.get(n.parent) ?? 0, lookupVsid: (vsid) => this.#psidOf(vsid) };
    const out: Cmd[] = [];
    while (!ringEmpty(ring, prod, cons)) {
      const at = a.cmdqUptr + BigInt(ringIndex(ring, cons) * 16);
      const d0 = user.read64(at);
      const d1 = user.read64(at + 8n);
      if (d0 === undefined || d1 === undefined) return { errno: 'EFAULT', reason: `guest CMDQ entry at 0x${at.toString(16)} is not readable` };
      // the same per-command conversion as today's uAPI; other opcodes were skipped silently
      const c = convertGuestCommand(view, [d0, d1]);
      if (c.ok) out.push(c.cmd);
      else if (c.vsid !== undefined) {
        // stop on this entry: CONS with CERROR_ILL OR-ed into [30:24]; nothing collected is issued
        const v = ((consRaw & ~wrapMask) | cons | Number(CMDQ_CONS.encodeMasked({ ERR: CERROR.ILL })[0] ?? 0n)) >>> 0;
        writeU32(user, a.cmdqConsUptr, v);
        return { errno: 'ENODEV', reason: `vSID 0x${c.vsid.toString(16)} has no device data`, cons: v };
      }
      cons = ringInc(ring, cons);
    }
    const v = ((consRaw & ~wrapMask) | cons) >>> 0;
    writeU32(user, a.cmdqConsUptr, v);
    if (out.length === 0) return { errno: 0, cons: v, issued: [] };
    const s = this.#o.smmus[n.smmu];
    if (s === undefined) return { errno: 'ENOENT', reason: 'no SMMU' };
    const f = probeFeatures(s.port.idRegs());
    const batch: bigint[][] = [...out, cmdSync(2)];
    const r = driverIssue(s.port, batch, (level, line) => this.log.push({ level, line }), {
      msiPolling: f.msi && f.coherent && !(s.disableMsipolling ?? false),
      ...(this.#o.pollBudget !== undefined ? { pollBudget: this.#o.pollBudget } : {}),
    });
    const written = r.issued.map((c) => [c[0] ?? 0n, c[1] ?? 0n]);
    if (!r.ok) return { errno: 'ETIMEDOUT', reason: 'CMD_SYNC timeout', cons: v, issued: written };
    return { errno: 0, cons: v, issued: written };
  }

  #psidOf(vsid: number): number | undefined {
    for (const [devId, v] of [...this.#devData].sort((x, y) => x[0] - y[0])) if (v === vsid) return this.#spec(devId)?.sids[0];
    return undefined;
  }
}
