/**
 * The command-queue part of Linux's arm_smmu_device_reset (reference §3.4, §5): once CMDQEN is
 * set, invalidate all cached configuration, then the EL2 TLB (only with ARM_SMMU_FEAT_HYP, i.e.
 * IDR0.Hyp) and the Non-secure non-Hyp TLB, each command issued on its own with a CMD_SYNC
 * (arm_smmu_cmdq_issue_cmd_with_sync). With MSI polling each CMD_SYNC is CS=SIG_IRQ naming its
 * own queue slot, like every other host batch (driver-cmdq.ts).
 */
import { type Cmd, cmdCfgiAll, cmdSync, cmdTlbiEl2All, cmdTlbiNsnhAll } from './commands.ts';
import { type DriverIssueResult, type HostLogSink, driverIssue } from './driver-cmdq.ts';
import { probeFeatures } from './features.ts';
import type { HostSmmuPort } from './port.ts';

/** The reset batches in issue order, each ending with its CMD_SYNC (SEV form; see driverIssue). */
export function linuxResetBatches(hyp: boolean): Cmd[][] {
  const out: Cmd[][] = [[cmdCfgiAll(), cmdSync()]];
  if (hyp) out.push([cmdTlbiEl2All(), cmdSync()]);
  out.push([cmdTlbiNsnhAll(), cmdSync()]);
  return out;
}

export interface ResetOptions {
  /** The `disable_msipolling` module parameter. */
  readonly disableMsipolling?: boolean;
}

/** Issue the reset invalidations on a port whose CMDQ is enabled; stops at the first timeout. */
export function linuxResetInvalidate(port: HostSmmuPort, log: HostLogSink, o: ResetOptions = {}): DriverIssueResult[] {
  const f = probeFeatures(port.idRegs());
  const msiPolling = f.msi && f.coherent && !(o.disableMsipolling ?? false);
  const out: DriverIssueResult[] = [];
  for (const b of linuxResetBatches(f.hyp)) {
    const r = driverIssue(port, b, log, { msiPolling });
    out.push(r);
    if (!r.ok) break;
  }
  return out;
}
