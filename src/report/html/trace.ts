/**
 * Trace-compare results in the HTML report (issue 17 part 4): per comparison the verdict and
 * counts, then each aligned record pair with the expected record (scenario run) and the
 * imported one (hardware/kernel/QEMU log) side by side, field by field. Differing fields are
 * marked in words and colour; the first divergent field — the one `trace compare` names — is
 * highlighted (`<mark>`) and linked from the summary. Masked fields say so.
 */
import { escapeHtml as h } from '../escape.ts';

/** How an expected record and a trace record were aligned (src/trace/compare.ts aligns them). */
export type PairKindView = 'match' | 'mismatch' | 'missing' | 'extra';

/** One field of both records, as printed (src/trace/compare.ts sideBySideRows builds them). */
export interface SideRowView {
  readonly field: string;
  readonly expected: string;
  readonly actual: string;
  readonly differs: boolean;
  readonly masked: boolean;
}

/** A trace-compare result as plain strings (built by src/trace/compare-view.ts). */
export interface PairView {
  readonly kind: PairKindView;
  /** `expected event #1 / trace record #2 (lines 3-7)`. */
  readonly title: string;
  readonly expected: string;
  readonly actual: string;
  /** Event pairs: every field of both types; other records: the fields that differ. */
  readonly rows: readonly SideRowView[];
  /** Set on the first pair that does not match: the field the text report names first. */
  readonly firstDivergent?: string;
}

export interface TraceCompareView {
  readonly scenario: string;
  readonly trace: string;
  readonly instance: string;
  readonly profile: string;
  readonly masked: string;
  readonly verdict: 'MATCH' | 'DIFFER' | 'INCOMPLETE';
  readonly counts: Readonly<Record<PairKindView, number>>;
  /** Warnings and records that cannot count as a match, as the text report prints them. */
  readonly warnings: readonly string[];
  readonly pairs: readonly PairView[];
}

const VERDICT_BADGE: Readonly<Record<TraceCompareView['verdict'], string>> = { MATCH: 'pass', DIFFER: 'fail', INCOMPLETE: 'error' };

export function traceCompareAnchor(index: number): string {
  return `tc-${index + 1}`;
}

function pairHtml(vi: number, p: TraceCompareView['pairs'][number], pi: number): string {
  const firstId = `${traceCompareAnchor(vi)}-first`;
  // The anchor of the first divergence: its field row, or the sentence when no row has it (a missing record).
  const onRow = p.rows.some((r) => r.field === p.firstDivergent);
  const rows = p.rows.map((r) => {
    const first = p.firstDivergent === r.field;
    const state = r.differs ? 'differs' : r.masked ? 'masked' : '';
    const cls = [r.differs ? 'ev-diff' : '', first ? 'first-div' : ''].filter((x) => x !== '').join(' ');
    const name = first ? `<mark>${h(r.field)}</mark>` : h(r.field);
    return `<tr${cls !== '' ? ` class="${cls}"` : ''}${first ? ` id="${h(firstId)}"` : ''} data-field="${h(r.field)}"><th scope="row">${name}</th><td>${h(r.expected)}</td><td>${h(r.actual)}</td><td class="muted">${state}</td></tr>`;
  });
  const table =
    rows.length === 0
      ? ''
      : `<table class="tc-sbs"><thead><tr><th scope="col">field</th><th scope="col">expected (scenario)</th><th scope="col">imported (trace)</th><th scope="col">state</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
  const first =
    p.firstDivergent !== undefined
      ? `<p class="divergence"${onRow ? '' : ` id="${h(firstId)}"`}><strong>First divergent field:</strong> ${h(p.firstDivergent)}</p>`
      : '';
  return `<div class="tc-pair" data-kind="${p.kind}" data-pair="${pi + 1}"><h4>${h(p.kind)}: ${h(p.title)}</h4>${first}<div class="sbs"><div><h5>expected</h5><p>${h(p.expected)}</p></div><div><h5>imported</h5><p>${h(p.actual)}</p></div></div>${table}</div>`;
}

function viewHtml(v: TraceCompareView, vi: number): string {
  const c = v.counts;
  const first = v.pairs.find((p) => p.firstDivergent !== undefined);
  const link = first !== undefined ? ` — first divergent field <a href="#${h(traceCompareAnchor(vi))}-first">${h(first.firstDivergent ?? '')}</a>` : '';
  return `<details class="trace-compare" id="${h(traceCompareAnchor(vi))}" data-verdict="${v.verdict}"${v.verdict === 'MATCH' ? '' : ' open="open"'}><summary><span class="badge ${VERDICT_BADGE[v.verdict]}">${v.verdict}</span> <code>${h(v.scenario)}</code> vs <code>${h(v.trace)}</code>: ${c.match} match, ${c.mismatch} differ, ${c.missing} missing, ${c.extra} extra${link}</summary>
<p class="muted">instance ${h(v.instance === '' ? '(none)' : v.instance)}; profile ${h(v.profile)}; masked: ${h(v.masked)}</p>
${v.warnings.map((w) => `<p class="msg">warning: ${h(w)}</p>`).join('')}
${v.pairs.map((p, pi) => pairHtml(vi, p, pi)).join('\n')}</details>`;
}

export function traceCompareSection(views: readonly TraceCompareView[]): string {
  if (views.length === 0) return '';
  return `<section id="trace-compare" aria-labelledby="trace-compare-h">
<h2 id="trace-compare-h">Trace compare (${views.length})</h2>
${views.map(viewHtml).join('\n')}
</section>`;
}
