/**
 * IOMMUFD uAPI constants and payload layouts the host layer uses (reference §6.1-6.3), plus the
 * errno/result convention: every ioctl-like call returns `{ errno: 0, ... }` or
 * `{ errno: 'E...', reason }`, never throws on bad input.
 */
import { dwordsToBytes } from '../arch/dwords.ts';
import type { IdRegs } from '../smmu/profile.ts';

export type Errno = 'EINVAL' | 'EOPNOTSUPP' | 'E2BIG' | 'EIO' | 'ETIMEDOUT' | 'ENOENT' | 'EEXIST' | 'EBUSY' | 'ENOSPC' | 'EFAULT';
export type Result<T extends object = object> = ({ readonly errno: 0 } & T) | { readonly errno: Errno; readonly reason: string };

export const HW_INFO_TYPE_ARM_SMMUV3 = 2;
export const HW_INFO_ARM_SMMUV3_SIZE = 40;
export const HWPT_ALLOC_NEST_PARENT = 1;
export const HWPT_ALLOC_DIRTY_TRACKING = 2;
export const HWPT_ALLOC_PASID = 8;
export const HWPT_DATA_ARM_SMMUV3 = 2;
export const VIOMMU_TYPE_ARM_SMMUV3 = 1;

/**
 * struct iommu_hw_info_arm_smmuv3 (40 bytes: flags, __reserved, idr[6], iidr, aidr; raw MMIO
 * values) copied into a user buffer of `dataLen` bytes: truncated if shorter, zero-filled beyond.
 */
export function hwInfoBytes(r: IdRegs, dataLen: number): Uint8Array {
  const full = new Uint8Array(HW_INFO_ARM_SMMUV3_SIZE);
  const dv = new DataView(full.buffer);
  const words = [0n, 0n, r.idr0, r.idr1, r.idr2, r.idr3, r.idr4, r.idr5, r.iidr, r.aidr];
  words.forEach((w, i) => dv.setUint32(i * 4, Number(w & 0xffff_ffffn), true));
  const data = new Uint8Array(Math.max(0, dataLen));
  data.set(full.subarray(0, Math.min(full.length, data.length)));
  return data;
}

/** The 16-byte iommu_hwpt_arm_smmuv3 payload for a guest STE. */
export function vsteBytes(ste: readonly [bigint, bigint], extra: readonly number[] = []): Uint8Array {
  const b = dwordsToBytes(ste, new Uint8Array(16 + extra.length));
  b.set(extra, 16);
  return b;
}
