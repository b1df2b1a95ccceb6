/**
 * MSI doorbells in nested mode. To an SMMUv3 a device MSI is an ordinary 4-byte DMA write: there
 * is no interrupt-address window (unlike VT-d's 0xFEEx_xxxx range), so the write is translated
 * stage 1 (guest tables) then stage 2 (host tables) like any other transaction and lands
 * wherever they say. The host must therefore put the physical ITS doorbell
 * into the nest parent's stage 2 and the guest's stage 1 must lead the device's MSI IOVA to it.
 *
 * Doorbell: a GICv3 ITS at PA 0x0808_0000 (QEMU virt's ITS base); GITS_TRANSLATER is at offset
 * 0x1_0040 (second 64K frame), so the doorbell is PA 0x0809_0040 and its 4K page 0x0809_0000.
 *
 * Two host set-ups:
 * - cookie (2023 RFC / mainline SW_MSI): the host's msi_cookie lives on the stage-2 domain; the
 *   doorbell page is mapped at the first page of the MSI window (Linux MSI_IOVA_BASE 0x800_0000,
 *   length 0x10_0000) — an IPA. The guest maps its own MSI IOVA (any) in stage 1 to that IPA (the
 *   VMM tells it, e.g. as the vITS doorbell GPA: QEMU's `msi-gpa`).
 * - flat (v16 / IORT RMR): the host maps the doorbell in stage 2 at a host IOVA in the same
 *   window, and the VMM reports [0x800_0000, +1 MiB) to the guest as an RMR: the guest must keep
 *   it identity-mapped in stage 1 (IOVA == IPA) and never remap it. Linux honours RMRs as
 *   IOMMU_RESV_DIRECT(_RELAXABLE) regions it identity-maps and never allocates from, but nothing
 *   in the SMMU enforces that: a guest that remaps the range sends the MSI write to whatever
 *   its stage 1 now says — guest RAM (silent corruption, no interrupt) or an unmapped IPA (a
 *   stage-2 F_TRANSLATION the host logs, never forwarded) — and a guest that unmaps it gets a
 *   stage-1 F_TRANSLATION.
 */
import type { SmmuDevice } from '../smmu/device.ts';
import type { Iommufd } from './iommufd.ts';
import type { Result } from './uapi.ts';

export const ITS_BASE_PA = 0x0808_0000n;
/** GITS_TRANSLATER: ITS base + 0x1_0040. */
export const ITS_TRANSLATER_PA = ITS_BASE_PA + 0x1_0040n;
/** Linux's software MSI window on arm-smmu-v3 (MSI_IOVA_BASE, MSI_IOVA_LENGTH). */
export const MSI_IOVA_BASE = 0x800_0000n;
export const MSI_IOVA_LENGTH = 0x10_0000n;
const PAGE = 0x1000n;

/** The ITS doorbell: records what reached GITS_TRANSLATER (the EventID written by the device). */
export class ItsDoorbell {
  readonly translaterPa: bigint;
  readonly received: number[] = [];
  constructor(translaterPa: bigint = ITS_TRANSLATER_PA) {
    this.translaterPa = translaterPa;
  }
}

export interface MsiSetup {
  readonly mode: 'cookie' | 'flat';
  /** Stage-2 input address (IPA / host IOVA) of GITS_TRANSLATER. */
  readonly doorbellIpa: bigint;
  /** flat: the reserved range the guest must identity-map (its RMR). */
  readonly rmr?: { readonly base: bigint; readonly size: bigint };
}

/** Stage-2 attributes of the doorbell page: Device-nGnRE, write-only, never executable. */
const DOORBELL_ATTRS = { memAttr: 0b0001, s2ap: 0b10, xn: 2 };

function mapDoorbell(fd: Iommufd, parentHwptId: number, ipaPage: bigint, doorbellPa: bigint): Result {
  return fd.s2Map(parentHwptId, ipaPage, doorbellPa & ~(PAGE - 1n), PAGE, DOORBELL_ATTRS);
}

/** msi_cookie on the nest parent: the doorbell page at the first page of the MSI window (an IPA). */
export function setupMsiCookie(fd: Iommufd, parentHwptId: number, o: { windowBase?: bigint; doorbellPa?: bigint } = {}): Result<MsiSetup> {
  const base = o.windowBase ?? MSI_IOVA_BASE;
  const db = o.doorbellPa ?? ITS_TRANSLATER_PA;
  const r = mapDoorbell(fd, parentHwptId, base, db);
  if (r.errno !== 0) return r;
  return { errno: 0, mode: 'cookie', doorbellIpa: base + (db & (PAGE - 1n)) };
}

/** v16 flat mapping: the same stage-2 mapping, plus the RMR the guest must keep identity-mapped. */
export function setupMsiFlat(fd: Iommufd, parentHwptId: number, o: { rmrBase?: bigint; rmrSize?: bigint; doorbellPa?: bigint } = {}): Result<MsiSetup> {
  const base = o.rmrBase ?? MSI_IOVA_BASE;
  const db = o.doorbellPa ?? ITS_TRANSLATER_PA;
  const r = mapDoorbell(fd, parentHwptId, base, db);
  if (r.errno !== 0) return r;
  return { errno: 0, mode: 'flat', doorbellIpa: base + (db & (PAGE - 1n)), rmr: { base, size: o.rmrSize ?? MSI_IOVA_LENGTH } };
}

export type MsiOutcome =
  | { readonly delivered: bigint }
  /** Translated, but not to the doorbell: a plain 4-byte memory write at `landed` (no interrupt). */
  | { readonly landed: bigint; readonly backed: boolean }
  | { readonly fault: string };

/**
 * A device MSI: a 4-byte write of `data` to `iova` through the SMMU. `its` receives it when the
 * output PA is its GITS_TRANSLATER; any other PA gets the write into memory (if backed).
 */
export function deliverMsi(
  dev: SmmuDevice,
  stream: { sid: number; ssid?: number },
  iova: bigint,
  data: number,
  its: ItsDoorbell = new ItsDoorbell(),
): MsiOutcome {
  if ((iova & 3n) !== 0n) throw new RangeError(`Cannot deliver MSI to 0x${iova.toString(16)}: a PCIe MSI address is 4-byte aligned`);
  const r = dev.transaction({ sid: stream.sid, ...(stream.ssid !== undefined ? { ssid: stream.ssid } : {}), iova, access: 'write' });
  if (r.kind === 'stalled') return { fault: 'stalled' };
  if (r.kind === 'aborted') return { fault: r.event ?? (r.raz ? 'terminated-raz' : 'silent-abort') };
  if (r.pa === its.translaterPa) {
    its.received.push(data >>> 0);
    return { delivered: r.pa };
  }
  const backed = dev.mem.isBacked(r.pa);
  if (backed) dev.mem.write32(r.pa, data);
  return { landed: r.pa, backed };
}
