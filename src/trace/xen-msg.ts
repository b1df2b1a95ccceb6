/**
 * Xen's SMMUv3 driver (xen/drivers/passthrough/arm/smmu-v3.c, a port of an older Linux driver)
 * prints most SMMU messages with Linux's wording, behind its own console prefix
 * `(XEN) [timestamp] SMMUv3: <device-tree path>: ` (log-line.ts finds the message after it).
 * The messages whose wording differs from today's Linux, read here:
 * - `CMD_SYNC timeout` with no queue indices (Linux prints `CMD_SYNC timeout at 0x.. [hwprod 0x..,
 *   hwcons 0x..]`): a sync_timeout record whose PROD / CONS are unknown;
 * - `failed to convert to CMD_SYNC` after the skipped command's dwords: the driver could not
 *   overwrite the illegal command at CONS, so it stays in the queue (`unconverted`).
 * The GERROR lines, `CMDQ error (cons 0x%08x): <reason>`, `retrying command fetch`, `skipping
 * command in error state:`, `CMDQ timeout` and the overflow lines are Linux's (dmesg.ts).
 */

/** `CMD_SYNC timeout` on its own (arm_smmu_cmdq_issue_sync). */
export const XEN_SYNC_TIMEOUT = 'CMD_SYNC timeout';

/** After `skipping command in error state:` and the command dwords (arm_smmu_cmdq_skip_err). */
export const XEN_CONVERT_FAILED = 'failed to convert to CMD_SYNC';

/**
 * The line's prefix is Xen's `SMMUv3: <device-tree path>: ` (a bare `CMD_SYNC timeout` from a
 * Linux prefix is a wrapped Linux line, not this form).
 */
export function isXenPrefix(driver: string | undefined, device: string | undefined): boolean {
  return driver === 'SMMUv3' && device !== undefined && device.startsWith('/');
}
