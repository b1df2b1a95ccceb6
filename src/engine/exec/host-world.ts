/**
 * The host world of a scenario with a top-level `host:` (see exec/host.ts for the steps): the
 * Iommufd (and, for `uapi: rfc-2023`, the Rfc2023 profile) over a DevicePort on the emulated
 * device, every declared device bound in declaration order (object IDs 1..n), the names of the
 * host objects the steps created, the kernel log and the records read from vEVENTQs / the guest
 * EVTQ. Physical events drained after each step go through the host's event thread here.
 */
import { CMDQ_BASE, EVENTQ_BASE, REG, STRTAB_BASE_CFG } from '../../arch/registers.ts';
import { PageAllocator } from '../../memory/page-allocator.ts';
import { type BootInfo, type DrivenSmmu, bootSmmu } from '../../smmu/boot.ts';
import { SmmuDevice } from '../../smmu/device.ts';
import { DevicePort } from '../../host/device-port.ts';
import { Iommufd, type IommufdOptions } from '../../host/iommufd.ts';
import { ItsDoorbell } from '../../host/msi.ts';
import { linuxResetInvalidate } from '../../host/reset.ts';
import { Rfc2023 } from '../../host/rfc2023.ts';
import type { Command, Scenario } from '../../scenario/types.ts';
import { encodeScenarioCommand } from './commands.ts';
import { type ExecContext, emulatorOnly } from './context.ts';
import { HOST1_BASE, HOST1_LIMIT } from './layout.ts';
import { execProfile } from './profile.ts';
import type { HostWorld } from './world.ts';

export function makeHostWorld(ctx: ExecContext): HostWorld | undefined {
  const s = ctx.scenario;
  if (s.host === undefined) return undefined;
  const port = new DevicePort(ctx.dev);
  const extraSmmus = makeExtraSmmus(ctx, s.host.smmus ?? 1);
  const ports = [port, ...extraSmmus.map((e) => new DevicePort(e.dev))];
  const extra = new Map((s.host.devices ?? []).map((d) => [d.device, d]));
  const devices = (s.devices ?? []).map((d) => {
    const x = extra.get(d.name);
    return {
      name: d.bdf !== undefined ? (d.bdf.length === 7 ? `0000:${d.bdf}` : d.bdf) : d.name,
      smmu: x?.smmu ?? 0,
      sids: [Number(d.sid)],
      canwbs: x?.canwbs ?? true,
      ...(x?.ats !== undefined ? { ats: x.ats } : {}),
      ...(x?.pasid_bits !== undefined ? { pasidBits: x.pasid_bits } : {}),
      ...(x?.stall !== undefined ? { stallEnabled: x.stall } : {}),
    };
  });
  const opts: IommufdOptions = {
    smmus: ports.map((p, i) => ({ name: `smmu${i}`, port: p })),
    devices,
    era: s.host.log_era ?? '6.14+',
    ...(s.host.flush_pending_on_error !== undefined ? { flushPendingOnError: s.host.flush_pending_on_error } : {}),
    ...(s.host.poll_budget !== undefined ? { pollBudget: s.host.poll_budget } : {}),
  };
  const fd = new Iommufd(opts);
  const devIds = new Map<string, number>();
  (s.devices ?? []).forEach((d, i) => devIds.set(d.name, fd.deviceId(devices[i]?.name ?? '') ?? i + 1));
  return {
    fd,
    rfc: s.host.uapi === 'rfc-2023' ? new Rfc2023(fd, opts) : undefined,
    port,
    extraSmmus,
    ports,
    devIds,
    names: new Map(),
    parents: new Map(),
    viommuParent: new Map(),
    vdevs: new Map(),
    veventqOf: new Map(),
    nestedParent: new Map(),
    its: new ItsDoorbell(),
    msi: undefined,
    guest: undefined,
    hostLog: [],
    guestEvents: [],
    logSeen: 0,
    rfcLogSeen: 0,
  };
}

/**
 * A host scenario's SMMUs are reset the Linux way: CFGI_ALL, TLBI_EL2_ALL (with IDR0.Hyp) and
 * TLBI_NSNH_ALL, each with its own CMD_SYNC (src/host/reset.ts), so host CMDQ indices match a
 * Linux host's. Reset-time log lines (only a CMD_SYNC timeout could produce one) are not kept.
 */
export function hostResetInvalidate(dev: DrivenSmmu): void {
  linuxResetInvalidate(new DevicePort(dev), () => undefined);
}

/**
 * SMMUs 1.. (`host.smmus`): each its own SmmuDevice with SMMU 0's profile over the same memory,
 * booted like SMMU 0 (same stream-table size and queue sizes, read back from SMMU 0's registers)
 * from the HOST1 allocator range (exec/layout.ts), so SMMU 0's layout is unchanged.
 */
function makeExtraSmmus(ctx: ExecContext, n: number): { dev: SmmuDevice; boot: BootInfo }[] {
  if (n <= 1) return [];
  emulatorOnly(ctx, `host.smmus: ${n}`);
  const ep = execProfile(ctx.scenario);
  const alloc = new PageAllocator(HOST1_BASE, HOST1_LIMIT, ctx.mem);
  const out: { dev: SmmuDevice; boot: BootInfo }[] = [];
  for (let i = 1; i < n; i++) {
    const dev = new SmmuDevice({ mem: ctx.mem, profile: ctx.dev.profile, cachePolicy: ep.cachePolicy });
    const r = (reg: number): bigint[] => [ctx.dev.readReg(reg)];
    const log2 = Number(STRTAB_BASE_CFG.get(r(REG.STRTAB_BASE_CFG), 'LOG2SIZE'));
    const boot = bootSmmu(dev, alloc, {
      ...ep.boot,
      sidBits: log2,
      invalidate: hostResetInvalidate,
      cmdqLog2: Number(CMDQ_BASE.get(r(REG.CMDQ_BASE), 'LOG2SIZE')),
      evtqLog2: Number(EVENTQ_BASE.get(r(REG.EVENTQ_BASE), 'LOG2SIZE')),
    });
    out.push({ dev, boot });
  }
  return out;
}

/** A physical event record through the host's event thread; returns the routing outcome. */
export function hostEvent(h: HostWorld, raw: readonly bigint[]): string {
  return h.fd.handleEvent(0, raw);
}

/** After a step's events: EVTQ overflow check, then new kernel log lines. */
export function hostAfterStep(h: HostWorld): void {
  h.fd.checkEvtqOverflow(0);
  for (; h.logSeen < h.fd.log.length; h.logSeen++) h.hostLog.push(h.fd.log[h.logSeen]?.line ?? '');
  if (h.rfc !== undefined) for (; h.rfcLogSeen < h.rfc.log.length; h.rfcLogSeen++) h.hostLog.push(h.rfc.log[h.rfcLogSeen]?.line ?? '');
}

/** Guest commands name devices by their vSID (devices[].vsid, else the StreamID). */
export function guestCommand(s: Scenario, c: Command, where: string): bigint[] {
  const guestView: Scenario = { ...s, devices: (s.devices ?? []).map((d) => ({ ...d, sid: d.vsid ?? d.sid })) };
  return encodeScenarioCommand(guestView, c, where);
}
