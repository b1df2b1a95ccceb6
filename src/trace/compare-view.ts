/**
 * A trace-compare result as plain strings for the HTML report (issue 17 part 4): each aligned
 * pair with the expected record and the imported one side by side, field by field (the rows the
 * text report prints, sideBySideRows), and the first divergent field of the first pair that does
 * not match — the same one `trace compare` names.
 */
import type { TraceCompareView } from '../report/html/trace.ts';
import { type CompareResult, type ExpectedRecords, type SideRow, lines, sideBySideRows } from './compare.ts';
import { describeEvent, describeRecord } from './decode.ts';
import { describeMasks, diffValues } from './masks.ts';
import { type EventRecord, type Trace, type TraceRecord } from './types.ts';

export type { TraceCompareView } from '../report/html/trace.ts';
type PairView = TraceCompareView['pairs'][number];

const asEvent = (raw: readonly bigint[]): EventRecord => ({ kind: 'event', instance: '', lines: [], raw: [...raw] });

export function compareView(res: CompareResult, expected: ExpectedRecords, trace: Trace, names: { scenario: string; trace: string }): TraceCompareView {
  const pairs: PairView[] = [];
  let first = true;
  const title = (kind: string, e: number | undefined, a: TraceRecord | undefined, ai: number | undefined): string =>
    [e !== undefined ? `expected ${kind} #${e + 1}` : undefined, a !== undefined && ai !== undefined ? `trace record #${ai + 1} (${lines(a)})` : undefined]
      .filter((x) => x !== undefined)
      .join(' / ');
  const add = (p: Omit<PairView, 'firstDivergent'>, firstField: string | undefined): void => {
    if (p.kind !== 'match' && first) {
      first = false;
      pairs.push({ ...p, firstDivergent: firstField ?? (p.kind === 'missing' ? '(record missing from the trace)' : '(record not expected)') });
    } else pairs.push(p);
  };
  for (const p of res.events) {
    const e = p.expected !== undefined ? expected.events[p.expected] : undefined;
    const a = p.actual !== undefined ? trace.records[p.actual] : undefined;
    const rows = e !== undefined && a?.kind === 'event' ? sideBySideRows(e.raw, a, p.diffs ?? [], res.masks) : [];
    add(
      {
        kind: p.kind,
        title: title('event', p.expected, a, p.actual),
        expected: e !== undefined ? describeEvent(asEvent(e.raw)) : '-',
        actual: a !== undefined ? describeRecord(a) : '-',
        rows,
      },
      p.diffs?.[0]?.field,
    );
  }
  for (const p of res.other) {
    const e = p.expected !== undefined ? res.expectedOther[p.expected] : undefined;
    const a = p.actual !== undefined ? trace.records[p.actual] : undefined;
    const rows = (p.diffs ?? []).map((d): SideRow => ({ field: d.field, ...diffValues(d), differs: true, masked: false }));
    add(
      {
        kind: p.kind,
        title: title('record', p.expected, a, p.actual),
        expected: e !== undefined ? describeRecord(e) : '-',
        actual: a !== undefined ? describeRecord(a) : '-',
        rows,
      },
      p.diffs?.[0]?.field,
    );
  }
  const differ = res.counts.mismatch + res.counts.missing + res.counts.extra > 0;
  return {
    scenario: names.scenario,
    trace: names.trace,
    instance: res.instance,
    profile: res.masks.profile,
    masked: describeMasks(res.masks),
    verdict: res.ok ? 'MATCH' : differ ? 'DIFFER' : 'INCOMPLETE',
    counts: { ...res.counts },
    warnings: [...res.warnings, ...res.incomplete.map((w) => `${w}: it cannot count as a match`)],
    pairs,
  };
}
