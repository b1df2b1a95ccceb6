/**
 * Register-configured MSIs (§3.18, §3.18.2): the event-queue interrupt (queue empty → non-empty)
 * and the GERROR interrupt (a global error activated). With IRQ_CTRL.<source>_IRQEN=1, IDR0.MSI=1
 * and <source>_IRQ_CFG0.ADDR != 0 the SMMU makes a 32-bit write of <source>_IRQ_CFG1.DATA to
 * ADDR (bits [1:0] zero, truncated to the OAS as for CMD_SYNC MSIs). An MSI to memory that
 * does not respond (unbacked here) is terminated with abort and activates
 * GERROR.MSI_<source>_ABT_ERR (§6.3.18); that does not affect later MSIs. MemAttr/SH (CFG2)
 * are recorded only as register state: the sparse memory model has no attributes.
 */
import { EVENTQ_IRQ_CFG0, EVENTQ_IRQ_CFG1, GERROR_BIT, GERROR_IRQ_CFG0, GERROR_IRQ_CFG1, IRQ_CTRL, REG } from '../arch/registers.ts';
import type { SparseMemory } from '../memory/sparse-memory.ts';
import type { RegFile } from './regfile.ts';

export type MsiSource = 'eventq' | 'gerror';

export interface MsiRecord {
  source: MsiSource;
  addr: bigint;
  data: number;
  /** The write was terminated with abort (GERROR.MSI_*_ABT_ERR activated). */
  aborted: boolean;
}

/** GERROR.MSI_EVENTQ_ABT_ERR [5] and MSI_GERROR_ABT_ERR [7] (§6.3.18). */
export const MSI_ABT_BIT: Readonly<Record<MsiSource, bigint>> = { eventq: GERROR_BIT.MSI_EVENTQ_ABT_ERR, gerror: GERROR_BIT.MSI_GERROR_ABT_ERR };

const SOURCES = {
  eventq: { enable: 'EVENTQ_IRQEN', cfg0: REG.EVENTQ_IRQ_CFG0, cfg1: REG.EVENTQ_IRQ_CFG1, c0: EVENTQ_IRQ_CFG0, c1: EVENTQ_IRQ_CFG1 },
  gerror: { enable: 'GERROR_IRQEN', cfg0: REG.GERROR_IRQ_CFG0, cfg1: REG.GERROR_IRQ_CFG1, c0: GERROR_IRQ_CFG0, c1: GERROR_IRQ_CFG1 },
} as const;

/** The interrupt source is enabled (IRQ_CTRLACK, which follows IRQ_CTRL at once here). */
export function irqEnabled(regs: RegFile, source: MsiSource): boolean {
  return IRQ_CTRL.get([regs.get(REG.IRQ_CTRLACK)], SOURCES[source].enable) === 1n;
}

/**
 * Signal `source` by MSI if it is enabled and configured, appending what was sent (or aborted)
 * to `log` — before any GERROR the abort activates, so the log is in causal order. Returns false
 * when no MSI is configured (a wired interrupt, if any, is the only signal).
 */
export function sendMsi(regs: RegFile, mem: SparseMemory, source: MsiSource, log: MsiRecord[]): boolean {
  const p = regs.profile;
  const s = SOURCES[source];
  if (!p.msi || !irqEnabled(regs, source)) return false;
  const addr = s.c0.get([regs.get(s.cfg0)], 'ADDR') & ((1n << BigInt(p.oas)) - 1n);
  if (addr === 0n) return false;
  const data = Number(s.c1.get([regs.get(s.cfg1)], 'DATA'));
  const aborted = !mem.isBacked(addr);
  log.push({ source, addr, data, aborted });
  if (aborted) regs.raiseGerror(MSI_ABT_BIT[source]);
  else mem.write32(addr, data);
  return true;
}
