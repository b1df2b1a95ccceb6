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
    why: "event records are compared by their architected fields; the raw dwords also hold RES0, IMPLEMENTATION DEFINED and UNKNOWN bits (§7.3) that any conformant SMMU may fill differently. The same holds for the host kernel's raw dump of a record, and for the IPA it prints for a stage-1 fault (UNKNOWN, §7.3.13-§7.3.16): host_log keeps the decoded lines",
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
    if (Array.isArray(doc['host_log'])) doc['host_log'] = hostLogArchitected(doc['host_log'] as unknown[]);
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

const DUMP_HEADER = /^event 0x[0-9a-f]{2} received:$/;
const DUMP_DWORD = /^\t0x[0-9a-f]{16}$/;
const DECODED_IPA = / ipa: (0x[0-9a-f]+|0)$/;
const FAULT_STAGE = /^(?:priv|unpriv) \S+ \S+ (s1|s2) "/;

/**
 * The Linux event dump (src/linux/messages.ts) without what a conformant SMMU may fill
 * differently: the raw dword lines after `event 0xNN received:` become `\t<raw>`, and the IPA of
 * the decoded line becomes `UNKNOWN` when the fault line that follows says stage 1 (`s1`), since
 * a stage-1 fault's IPA field is UNKNOWN (§7.3.13-§7.3.16). Every other line is kept as is.
 */
export function hostLogArchitected(lines: readonly unknown[]): unknown[] {
  const out = [...lines];
  for (let i = 0; i < out.length; i++) {
    const line = out[i];
    if (typeof line !== 'string') continue;
    if (DUMP_HEADER.test(line)) {
      for (let j = i + 1; j < out.length && j <= i + 4 && typeof out[j] === 'string' && DUMP_DWORD.test(out[j] as string); j++) out[j] = '\t<raw>';
      continue;
    }
    const next = out[i + 1];
    if (line.startsWith('event: ') && DECODED_IPA.test(line) && typeof next === 'string' && FAULT_STAGE.exec(next)?.[1] === 's1')
      out[i] = line.replace(DECODED_IPA, ' ipa: UNKNOWN');
  }
  return out;
}
