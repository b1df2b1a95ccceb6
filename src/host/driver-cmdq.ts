/**
 * Linux-like command issue and GERROR handling (reference §3.3, §3.4, §7.2).
 *
 * issue(): submit a batch (the caller ends it with CMD_SYNC) and wait for the queue to drain.
 * Whenever GERROR.CMDQ_ERR is active the GERROR handler runs: log the active mask and
 * "CMDQ error (cons ...)", then per CERROR: ABT → "retrying command fetch" and nothing else;
 * ATC_INV_SYNC → nothing (the SYNC is re-executed); ILL/unknown → log the two dwords and
 * overwrite that ring slot with a CMD_SYNC; finally acknowledge by writing GERROR to GERRORN,
 * which lets the SMMU resume from CONS. The submitter never sees the CERROR. If the queue does
 * not drain within the poll budget (an injected stall, a SYNC that keeps faulting) the result is
 * ETIMEDOUT with the "CMD_SYNC timeout" line.
 */
import { CERROR, OPCODE, commandOpcode } from '../arch/command.ts';
import { type Ring, ringDec, ringEmpty, ringIndex } from '../arch/queue.ts';
import { CMDQ_CONS, GERROR_BIT, REG } from '../arch/registers.ts';
import { cmdSync } from './commands.ts';
import { GERROR_CAUSES, GERROR_ERR_MASK, formatCmdqError, formatSyncTimeout } from '../linux/messages.ts';
import type { HostSmmuPort } from './port.ts';

export interface HostLogSink {
  /** One kernel log record (without the device prefix); `level` as printk. */
  (level: 'err' | 'warn' | 'info', line: string): void;
}

/**
 * The Linux GERROR interrupt handler. Returns false when no handled error was active
 * (IRQ_NONE). `syncCs`: CS of the CMD_SYNC written over an illegal command (SEV normally).
 */
export function handleGerror(port: HostSmmuPort, log: HostLogSink, syncCs: 0 | 2 = 2): boolean {
  const gerror = port.readReg(REG.GERROR) & 0xffff_ffffn;
  const gerrorn = port.readReg(REG.GERRORN) & 0xffff_ffffn;
  const active = Number(gerror ^ gerrorn) & GERROR_ERR_MASK;
  if (active === 0) return false;
  log('warn', `unexpected global error reported (0x${active.toString(16).padStart(8, '0')}), this could be serious`);
  for (const c of GERROR_CAUSES) if ((active >>> c.bit) & 1) log(c.bit >= 4 && c.bit <= 7 ? 'warn' : 'err', c.text);
  if (active & 1) skipCmdqError(port, log, syncCs);
  port.writeReg(REG.GERRORN, gerror);
  return true;
}

/** arm_smmu_cmdq_skip_err: only an ILL (or unknown) error rewrites the slot at CONS. */
function skipCmdqError(port: HostSmmuPort, log: HostLogSink, syncCs: 0 | 2): void {
  const cons = port.readReg(REG.CMDQ_CONS) & 0xffff_ffffn;
  const err = Number(CMDQ_CONS.get([cons], 'ERR'));
  const idx = ringIndex({ log2: port.cmdqLog2Size() }, Number(cons));
  const skip = err !== CERROR.NONE && err !== CERROR.ABT && err !== CERROR.ATC_INV_SYNC;
  const bad = skip ? port.readCmdqEntry(idx) : undefined;
  for (const line of formatCmdqError(Number(cons), bad)) log('err', line);
  // the illegal command is never re-run: the SMMU resumes on a harmless CMD_SYNC
  if (skip) port.writeCmdqEntry(idx, cmdSync(syncCs));
}

/** `issued`: the batch as written to the ring (the trailing CMD_SYNC rewritten for MSI polling). */
export type DriverIssueResult =
  | { readonly ok: true; readonly issued: readonly (readonly bigint[])[] }
  | { readonly ok: false; readonly errno: 'ETIMEDOUT'; readonly issued: readonly (readonly bigint[])[] };

export interface DriverIssueOptions {
  /** How many GERROR rounds the 1 s poll budget stands for (deterministic stand-in for time). */
  readonly pollBudget?: number;
  /**
   * ARM_SMMU_OPT_MSIPOLL (IDR0.MSI, coherent SMMU, no `disable_msipolling`): a trailing CMD_SYNC
   * is sent as CS=IRQ with MSIAddress = its own queue slot and MSIData 0 (§3.4).
   */
  readonly msiPolling?: boolean;
}

/** Submit a batch and wait for CONS to pass it, handling CMDQ errors the Linux way. */
export function driverIssue(port: HostSmmuPort, cmds: readonly (readonly bigint[])[], log: HostLogSink, opts: DriverIssueOptions = {}): DriverIssueResult {
  const ring: Ring = { log2: port.cmdqLog2Size() };
  /** A 32-bit queue register as a number (index, wrap and, for CONS, ERR). */
  const reg32 = (o: number): number => Number(port.readReg(o) & 0xffff_ffffn);
  let batch = cmds;
  const last = cmds.at(-1);
  if (opts.msiPolling && last !== undefined && commandOpcode(last) === OPCODE.CMD_SYNC) {
    const size = 1 << ring.log2;
    const slot = (ringIndex(ring, reg32(REG.CMDQ_PROD)) + cmds.length - 1) % size;
    batch = [...cmds.slice(0, -1), cmdSync(1, port.cmdqEntryAddress(slot))];
  }
  const r = port.submit(batch);
  const stalled = r.stalled;
  const budget = opts.pollBudget ?? 16;
  for (let round = 0; ; round++) {
    const prod = reg32(REG.CMDQ_PROD);
    const active = (port.readReg(REG.GERROR) ^ port.readReg(REG.GERRORN)) & GERROR_BIT.CMDQ_ERR;
    if (ringEmpty(ring, prod, reg32(REG.CMDQ_CONS)) && active === 0n) return { ok: true, issued: batch };
    if (stalled || round >= budget || active === 0n) {
      for (const line of formatSyncTimeout(ringDec(ring, prod), reg32(REG.CMDQ_PROD), reg32(REG.CMDQ_CONS))) log('err', line);
      return { ok: false, errno: 'ETIMEDOUT', issued: batch };
    }
    handleGerror(port, log);
  }
}
