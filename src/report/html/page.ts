/**
 * The HTML report: one self-contained file (inline CSS/JS, no network) for a CI artifact.
 * Sections: verdict and totals (the same numbers as every reporter: summary.ts), run problems,
 * each failure (messages, first divergent field, unified diff with within-line highlight, event
 * records actual vs golden side by side, the walk of each DMA step drawn as a path), the matrix
 * of areas x rules of the coverage catalogue with pass/fail/skip/xfail per target (this run's, then
 * the runs merged with --matrix-with), and the
 * scenario list; filters on both tables. Markup is polyglot (well-formed XML) so tests can parse
 * it strictly; state is always spelled out, never colour alone.
 */
import { areaOf, type ResultState, type ScenarioResult } from '../../engine/result.ts';
import { escapeHtml as h } from '../escape.ts';
import { diffLines } from '../intraline.ts';
import { countByArea, countStates, problemName, type ReportInput, totals } from '../summary.ts';
import { CSS, JS } from './assets.ts';
import type { EventRow, FailureDetail, HtmlExtras } from './data.ts';
import { walkHtml } from './walk.ts';
import { type TraceCompareView, traceCompareSection } from './trace.ts';

/** Matrix columns: fail includes xpass and error (they fail the run). */
const MATRIX_STATES = ['pass', 'fail', 'skip', 'xfail'] as const;
type MatrixState = (typeof MATRIX_STATES)[number];

function matrixState(s: ResultState): MatrixState {
  return s === 'xpass' || s === 'error' ? 'fail' : s;
}

const BADGE: Record<ResultState, string> = { pass: 'pass', fail: 'fail', xpass: 'xpass', error: 'error', skip: 'skip-s', xfail: 'xfail' };

function badge(state: string, n?: number): string {
  const cls = n === 0 ? 'zero' : (BADGE[state as ResultState] ?? '');
  return `<span class="badge ${cls}">${n === undefined ? h(state.toUpperCase()) : n}</span>`;
}

export function failureAnchor(id: string): string {
  return `f-${id}`;
}

/** `traces`: trace-compare results to show side by side (`trace compare --html`). */
export function htmlReport(input: ReportInput, extras?: HtmlExtras, traces: readonly TraceCompareView[] = []): string {
  const t = totals(input);
  const c = countStates(input.results);
  const failing = input.results.filter((r) => r.state === 'fail' || r.state === 'xpass' || r.state === 'error' || r.state === 'xfail');
  const verdict = t.exitCode === 0 ? ['pass', 'all as expected'] : t.exitCode === 1 ? ['fail', 'failures'] : ['fail', 'invalid input'];
  const target = input.target ?? extras?.target ?? 'target';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<title>smmu-conform: ${c.total} scenarios, ${t.failures + t.errors} failing</title>
<style>${CSS}</style>
</head>
<body>
<a class="skip" href="#failures">Skip to failures</a>
<header>
<h1>smmu-conform report</h1>
<p><span id="verdict" class="verdict ${verdict[0] ?? ''}">${h(verdict[1] ?? '')} (exit ${t.exitCode})</span></p>
<ul class="totals" aria-label="totals">${(['pass', 'fail', 'skip', 'xfail', 'xpass', 'error'] as const).map((s) => `<li>${badge(s, c[s])} ${s}</li>`).join('')}<li class="muted">${c.total} scenarios on ${h(target)}${input.problems.length > 0 ? `, ${input.problems.length} run problem${input.problems.length === 1 ? '' : 's'}` : ''}</li></ul>
</header>
<main>
${problemsSection(input)}
<section id="failures" aria-labelledby="failures-h">
<h2 id="failures-h">Failures (${failing.length})</h2>
${failing.length === 0 ? '<p>No failing scenario.</p>' : failing.map((r) => failureHtml(r, extras?.failures[r.id], extras?.referenceDetails === true)).join('\n')}
</section>
${traceCompareSection(traces)}
${areaSection(input.results)}
${extras !== undefined ? matrixSection(input.results, { ...extras, target }) : ''}
${scenarioSection(input.results)}
</main>
<script>${JS}</script>
</body>
</html>
`;
}

function problemsSection(input: ReportInput): string {
  if (input.problems.length === 0) return '';
  const rows = input.problems.map(
    (p) => `<tr><td>${badge(p.severity === 'invalid' ? 'error' : 'fail')}</td><td><code>${h(problemName(p))}</code></td><td>${h(p.message)}</td></tr>`,
  );
  return `<section id="problems" aria-labelledby="problems-h"><h2 id="problems-h">Run problems (${input.problems.length})</h2><table><thead><tr><th scope="col">state</th><th scope="col">problem</th><th scope="col">message</th></tr></thead><tbody>${rows.join('')}</tbody></table></section>`;
}

function failureHtml(r: ScenarioResult, d: FailureDetail | undefined, reference = false): string {
  // The summary line stays short: the suggested command is in the body.
  const first = (r.messages[0]?.split('\n')[0] ?? r.state).replace(
    /; (to accept the new output|create it with|\S+ differs from the reference model)[ :(].*$/,
    '',
  );
  const divergence = r.divergence;
  const parts = [
    `<p class="msg"><a href="${h(r.file)}">${h(r.file)}</a></p>`,
    ...(divergence !== undefined ? [`<p class="divergence"><strong>First divergent field:</strong> ${h(divergence)}</p>`] : []),
    ...r.messages.map((m) => `<p class="msg">${h(m)}</p>`),
  ];
  if (r.diff !== undefined) parts.push('<h3>Golden diff (golden → actual)</h3>', diffHtml(r.diff));
  if (d !== undefined) {
    if (d.note !== undefined) parts.push(`<p class="muted">Details not available: ${h(d.note)}</p>`);
    if (d.events.length > 0 || d.goldenEvents.length > 0) {
      parts.push(
        '<h3>Event records</h3>',
        `<div class="sbs">${eventTable(reference ? 'Reference model (the target’s records are in the diff)' : 'Actual', d.events, d.goldenEvents)}${eventTable('Golden', d.goldenEvents, d.events)}</div>`,
      );
    }
    if (d.walks.length > 0)
      parts.push(`<h3>Walks of the DMA steps${reference ? ' (reference model)' : ''}</h3>`, ...d.walks.map((w) => walkHtml(w.step, w.lines)));
  }
  const cls = r.state === 'xfail' ? ' xfail-d' : '';
  return `<details class="failure${cls}" id="${h(failureAnchor(r.id))}" data-state="${r.state}"><summary>${badge(r.state)} <code>${h(r.id)}</code> — ${h(first)}</summary>${parts.join('\n')}</details>`;
}

function diffHtml(diff: string): string {
  const lines = diffLines(diff).map((l) => {
    const text = l.segments.map((s) => (s.changed ? `<mark>${h(s.text)}</mark>` : h(s.text))).join('');
    const cls = l.kind === '-' ? 'del' : l.kind === '+' ? 'add' : l.kind === '@' ? 'hunk' : l.kind === 'h' ? 'hdr' : 'ctx';
    const prefix = l.kind === '-' || l.kind === '+' ? l.kind : l.kind === ' ' ? ' ' : '';
    return `<span class="${cls}">${h(prefix)}${text}</span>`;
  });
  return `<pre class="diff" tabindex="0" aria-label="unified diff">${lines.join('')}</pre>`;
}

function eventTable(title: string, rows: readonly EventRow[], other: readonly EventRow[]): string {
  if (rows.length === 0) return `<div><h4>${h(title)}</h4><p class="muted">no event records</p></div>`;
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))].filter((k) => k !== 'raw');
  const body = rows.map(
    (r, i) =>
      `<tr>${keys
        .map((k) => {
          const v = r[k] ?? '';
          const differs = other[i] === undefined || (other[i]?.[k] ?? '') !== v;
          return `<td${differs ? ' class="ev-diff"' : ''}>${h(v)}</td>`;
        })
        .join('')}</tr>`,
  );
  return `<div><h4>${h(title)} (${rows.length})</h4><table><thead><tr>${keys.map((k) => `<th scope="col">${h(k)}</th>`).join('')}</tr></thead><tbody>${body.join('')}</tbody></table></div>`;
}

function areaSection(results: readonly ScenarioResult[]): string {
  const rows = countByArea(results).map(
    ([a, c]) =>
      `<tr><th scope="row">${h(a)}</th>${(['total', 'pass', 'fail', 'skip', 'xfail', 'xpass', 'error'] as const).map((k) => `<td class="n">${k === 'total' ? c[k] : badge(k, c[k])}</td>`).join('')}</tr>`,
  );
  return `<section id="areas" aria-labelledby="areas-h"><h2 id="areas-h">By area</h2><table><thead><tr><th scope="col">area</th>${['total', 'pass', 'fail', 'skip', 'xfail', 'xpass', 'error'].map((k) => `<th scope="col" class="n">${k}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table></section>`;
}

function matrixSection(results: readonly ScenarioResult[], x: HtmlExtras): string {
  // one column group per target: this run's first, then the runs given with --matrix-with
  const columns: Array<{ readonly target: string; readonly byId: ReadonlyMap<string, ResultState> }> = [
    { target: x.target, byId: new Map(results.map((r) => [r.id, r.state])) },
    ...(x.others ?? []).map((o) => ({ target: o.target, byId: new Map(o.results.map((r) => [r.id, r.state])) })),
  ];
  const byId = new Map(results.map((r) => [r.id, r]));
  const idsOf = new Map<string, string[]>();
  for (const [id, rules] of Object.entries(x.covers)) {
    if (!columns.some((c) => c.byId.has(id))) continue;
    for (const rule of rules) idsOf.set(rule, [...(idsOf.get(rule) ?? []), id]);
  }
  const areas = [...new Set(x.rules.map((r) => r.area))];
  const rows = x.rules.map((rule) => {
    const ids = idsOf.get(rule.id) ?? [];
    const count = (c: (typeof columns)[number], s: MatrixState): number =>
      ids.filter((id) => {
        const st = c.byId.get(id);
        return st !== undefined && matrixState(st) === s;
      }).length;
    const failing = columns.some((c) => count(c, 'fail') > 0);
    const links = ids
      .map((id) => {
        const r = byId.get(id);
        if (r === undefined) return `<code>${h(id)}</code>`;
        return r.state === 'pass' || r.state === 'skip'
          ? `<code>${h(r.id)}</code>`
          : `<a href="#${h(failureAnchor(r.id))}"><code>${h(r.id)}</code></a> ${badge(r.state)}`;
      })
      .join(', ');
    const cells = columns
      .map((c, i) =>
        MATRIX_STATES.map(
          (s) => `<td class="n${i > 0 && s === 'pass' ? ' tgt' : ''}" data-col="${s}" data-target="${h(c.target)}">${badge(s, count(c, s))}</td>`,
        ).join(''),
      )
      .join('');
    const text = `${rule.id} ${rule.title} ${ids.join(' ')}`.toLowerCase();
    return `<tr data-area="${h(rule.area)}" data-failing="${failing ? 1 : 0}" data-text="${h(text)}" data-rule="${h(rule.id)}"><td>${h(rule.area)}</td><td><code>${h(rule.id)}</code><br/>${h(rule.title)}</td><td class="muted">${h(rule.source)}</td>${cells}<td>${links === '' ? '<span class="muted">not covered</span>' : links}</td></tr>`;
  });
  const covered = x.rules.filter((r) => (idsOf.get(r.id) ?? []).length > 0).length;
  const groups = columns.map((c, i) => `<th scope="colgroup" colspan="${MATRIX_STATES.length}" class="n${i > 0 ? ' tgt' : ''}">${h(c.target)}</th>`).join('');
  const sub = columns
    .map((c, i) =>
      MATRIX_STATES.map((s) => `<th scope="col" class="n${i > 0 && s === 'pass' ? ' tgt' : ''}" abbr="${h(`${s} on ${c.target}`)}">${s}</th>`).join(''),
    )
    .join('');
  return `<section id="matrix" aria-labelledby="matrix-h">
<h2 id="matrix-h">Rules by area (${covered} of ${x.rules.length} rules with a selected scenario${columns.length > 1 ? `; ${columns.length} targets` : ''})</h2>
<div class="filters" role="search" aria-label="filter rules">
<label for="f-area">Area</label><select id="f-area"><option value="">all areas</option>${areas.map((a) => `<option value="${h(a)}">${h(a)}</option>`).join('')}</select>
<label><input type="checkbox" id="f-failing"/> only rules with failures</label>
<label for="f-text">Search</label><input type="search" id="f-text" placeholder="rule id, title or scenario"/>
<span id="matrix-count" class="count" aria-live="polite"></span>
</div>
<table id="matrix-table"><caption class="muted">Scenarios covering each rule of the catalogue, by result on each target (fail includes xpass and error).</caption>
<thead><tr><th scope="col" rowspan="2">area</th><th scope="col" rowspan="2">rule</th><th scope="col" rowspan="2">source</th>${groups}<th scope="col" rowspan="2">scenarios${columns.length > 1 ? ` (states on ${h(x.target)})` : ''}</th></tr>
<tr>${sub}</tr></thead>
<tbody>${rows.join('\n')}</tbody></table>
</section>`;
}

function scenarioSection(results: readonly ScenarioResult[]): string {
  const states = ['pass', 'fail', 'skip', 'xfail', 'xpass', 'error'] as const;
  const rows = results.map((r) => {
    const name = r.state === 'pass' || r.state === 'skip' ? `<code>${h(r.id)}</code>` : `<a href="#${h(failureAnchor(r.id))}"><code>${h(r.id)}</code></a>`;
    const why = r.state === 'pass' ? '' : h(r.messages[0]?.split('\n')[0] ?? '');
    return `<tr data-state="${r.state}" data-id="${h(r.id.toLowerCase())}"><td>${name}</td><td>${h(areaOf(r.id))}</td><td>${badge(r.state)}</td><td class="muted">${why}</td></tr>`;
  });
  return `<section id="scenarios" aria-labelledby="scenarios-h">
<h2 id="scenarios-h">Scenarios (${results.length})</h2>
<div class="filters" role="search" aria-label="filter scenarios">
<fieldset id="state-filters" style="border:0;padding:0;margin:0;display:flex;gap:12px"><legend class="muted" style="float:left;margin-right:6px">State</legend>${states.map((s) => `<label><input type="checkbox" value="${s}" checked="checked"/> ${s}</label>`).join('')}</fieldset>
<label for="s-text">Search</label><input type="search" id="s-text" placeholder="scenario id"/>
<span id="scenario-count" class="count" aria-live="polite"></span>
</div>
<table id="scenario-table"><thead><tr><th scope="col">scenario</th><th scope="col">area</th><th scope="col">state</th><th scope="col">why</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table>
</section>`;
}
