/**
 * The host steps of a scenario (top-level `host:`): the Linux-like IOMMUFD uAPI + SMMUv3 driver
 * (src/host) over the emulated device (world set-up: exec/host-world.ts). Host objects created by
 * steps are named in the scenario and resolved here. Step records (all host steps):
 *   errno (0 or E-name), result ok | error (errno != 0), plus per kind:
 *   hw_info      out_data_type, data_len, max_pasid_log2, capabilities, data (u32 words, hex)
 *   hwpt_alloc   id, vmid [, msi_doorbell_ipa]
 *   s2_map       ipa, pa, size;  s2_unmap: ipa, size, issued (opcode names of the invalidation)
 *   viommu / vdevice / veventq / nested_hwpt   id [, virt_id] [, event (rfc-2023 C_BAD_STE raw)]
 *   attach       hwpt, syncs, ste (the physical STE read back after the write); with `probe`:
 *                dma_0, then per pass i ste_i, v0_i, dma_i, and torn (probeFields below)
 *   invalidate   entry_num, batches (commands per host batch incl. its CMD_SYNC), issued (raw
 *                dwords of what reached the CMDQ, when at most 8 commands)
 *   read_vevents records, bytes (the records go to guest_events with source: veventq)
 *   msi          delivered | landed (+backed) | fault, its_received
 */
import { decodeCommand } from '../../arch/command.ts';
import { hex32, hex64 } from '../../arch/fields.ts';
import { STE } from '../../arch/ste.ts';
import { HWPT_ALLOC_NEST_PARENT, HWPT_DATA_ARM_SMMUV3, VIOMMU_TYPE_ARM_SMMUV3, vsteBytes } from '../../host/iommufd.ts';
import { INVALIDATE_DATA_ARM_SMMUV3, INVALIDATE_ENTRY_SIZE } from '../../host/invalidate.ts';
import { deliverMsi, setupMsiCookie, setupMsiFlat } from '../../host/msi.ts';
import { VEVENTQ_FLAG_LOST_EVENTS, VEVENTQ_TYPE_ARM_SMMUV3 } from '../../host/veventq.ts';
import type { AttachProbe, Step, VSte } from '../../scenario/types.ts';
import type { EventRecord, ObsValue } from '../types.ts';
import { type ExecContext, emulatorOnly } from './context.ts';
import { eventRecord } from './events.ts';
import { guestStep, setupGuestRam } from './guest.ts';
import { type HostWorld, guestCommand } from './host-world.ts';
import { streamSid } from './streams.ts';
import { leafAttrs } from './tables.ts';

type Fields = Record<string, ObsValue>;
export type HostOut = { result: string; fields: Fields };
export type { HostWorld };
export { guestCommand, hostAfterStep, hostEvent, hostResetInvalidate, makeHostWorld } from './host-world.ts';

/** Size of the leaf (page or block) mapping `ipa` in a stage-2 table, if mapped. */

const res = (r: { errno: 0 | string }, fields: Fields = {}): HostOut => ({ result: r.errno === 0 ? 'ok' : 'error', fields: { errno: r.errno, ...fields } });

function need<T>(v: T | undefined, what: string, where: string): T {
  if (v === undefined) throw new RangeError(`Cannot run ${where}: ${what}`);
  return v;
}

const CONFIG = { abort: 0, bypass: 4, s1: 5, s2: 6, nested: 7 } as const;
const S1FMT = { linear: 0, '2l_4k': 1, '2l_64k': 2 } as const;
const S1DSS = { terminate: 0, bypass: 1, ssid0: 2 } as const;
const EATS = { off: 0, full: 1, split: 2 } as const;

/** The guest STE dw0/dw1 as a guest driver writes it (S1ContextPtr = CD table IPA). */
export function encodeVste(ctx: ExecContext, v: VSte, where: string): bigint[] {
  if (v.raw !== undefined) return [v.raw[0] ?? 0n, v.raw[1] ?? 0n];
  const f: Record<string, bigint | number | boolean> = { V: v.valid ?? true, Config: CONFIG[v.config ?? 's1'] };
  if (v.cd_table !== undefined) {
    const cd = need(ctx.tables.cd.get(v.cd_table), `cd_table "${v.cd_table}" is not declared`, where);
    f['S1ContextPtr'] = cd.addr;
    f['S1Fmt'] = cd.s1fmt;
    f['S1CDMax'] = cd.s1cdmax;
  }
  if (v.s1fmt !== undefined) f['S1Fmt'] = S1FMT[v.s1fmt];
  if (v.s1cdmax !== undefined) f['S1CDMax'] = v.s1cdmax;
  if (f['Config'] === 5) Object.assign(f, { S1DSS: S1DSS[v.s1dss ?? 'terminate'], S1CIR: 1, S1COR: 1, S1CSH: 3 });
  else if (v.s1dss !== undefined) f['S1DSS'] = S1DSS[v.s1dss];
  if (v.s1stalld !== undefined) f['S1STALLD'] = v.s1stalld;
  if (v.eats !== undefined) f['EATS'] = EATS[v.eats];
  const d = STE.encode({ ...f, ...(v.fields ?? {}) });
  return [d[0] ?? 0n, d[1] ?? 0n];
}

export function hostStep(ctx: ExecContext, h: HostWorld, step: Step, n: number, where: string): HostOut | undefined {
  const s = ctx.scenario;
  const dev = (name: string): number => need(h.devIds.get(name), `device "${name}" is not bound`, where);
  // A name whose creation step failed stands for an ID the kernel never handed out: IOMMUFD IDs
  // are allocated below 2^31 (xa_limit_31b), so 0xffff_ffff names no object and the ioctl
  // answers -ENOENT, as it would for a user passing a stale ID.
  const obj = (name: string): number => h.names.get(name) ?? 0xffff_ffff;
  const fd = h.fd;
  if ('hw_info' in step) {
    const b = step.hw_info;
    const r = fd.getHwInfo(dev(b.device), { dataLen: b.data_len ?? 40, ...(b.flags !== undefined ? { flags: b.flags } : {}), ...(b.in_data_type !== undefined ? { inDataType: b.in_data_type } : {}) });
    if (r.errno !== 0) return res(r);
    const dv = new DataView(r.data.buffer, r.data.byteOffset, r.data.length);
    const words: string[] = [];
    for (let o = 0; o + 4 <= r.data.length; o += 4) words.push(hex32(BigInt(dv.getUint32(o, true))));
    return res(r, { out_data_type: r.outDataType, data_len: r.dataLen, max_pasid_log2: r.maxPasidLog2, capabilities: r.capabilities, data: words });
  }
  if ('hwpt_alloc' in step) {
    const b = step.hwpt_alloc;
    const flags = b.flags ?? ((b.nest_parent ?? true) ? HWPT_ALLOC_NEST_PARENT : 0);
    const r = h.rfc !== undefined && flags === HWPT_ALLOC_NEST_PARENT && (b.data_len ?? 0) === 0
      ? ((): { errno: 0 | string; hwptId?: number; vmid?: number | undefined; reason?: string } => {
        const x = need(h.rfc, 'rfc', where).allocParentHwpt(dev(b.device));
        return x.errno === 0 ? { errno: 0, hwptId: x.hwptId, vmid: undefined } : x;
      })()
      : fd.allocPagingHwpt(dev(b.device), { flags, ...(b.data_len !== undefined ? { dataLen: b.data_len } : {}) });
    if (r.errno !== 0 || r.hwptId === undefined) return res(r);
    h.names.set(b.name, r.hwptId);
    const f: Fields = { id: r.hwptId, ...(r.vmid !== undefined ? { vmid: r.vmid } : {}) };
    if (b.s2_table !== undefined) {
      const sp = need(ctx.tables.s2.get(b.s2_table), `s2_table "${b.s2_table}" is not declared`, where);
      const t = fd.setParentTables(r.hwptId, sp.builder);
      if (t.errno !== 0) throw new Error(`Cannot run ${where}: ${t.reason}`);
      h.parents.set(r.hwptId, sp);
      if (s.host?.msi !== undefined && h.msi === undefined) {
        const m = s.host.msi === 'cookie' ? setupMsiCookie(fd, r.hwptId) : setupMsiFlat(fd, r.hwptId);
        if (m.errno !== 0) throw new Error(`Cannot run ${where}: MSI set-up failed: ${m.reason}`);
        h.msi = m;
        f['msi_doorbell_ipa'] = m.doorbellIpa;
      }
      if (s.guest !== undefined && h.guest === undefined) h.guest = setupGuestRam(ctx, h, r.hwptId);
    }
    return res(r, f);
  }
  if ('s2_map' in step) {
    const b = step.s2_map;
    const r = fd.s2Map(obj(b.hwpt), b.ipa, b.pa, b.size, leafAttrs(2, b));
    return res(r, { ipa: b.ipa, pa: b.pa, size: b.size });
  }
  if ('s2_unmap' in step) {
    const b = step.s2_unmap;
    const id = obj(b.hwpt);
    // The host sizes the TLBI_S2_IPA by the leaf that mapped the IPA (Linux's gather pgsize);
    // the golden shows that size so the TTL hint can be checked by hand.
    const leaf = h.parents.get(id)?.builder.leafSizeAt(b.ipa);
    const r = fd.s2Unmap(id, b.ipa, b.size);
    const issued = r.errno === 0 ? r.batches.flat().map((c) => decodeCommand(c).name) : [];
    const raw = r.errno === 0 && r.batches.flat().length <= 8 ? { raw: r.batches.flat().flatMap((c) => [c[0] ?? 0n, c[1] ?? 0n]) } : {};
    return res(r, { ipa: b.ipa, size: b.size, ...(leaf !== undefined ? { leaf } : {}), issued, ...raw });
  }
  if ('viommu' in step) {
    const b = step.viommu;
    const hwpt = obj(b.hwpt);
    const r = fd.allocViommu({ devId: dev(b.device), hwptId: hwpt, type: b.type ?? VIOMMU_TYPE_ARM_SMMUV3, ...(b.flags !== undefined ? { flags: b.flags } : {}) });
    if (r.errno !== 0) return res(r);
    h.names.set(b.name, r.viommuId);
    h.viommuParent.set(r.viommuId, hwpt);
    h.vdevs.set(r.viommuId, new Map());
    return res(r, { id: r.viommuId });
  }
  if ('vdevice' in step) {
    const b = step.vdevice;
    const d = need((s.devices ?? []).find((x) => x.name === b.device), `device "${b.device}" is not declared`, where);
    const virt = Number(b.virt_id ?? d.vsid ?? d.sid);
    if (h.rfc !== undefined) return res(h.rfc.setDevData(dev(b.device), virt), { virt_id: virt });
    const vi = obj(need(b.viommu, 'vdevice needs viommu with the current uAPI', where));
    const r = fd.allocVdevice({ viommuId: vi, devId: dev(b.device), virtId: virt });
    if (r.errno !== 0) return res(r, { virt_id: virt });
    if (b.name !== undefined) h.names.set(b.name, r.vdeviceId);
    h.vdevs.get(vi)?.set(virt, dev(b.device));
    return res(r, { id: r.vdeviceId, virt_id: virt });
  }
  if ('nested_hwpt' in step) return nestedStep(ctx, h, step.nested_hwpt, dev, obj, where);
  if ('attach' in step) {
    const b = step.attach;
    const id = dev(b.device);
    if (b.pasids_attached !== undefined) fd.setPasidsAttached(id, b.pasids_attached);
    const sid = streamSid(s, b, where);
    const probe = b.probe !== undefined ? probeRunner(ctx, b.probe, `${where} probe`) : undefined;
    const passes: Pass[] = [];
    const before = probe?.();
    const opts = probe !== undefined ? { onStep: (p: { dwords: bigint[] }): void => { passes.push({ dwords: p.dwords, dma: probe() }); } } : {};
    const r = b.hwpt !== undefined ? fd.attach(id, obj(b.hwpt), opts) : fd.detach(id, opts);
    // the STE as read back from the SMMU the device sits behind (host.devices[].smmu)
    const port = h.ports[s.host?.devices?.find((x) => x.device === b.device)?.smmu ?? 0] ?? h.port;
    const f: Fields = { ...(b.hwpt !== undefined ? { hwpt: b.hwpt } : {}), ...(r.errno === 0 ? { syncs: r.syncs } : {}), ste: port.readSte(sid) };
    if (before !== undefined) Object.assign(f, probeFields(before, passes));
    return res(r, f);
  }
  if ('invalidate' in step) return invalidateStep(ctx, h, step.invalidate, obj, where);
  if ('veventq' in step) {
    const b = step.veventq;
    const vi = obj(b.viommu);
    const r = fd.allocVeventq({ viommuId: vi, type: b.type ?? VEVENTQ_TYPE_ARM_SMMUV3, depth: b.depth });
    if (r.errno !== 0) return res(r);
    h.names.set(b.name, r.veventqId);
    if (!h.veventqOf.has(vi)) h.veventqOf.set(vi, r.veventqId);
    return res(r, { id: r.veventqId });
  }
  if ('read_vevents' in step) {
    const r = fd.readVeventq(obj(step.read_vevents.veventq), step.read_vevents.buf_len ?? 1 << 20);
    if (r.errno !== 0) return res(r);
    for (const rec of r.records) {
      const lost = (rec.flags & VEVENTQ_FLAG_LOST_EVENTS) !== 0;
      if (rec.data === undefined) h.guestEvents.push({ step: n, type: 'LOST_EVENTS', source: 'veventq', seq: rec.sequence, lost });
      else h.guestEvents.push({ ...eventRecord(n, rec.data), source: 'veventq', seq: rec.sequence, lost } as EventRecord);
    }
    return res(r, { records: r.records.length, bytes: r.bytes });
  }
  if ('destroy' in step) return res(fd.destroy(obj(step.destroy.object)));
  if ('msi' in step) {
    const b = step.msi;
    const sid = streamSid(s, b, where);
    const o = deliverMsi(emulatorOnly(ctx, 'An msi step (the output PA decides ITS delivery)'), { sid, ...(b.ssid !== undefined ? { ssid: Number(b.ssid) } : {}) }, b.iova, Number(b.data & 0xffff_ffffn), h.its);
    const base: Fields = { device: b.device, iova: b.iova };
    if ('delivered' in o) return { result: 'ok', fields: { ...base, delivered: o.delivered, its_received: [...h.its.received] } };
    if ('landed' in o) return { result: 'ok', fields: { ...base, landed: o.landed, backed: o.backed, its_received: [...h.its.received] } };
    return { result: 'fault', fields: { ...base, fault: o.fault, its_received: [...h.its.received] } };
  }
  if ('guest_cmdq' in step || 'guest_events' in step) return guestStep(ctx, h, step, n, where);
  return undefined;
}

type Pass = { dwords: bigint[]; dma: string };

/** One probe DMA on the real device; its outcome as one comparable string. */
function probeRunner(ctx: ExecContext, p: AttachProbe, where: string): () => string {
  const sid = streamSid(ctx.scenario, p, where);
  return () => {
    const r = ctx.dev.transaction({ sid, iova: p.iova, access: p.access, ...(p.ssid !== undefined ? { ssid: Number(p.ssid) } : {}) });
    if (r.kind === 'translated') return `pa ${hex64(r.pa)}`;
    if (r.kind === 'stalled') return 'stall';
    if (r.raz === true) return 'raz';
    return r.event ?? 'abort (silent)';
  };
}

/**
 * The update as DMA saw it: dma_0 before the first write, then per pass i the entry written
 * (ste_i), whether it had V=0 (v0_i) and the DMA outcome after its CFGI_STE + CMD_SYNC (dma_i).
 * torn: some pass with V=1 gave an outcome that is neither the old config's (dma_0) nor the new
 * one's (the last pass), or a C_BAD_STE. Passes with V=0 are the breaking window: the entry is
 * invalid there, so C_BAD_STE is the architected outcome (SMMUv3 §5.2 STE.V, §7.3.4) and they
 * are recorded, not judged (linux-smmuv3-iommufd.md §1.3, §8).
 */
export function probeFields(before: string, passes: readonly Pass[]): Fields {
  const f: Fields = { dma_0: before };
  const after = passes.at(-1)?.dma ?? before;
  let torn = false;
  passes.forEach((p, i) => {
    const v0 = ((p.dwords[0] ?? 0n) & 1n) === 0n;
    f[`ste_${i + 1}`] = p.dwords;
    f[`v0_${i + 1}`] = v0;
    f[`dma_${i + 1}`] = p.dma;
    if (!v0 && ((p.dma !== before && p.dma !== after) || p.dma === 'C_BAD_STE')) torn = true;
  });
  f['torn'] = torn;
  return f;
}

function nestedStep(ctx: ExecContext, h: HostWorld, b: Extract<Step, { nested_hwpt: unknown }>['nested_hwpt'], dev: (n: string) => number, obj: (n: string) => number, where: string): HostOut {
  const pt = obj(b.pt);
  const vste = encodeVste(ctx, b.ste, where);
  if (h.rfc !== undefined) {
    // RFC v2: the full 64-byte guest STE (dw2..dw7 zero), C_BAD_STE written back on rejection
    const bytes = new Uint8Array(64);
    bytes.set(vsteBytes([vste[0] ?? 0n, vste[1] ?? 0n]));
    const r = h.rfc.allocNestedHwpt({ devId: dev(b.device), parentHwptId: pt, steLen: 64, ste: bytes, eventLen: 32 });
    if (r.errno !== 0) return res(r, { vste, ...('event' in r && r.event !== undefined ? { event: r.event } : {}) });
    h.names.set(b.name, r.hwptId);
    h.nestedParent.set(r.hwptId, pt);
    return res(r, { id: r.hwptId, vste });
  }
  const r = h.fd.allocNestedHwpt({
    devId: dev(b.device), viommuId: pt, ...(b.flags !== undefined ? { flags: b.flags } : {}),
    dataType: b.data_type ?? HWPT_DATA_ARM_SMMUV3, data: vsteBytes([vste[0] ?? 0n, vste[1] ?? 0n], b.trailing ?? []),
  });
  if (r.errno !== 0) return res(r, { vste });
  h.names.set(b.name, r.hwptId);
  return res(r, { id: r.hwptId, vste });
}

function invalidateStep(ctx: ExecContext, h: HostWorld, b: Extract<Step, { invalidate: unknown }>['invalidate'], obj: (n: string) => number, where: string): HostOut {
  const cmds = b.commands.map((c, i) => guestCommand(ctx.scenario, c, `${where} command ${i + 1}`));
  const entryLen = b.entry_len ?? INVALIDATE_ENTRY_SIZE;
  const data = new Uint8Array(cmds.length * entryLen);
  const dv = new DataView(data.buffer);
  cmds.forEach((c, i) => {
    const o = i * entryLen;
    for (let k = 16; k < entryLen; k++) data[o + k] = b.surplus ?? 0;
    const tmp = new Uint8Array(16);
    const tv = new DataView(tmp.buffer);
    tv.setBigUint64(0, BigInt.asUintN(64, c[0] ?? 0n), true);
    tv.setBigUint64(8, BigInt.asUintN(64, c[1] ?? 0n), true);
    data.set(tmp.subarray(0, Math.min(16, entryLen)), o);
  });
  void dv;
  const r = h.fd.invalidate(obj(b.target), {
    dataType: b.data_type ?? INVALIDATE_DATA_ARM_SMMUV3, entryLen, entryNum: b.entry_num ?? cmds.length,
    data: b.null_data === true ? null : data, ...(b.reserved !== undefined ? { reserved: b.reserved } : {}),
  });
  const total = r.issued.reduce((a, x) => a + x.length, 0);
  const f: Fields = { entry_num: r.entryNum, batches: r.issued.map((x) => x.length) };
  if (total > 0 && total <= 8) f['issued'] = r.issued.flat().flatMap((c) => [c[0] ?? 0n, c[1] ?? 0n]);
  return res(r, f);
}
