/**
 * Output addresses a target cannot report but can check: the PA the golden gives each DMA write
 * that completes (a step's `pa`, or per transaction its `pas`), looked for by the target at that
 * PA (contract.ts expectPa). A write whose data is not there is a golden mismatch on `pa`.
 */
import { parse } from 'yaml';
import type { ExpectedPas, PaMiss } from '../scenario/observation.ts';

export type { ExpectedPas, PaMiss };

/** The expected PAs of the golden's DMA writes (only those: a read's data cannot be looked for). */
export function expectedWritePas(golden: string | undefined): ExpectedPas {
  const out = new Map<number, Array<bigint | null>>();
  if (golden === undefined) return out;
  let doc: unknown;
  try {
    doc = parse(golden);
  } catch {
    return out;
  }
  const steps = (doc as { steps?: unknown } | null)?.steps;
  if (!Array.isArray(steps)) return out;
  const pa = (v: unknown): bigint | null => (typeof v === 'string' && /^0x[0-9a-f]+$/i.test(v) ? BigInt(v) : null);
  for (const s of steps as Array<Record<string, unknown>>) {
    if (s['op'] !== 'dma' || s['access'] !== 'write' || typeof s['step'] !== 'number') continue;
    const list = Array.isArray(s['pas']) ? (s['pas'] as unknown[]).map(pa) : [pa(s['pa'])];
    if (list.some((p) => p !== null)) out.set(s['step'], list);
  }
  return out;
}

/** The golden-mismatch line for a write that did not land at its PA, naming step and field like src/golden/compare.ts. */
export function paMissMessage(m: PaMiss, target: string, multi: boolean): string {
  const field = multi ? `pas[${m.txn}]` : 'pa';
  return `steps[${m.step - 1}] (step ${m.step} dma): field ${field}: expected "0x${m.pa.toString(16).padStart(16, '0')}", but the write's data is not there (${target} cannot report the output address, so its memory at that PA is read back)`;
}
