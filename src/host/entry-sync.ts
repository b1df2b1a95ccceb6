/**
 * Turning a write plan (write-entry.ts) into the command batches Linux submits. Each plan step is
 * followed by one synchronised batch: for an STE, CFGI_STE(SID, Leaf=1) + CMD_SYNC; for a CD,
 * CFGI_CD(SID, SSID, Leaf=1) for every stream of the master + CMD_SYNC. After the last STE write
 * Linux also issues PREFETCH_CONFIG for the SID (no sync of its own) unless the
 * `hisilicon,broken-prefetch-cmd` quirk is set.
 */
import { type Cmd, cmdCfgiCd, cmdCfgiSte, cmdPrefetchConfig, cmdSync } from './commands.ts';
import { type WritePlan, planEntryWrite } from './write-entry.ts';
import { CD_OPS, STE_OPS } from './used-bits.ts';

export interface EntryWriteBatch {
  /** Entry contents to store before submitting `cmds` (undefined for the prefetch batch). */
  readonly dwords?: bigint[];
  readonly cmds: Cmd[];
}

export function steWriteBatches(sid: number, plan: WritePlan, opts: { brokenPrefetch?: boolean; syncCs?: 0 | 1 | 2 } = {}): EntryWriteBatch[] {
  const out: EntryWriteBatch[] = plan.steps.map((s) => ({ dwords: s.dwords, cmds: [cmdCfgiSte(sid, true), cmdSync(opts.syncCs ?? 2)] }));
  if (!opts.brokenPrefetch) out.push({ cmds: [cmdPrefetchConfig(sid)] });
  return out;
}

export function cdWriteBatches(sids: readonly number[], ssid: number, plan: WritePlan, opts: { syncCs?: 0 | 1 | 2 } = {}): EntryWriteBatch[] {
  return plan.steps.map((s) => ({ dwords: s.dwords, cmds: [...sids.map((sid) => cmdCfgiCd(sid, ssid, true)), cmdSync(opts.syncCs ?? 2)] }));
}

export function planSteWrite(cur: readonly bigint[], target: readonly bigint[]): WritePlan {
  return planEntryWrite(STE_OPS, cur, target);
}
export function planCdWrite(cur: readonly bigint[], target: readonly bigint[]): WritePlan {
  return planEntryWrite(CD_OPS, cur, target);
}
