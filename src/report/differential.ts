/**
 * Differential report (`run --target T --reference`): each scenario run on the target and compared
 * with the reference model's observation (the golden): agree, target deviates (with the first
 * differing field, and the known-deviation rule when the target's expectation file lists it),
 * skipped (with the reason) or error; then a table by area.
 */
import { areaOf, type ScenarioResult } from '../engine/result.ts';

type Verdict = 'agree' | 'deviates' | 'skipped' | 'error';

function verdict(r: ScenarioResult): Verdict {
  switch (r.state) {
    case 'pass':
      return 'agree';
    case 'skip':
      return 'skipped';
    case 'error':
      return 'error';
    default:
      return r.golden === 'match' && r.state === 'xpass' ? 'agree' : 'deviates';
  }
}

function detail(r: ScenarioResult): string {
  const v = verdict(r);
  if (v === 'agree') return r.messages.find((m) => m.startsWith('matches the permitted alternative')) ?? '';
  if (v === 'skipped') return r.messages[0] ?? '';
  const field = r.divergence ?? r.messages.find((m) => m.startsWith('Target failed: ')) ?? r.messages[0] ?? '';
  const known = r.messages.find((m) => m.startsWith('known '));
  return known !== undefined ? `${field} [${known}]` : field;
}

export function differentialReport(target: string, results: readonly ScenarioResult[]): string {
  const out = [`differential: ${target} against the reference model (built-in emulator goldens)`, ''];
  const w = Math.max(8, ...results.map((r) => r.id.length));
  for (const r of results) out.push(`${verdict(r).padEnd(9)} ${r.id.padEnd(w)}  ${detail(r)}`.trimEnd());
  const areas = new Map<string, Record<Verdict, number>>();
  const all: Record<Verdict, number> = { agree: 0, deviates: 0, skipped: 0, error: 0 };
  for (const r of results) {
    const a = areas.get(areaOf(r.id)) ?? { agree: 0, deviates: 0, skipped: 0, error: 0 };
    a[verdict(r)]++;
    all[verdict(r)]++;
    areas.set(areaOf(r.id), a);
  }
  const aw = Math.max(5, ...[...areas.keys()].map((k) => k.length));
  out.push('', `${'area'.padEnd(aw)}  agree  deviates  skipped  error`);
  const row = (name: string, c: Record<Verdict, number>): string =>
    `${name.padEnd(aw)}  ${String(c.agree).padStart(5)}  ${String(c.deviates).padStart(8)}  ${String(c.skipped).padStart(7)}  ${String(c.error).padStart(5)}`;
  for (const k of [...areas.keys()].sort()) out.push(row(k, areas.get(k) as Record<Verdict, number>));
  out.push(row('all', all));
  return `${out.join('\n')}\n`;
}
