/**
 * Normalisations: how an observation from an external target is compared with the reference
 * golden. Each one is named, says why, and is reported with the result (never silent). Both the
 * golden and the target's observation are projected the same way, then compared as text, so the
 * first differing field is still named (src/golden/compare.ts).
 */
import { stringify, parse } from 'yaml';
import type { TargetCapabilities } from './contract.ts';

export interface Normalisation {
  readonly id: string;
  readonly why: string;
}

/** Fields of a dma step record that describe its transactions' outcomes (steps/dma.ts: txnFields, and per transaction results/pas/stags). */
const TXN_FIELDS = ['pa', 'event', 'recorded', 'raz', 'silent', 'stag', 'stages', 'results', 'pas', 'stags'];

export const NORMALISATIONS = {
  eventRaw: {
    id: 'event-raw',
    why: 'event records are compared by their architected fields; the raw dwords also hold RES0, IMPLEMENTATION DEFINED and UNKNOWN bits (§7.3) that any conformant SMMU may fill differently',
  },
  illegalReason: {
    id: 'illegal-reason',
    why: 'a DMA step names the ILLEGAL rule behind a C_BAD_STE / C_BAD_CD (`illegal:`), which only the reference model knows: an SMMU reports the event, not which check failed',
  },
  dmaOutcome: {
    id: 'dma-outcome',
    why: 'the transaction source reports no completion status or output address, so a DMA step is compared through the event queue only (its result, pa, event and recorded fields are not observed)',
  },
  targetIdregs: {
    id: 'target-idregs',
    why: "the golden's values depend on ID-register values the target does not have (OAS, SSIDSIZE, the architecture revision, …), so the target is compared with the reference model run with the target's own ID registers",
  },
} as const satisfies Record<string, Normalisation>;

/** The normalisations an external target with these capabilities needs. */
export function normalisationsFor(caps: TargetCapabilities): Normalisation[] {
  const out: Normalisation[] = [NORMALISATIONS.eventRaw, NORMALISATIONS.illegalReason];
  if (!caps.transactionOutcome) out.push(NORMALISATIONS.dmaOutcome);
  return out;
}

type Doc = Record<string, unknown>;

/** Canonical golden text → the same text with the named normalisations applied. */
export function projectCanonical(text: string, ids: readonly string[]): string {
  if (ids.length === 0) return text;
  const doc = parse(text) as Doc | null;
  if (doc === null || typeof doc !== 'object') return text;
  delete doc['permitted']; // the reference model's choice, not something the target reports
  const recs = (k: string): Array<Record<string, unknown>> => (Array.isArray(doc[k]) ? (doc[k] as Array<Record<string, unknown>>) : []);
  if (ids.includes(NORMALISATIONS.eventRaw.id)) {
    for (const e of [...recs('events'), ...recs('guest_events')]) delete e['raw'];
  }
  if (ids.includes(NORMALISATIONS.illegalReason.id)) {
    for (const s of recs('steps')) delete s['illegal'];
  }
  if (ids.includes(NORMALISATIONS.dmaOutcome.id)) {
    for (const s of recs('steps')) {
      if (s['op'] !== 'dma') continue;
      s['result'] = 'unobserved';
      for (const f of TXN_FIELDS) delete s[f];
    }
  }
  return stringify(doc, { lineWidth: 0 });
}

/**
 * Whether an inline `expect:` check (its path in the scenario: steps, i, kind, expect, key, …)
 * is about a value the named normalisations remove: such a check is not applied on the target.
 */
export function expectNormalised(path: readonly (string | number)[], ids: readonly string[]): boolean {
  const [, , kind, , key, sub] = path;
  if (ids.includes(NORMALISATIONS.dmaOutcome.id) && kind === 'dma') {
    if (key === 'result' || key === 'pa') return true;
    if (key === 'fields' && (sub === 'result' || TXN_FIELDS.includes(String(sub)))) return true;
  }
  if (ids.includes(NORMALISATIONS.illegalReason.id) && key === 'fields' && sub === 'illegal') return true;
  if (ids.includes(NORMALISATIONS.eventRaw.id) && key === 'events' && path.includes('raw')) return true;
  return false;
}
