/**
 * The VMM's CFGI_STE handling: read the guest STE from the guest's linear stream table (at an
 * IPA), keep only the fields a nested HWPT takes (the host's vSTE masks, as QEMU accel does),
 * allocate a nested HWPT on the vIOMMU and replace-attach the device to it, then destroy the
 * HWPT it replaced. A guest STE the host rejects (EIO: Config 6/7, bad EATS) or that cannot be
 * read is installed as an abort vSTE (V=1, Config=0): the device's DMA is blocked and the VMM
 * logs why; the SMMU would only report C_BAD_STE on the next transaction, which the host never
 * forwards for an abort STE, so no guest event is synthesised here.
 */
import { STRTAB_BASE, STRTAB_BASE_CFG } from '../arch/registers.ts';
import type { Iommufd } from '../host/iommufd.ts';
import { makeAbortSte } from '../host/ste-build.ts';
import { HWPT_DATA_ARM_SMMUV3, vsteBytes } from '../host/uapi.ts';
import { VSTE_DW0_ALLOWED, VSTE_DW1_ALLOWED } from '../host/vste.ts';
import type { GuestMemory } from './guest-mem.ts';

export interface SteSyncContext {
  readonly fd: Iommufd;
  readonly viommuId: number;
  readonly mem: GuestMemory;
  /** Guest SMMU_STRTAB_BASE and SMMU_STRTAB_BASE_CFG. */
  readonly strtabBase: bigint;
  readonly strtabCfg: bigint;
}

export type SteSyncResult =
  | { readonly ok: true; readonly hwptId: number; readonly vste: [bigint, bigint] }
  | { readonly ok: false; readonly reason: string; readonly hwptId?: number };

/** The vSTE of the host's abort STE (V=1, Config=abort): its first two dwords. */
const ABORT_VSTE: [bigint, bigint] = [makeAbortSte()[0] ?? 0n, makeAbortSte()[1] ?? 0n];

/** The guest STE of `vsid` (8 dwords), or a reason it cannot be read. */
export function readGuestSte(ctx: SteSyncContext, vsid: number): bigint[] | string {
  const fmt = Number(STRTAB_BASE_CFG.get([ctx.strtabCfg], 'FMT'));
  if (fmt !== 0) return `guest STRTAB_BASE_CFG.FMT ${fmt} is not linear (only the linear format is modelled)`;
  const log2 = Number(STRTAB_BASE_CFG.get([ctx.strtabCfg], 'LOG2SIZE'));
  if (vsid >= 2 ** log2) return `vSID 0x${vsid.toString(16)} is beyond the guest stream table (LOG2SIZE ${log2})`;
  const base = STRTAB_BASE.get([ctx.strtabBase], 'ADDR');
  const ste = ctx.mem.readWords(base + BigInt(vsid) * 64n, 8);
  return ste ?? `guest STE of vSID 0x${vsid.toString(16)} at IPA 0x${(base + BigInt(vsid) * 64n).toString(16)} is not guest RAM`;
}

/** Re-create the nested HWPT of one device from its guest STE; `oldHwpt` is destroyed once replaced. */
export function syncGuestSte(ctx: SteSyncContext, vsid: number, devId: number, oldHwpt: number | undefined): SteSyncResult {
  const raw = readGuestSte(ctx, vsid);
  let vste: [bigint, bigint];
  let why: string | undefined;
  if (typeof raw === 'string') {
    vste = ABORT_VSTE;
    why = raw;
  } else {
    vste = [(raw[0] ?? 0n) & VSTE_DW0_ALLOWED, (raw[1] ?? 0n) & VSTE_DW1_ALLOWED];
  }
  let h = ctx.fd.allocNestedHwpt({ devId, viommuId: ctx.viommuId, dataType: HWPT_DATA_ARM_SMMUV3, data: vsteBytes(vste) });
  if (h.errno !== 0) {
    why = `host rejected the guest STE of vSID 0x${vsid.toString(16)}: ${h.errno} ${h.reason}`;
    vste = ABORT_VSTE;
    h = ctx.fd.allocNestedHwpt({ devId, viommuId: ctx.viommuId, dataType: HWPT_DATA_ARM_SMMUV3, data: vsteBytes(vste) });
    if (h.errno !== 0) return { ok: false, reason: `${why}; abort vSTE also failed: ${h.reason}` };
  }
  const a = ctx.fd.attach(devId, h.hwptId);
  if (a.errno !== 0) {
    ctx.fd.destroy(h.hwptId);
    return { ok: false, reason: `attach of vSID 0x${vsid.toString(16)} failed: ${a.errno} ${a.reason}` };
  }
  if (oldHwpt !== undefined && oldHwpt !== h.hwptId) ctx.fd.destroy(oldHwpt);
  return why === undefined ? { ok: true, hwptId: h.hwptId, vste } : { ok: false, reason: why, hwptId: h.hwptId };
}
