/**
 * Compare core: align the records a scenario is expected to produce (from an emulator
 * Observation) with the records of an imported trace, under field masks (masks.ts), and report
 * matches, the first divergence with both records decoded side by side, and missing/extra
 * records. Alignment walks both lists and resynchronises within a small window, so one lost or
 * extra record shows as missing/extra instead of shifting every later pair.
 */
import { cmdqConsErr } from '../arch/registers.ts';
import { hex64 } from '../arch/fields.ts';
import { decodeEvent, eventType } from '../arch/event.ts';
import { EVENT_FIELD_NAMES } from '../linux/event-view.ts';
import { describeEvent, describeRecord, knownFields } from './decode.ts';
import { importDmesg } from './dmesg.ts';
import { type FieldDiff, type MaskProfile, type MaskSet, describeMasks, diffEvent, diffText, isMasked, resolveMasks } from './masks.ts';
import { type EventRecord, type Trace, type TraceRecord } from './types.ts';
import type { PairKindView, SideRowView } from '../report/html/trace.ts';

/** Minimal expected input; the engine's Observation maps onto it. */
export interface ExpectedRecords {
  events: Array<{ raw: bigint[] }>;
  cmdqErrors?: Array<{ cons: number; command?: bigint[] }>;
  /** Lines a Linux host would print (kernel formats, with or without prefixes). */
  hostLog?: string[];
}

export interface CompareOptions {
  readonly profile?: MaskProfile;
  readonly masks?: readonly string[];
  /** SMMU instance of the trace to compare; required when the trace has several. */
  readonly instance?: string;
}

/** How an expected record and a trace record were aligned (declared with the HTML view that shows it). */
export type PairKind = PairKindView;

export interface Pair {
  readonly kind: PairKind;
  /** Index into the expected list. */
  readonly expected?: number;
  /** Index into trace.records. */
  readonly actual?: number;
  readonly diffs?: FieldDiff[];
}

export interface CompareResult {
  readonly ok: boolean;
  readonly instance: string;
  readonly masks: MaskSet;
  readonly errors: string[];
  readonly warnings: string[];
  readonly events: Pair[];
  readonly other: Pair[];
  /** Expected non-event records (from hostLog or cmdqErrors), indexed by Pair.expected of `other`. */
  readonly expectedOther: TraceRecord[];
  readonly counts: Record<PairKind, number>;
  /** Trace records that cannot be trusted for a match (truncated, damaged, header/dw0 disagree): never MATCH. */
  readonly incomplete: string[];
  /** Every differing field is RES0, IMPLEMENTATION DEFINED or STAG: `--profile hardware` would mask them. */
  readonly onlyImpdef: boolean;
}

const OTHER_KINDS = new Set(['cmdq_error', 'sync_timeout', 'cmdq_timeout', 'overflow', 'gerror']);
const WINDOW = 8;

/** Greedy alignment with a resync window; `diff` returns undefined for equal records. */
function align<E, A>(
  exp: readonly E[],
  act: readonly A[],
  diff: (e: E, a: A) => FieldDiff[],
): Array<{ kind: PairKind; e?: number; a?: number; diffs?: FieldDiff[] }> {
  const out: Array<{ kind: PairKind; e?: number; a?: number; diffs?: FieldDiff[] }> = [];
  const eq = (i: number, j: number): boolean => diff(exp[i] as E, act[j] as A).length === 0;
  let i = 0;
  let j = 0;
  while (i < exp.length && j < act.length) {
    if (eq(i, j)) {
      out.push({ kind: 'match', e: i, a: j });
      i++;
      j++;
      continue;
    }
    let extra = 0;
    for (let k = 1; k <= WINDOW && j + k < act.length; k++)
      if (eq(i, j + k)) {
        extra = k;
        break;
      }
    let missing = 0;
    for (let k = 1; k <= WINDOW && i + k < exp.length; k++)
      if (eq(i + k, j)) {
        missing = k;
        break;
      }
    if (extra > 0 && (missing === 0 || extra <= missing)) {
      for (let k = 0; k < extra; k++) out.push({ kind: 'extra', a: j + k });
      j += extra;
    } else if (missing > 0) {
      for (let k = 0; k < missing; k++) out.push({ kind: 'missing', e: i + k });
      i += missing;
    } else {
      out.push({ kind: 'mismatch', e: i, a: j, diffs: diff(exp[i] as E, act[j] as A) });
      i++;
      j++;
    }
  }
  for (; i < exp.length; i++) out.push({ kind: 'missing', e: i });
  for (; j < act.length; j++) out.push({ kind: 'extra', a: j });
  return out;
}

function diffOther(e: TraceRecord, a: TraceRecord): FieldDiff[] {
  const d: FieldDiff[] = [];
  if (e.kind !== a.kind) return [{ field: 'kind', expected: 0n, actual: 1n, expectedText: e.kind, actualText: a.kind }];
  if (e.kind === 'cmdq_error' && a.kind === 'cmdq_error') {
    if (e.cerror !== a.cerror) d.push({ field: 'CERROR', expected: BigInt(e.cerror), actual: BigInt(a.cerror) });
    if (e.cons !== undefined && a.cons !== undefined && e.cons !== a.cons) d.push({ field: 'CONS', expected: BigInt(e.cons), actual: BigInt(a.cons) });
    for (let k = 0; k < 2; k++) {
      const x = e.command?.[k];
      const y = a.command?.[k];
      if (x !== undefined && y !== undefined && x !== y) d.push({ field: `command.dw${k}`, expected: x, actual: y });
    }
  }
  if (e.kind === 'gerror' && a.kind === 'gerror' && e.active !== undefined && a.active !== undefined && e.active !== a.active) {
    d.push({ field: 'GERROR.active', expected: BigInt(e.active), actual: BigInt(a.active) });
  }
  if (e.kind === 'overflow' && a.kind === 'overflow' && e.queue !== a.queue) d.push({ field: 'queue', expected: 0n, actual: 1n });
  return d;
}

/** Pick the trace instance to compare. */
function pickInstance(trace: Trace, opts: CompareOptions): { instance: string; error?: string } {
  if (opts.instance !== undefined) {
    if (!trace.instances.includes(opts.instance))
      return {
        instance: opts.instance,
        error: `Instance "${opts.instance}" is not in the trace (instances: ${trace.instances.map((x) => `"${x}"`).join(', ') || 'none'})`,
      };
    return { instance: opts.instance };
  }
  const withRecords = [...new Set(trace.records.filter((r) => r.kind !== 'suppressed').map((r) => r.instance))].sort();
  if (withRecords.length > 1)
    return { instance: '', error: `The trace has ${withRecords.length} SMMU instances (${withRecords.join(', ')}); choose one with --instance` };
  return { instance: withRecords[0] ?? '' };
}

export function compareTrace(expected: ExpectedRecords, trace: Trace, opts: CompareOptions = {}): CompareResult {
  const { masks, errors: maskErrors } = resolveMasks(opts.profile ?? 'architectural', opts.masks ?? []);
  const errors = maskErrors.map((e) => e.message);
  const warnings: string[] = [];
  const { instance, error } = pickInstance(trace, opts);
  if (error !== undefined) errors.push(error);
  const counts: Record<PairKind, number> = { match: 0, mismatch: 0, missing: 0, extra: 0 };
  if (errors.length > 0)
    return { ok: false, instance, masks, errors, warnings, events: [], other: [], expectedOther: [], counts, incomplete: [], onlyImpdef: false };

  const mine = trace.records.map((r, idx) => ({ r, idx })).filter((x) => x.r.instance === instance);
  const actEvents = mine.filter((x): x is { r: EventRecord; idx: number } => x.r.kind === 'event');
  // Rate-limit lines usually carry no device: count those against every instance.
  const suppressed = trace.records.reduce((n, r) => n + (r.kind === 'suppressed' && (r.instance === instance || r.instance === '') ? r.count : 0), 0);
  if (suppressed > 0) warnings.push(`the kernel rate limiter suppressed ${suppressed} message(s): records may be missing from the trace`);
  // PRI page requests come from the PRI queue, which the emulator does not have (IDR0.PRI = 0).
  const pri = mine.filter((x) => x.r.kind === 'pri');
  if (pri.length > 0)
    warnings.push(`${pri.length} PRI page request record(s) not compared (first on ${lines(pri[0]?.r as TraceRecord)}): the emulator has no PRI queue`);
  const incomplete: string[] = [];
  for (const x of actEvents) {
    const at = `trace record #${x.idx + 1} (${lines(x.r)})`;
    if (x.r.truncated) incomplete.push(`${at} is truncated (${x.r.raw.length}/4 dwords)`);
    if (x.r.damaged !== undefined) incomplete.push(`${at} has damaged dword${x.r.damaged.length === 1 ? '' : 's'} ${x.r.damaged.join(', ')}`);
    const type = x.r.raw.length > 0 ? eventType(x.r.raw) : undefined;
    if (x.r.headerType !== undefined && type !== undefined && x.r.headerType !== type)
      incomplete.push(`${at}: its header says event 0x${x.r.headerType.toString(16)} but dw0 Type = 0x${type.toString(16)}`);
  }
  for (const x of mine)
    if (x.r.kind === 'cmdq_error' && (x.r.commandTruncated || x.r.commandDamaged !== undefined))
      incomplete.push(`trace record #${x.idx + 1} (${lines(x.r)}): the command at CONS is ${x.r.commandTruncated ? 'truncated' : 'damaged'}`);

  const evPairs = align(expected.events, actEvents, (e, a) =>
    diffEvent(e.raw, a.r.raw, a.r.known !== undefined || a.r.truncated || a.r.damaged !== undefined ? knownFields(a.r) : undefined, masks),
  ).map(
    (p): Pair => ({
      kind: p.kind,
      ...(p.e !== undefined ? { expected: p.e } : {}),
      ...(p.a !== undefined ? { actual: actEvents[p.a]?.idx ?? -1 } : {}),
      ...(p.diffs ? { diffs: p.diffs } : {}),
    }),
  );

  // Other records: from the expected host log if given (it is in kernel format), else cmdqErrors.
  let expOther: TraceRecord[] = [];
  if (expected.hostLog !== undefined) {
    expOther = importDmesg(expected.hostLog.join('\n')).records.filter((r) => OTHER_KINDS.has(r.kind));
  } else if (expected.cmdqErrors !== undefined) {
    expOther = expected.cmdqErrors.map((c): TraceRecord => {
      const r: TraceRecord = { kind: 'cmdq_error', instance: '', lines: [], cons: c.cons >>> 0, cerror: cmdqConsErr(c.cons), reason: '' };
      if (c.command !== undefined) r.command = c.command;
      return r;
    });
  }
  const actOther = mine.filter((x) => OTHER_KINDS.has(x.r.kind));
  const otherPairs =
    expected.hostLog === undefined && expected.cmdqErrors === undefined
      ? []
      : align(expOther, actOther, (e, a) => diffOther(e, a.r)).map(
          (p): Pair => ({
            kind: p.kind,
            ...(p.e !== undefined ? { expected: p.e } : {}),
            ...(p.a !== undefined ? { actual: actOther[p.a]?.idx ?? -1 } : {}),
            ...(p.diffs ? { diffs: p.diffs } : {}),
          }),
        );

  for (const p of [...evPairs, ...otherPairs]) counts[p.kind]++;
  const ok = counts.mismatch === 0 && counts.missing === 0 && counts.extra === 0 && incomplete.length === 0;
  const diffs = evPairs.flatMap((p) => (p.kind === 'mismatch' ? (p.diffs ?? []) : []));
  const impdef = (f: string): boolean => f.startsWith('RES0') || f === 'STAG' || f === 'Reason' || f.startsWith('IMPDEF');
  const onlyImpdef = diffs.length > 0 && counts.missing === 0 && counts.extra === 0 && diffs.every((d) => impdef(d.field)) && masks.profile !== 'hardware';
  return { ok, instance, masks, errors, warnings, events: evPairs, other: otherPairs, expectedOther: expOther, counts, incomplete, onlyImpdef };
}

function fieldValue(name: string, v: bigint): string {
  if (name === 'Type') {
    const n = decodeEvent([v]).name;
    return `0x${v.toString(16).padStart(2, '0')}${n !== 'UNKNOWN' ? ` ${n}` : ''}`;
  }
  return `0x${v.toString(16)}`;
}

/** One field of an expected and a trace event side by side (text report and HTML report). */
export type SideRow = SideRowView;

/** The fields of both records' types, then the RES0 bits that differ, with both values. */
export function sideBySideRows(exp: readonly bigint[], act: EventRecord, diffs: readonly FieldDiff[], masks?: MaskSet): SideRow[] {
  const d1 = decodeEvent(exp).fields;
  const d2 = decodeEvent(act.raw).fields;
  const known = new Set(knownFields(act));
  const bad = new Set(diffs.map((d) => d.field));
  const names = [...new Set([...Object.keys(d1), ...Object.keys(d2)])];
  const rows: SideRow[] = names.map((name) => ({
    field: name,
    expected: name in d1 ? fieldValue(name, d1[name] ?? 0n) : '-',
    actual: !(name in d2) ? '-' : known.has(name) || !EVENT_FIELD_NAMES.includes(name) ? fieldValue(name, d2[name] ?? 0n) : '(not in trace)',
    differs: bad.has(name),
    masked: masks !== undefined && isMasked(masks, name, exp),
  }));
  for (const d of diffs)
    if (d.field.startsWith('RES0'))
      rows.push({ field: d.field, expected: `0x${d.expected.toString(16)}`, actual: `0x${d.actual.toString(16)}`, differs: true, masked: false });
  return rows;
}

/** Side-by-side decode of an expected and a trace event, marking differing fields with `*`. */
export function sideBySide(exp: readonly bigint[], act: EventRecord, diffs: readonly FieldDiff[], masks?: MaskSet): string[] {
  const rows = [`    ${'field'.padEnd(14)} ${'expected'.padEnd(22)} trace`];
  for (const r of sideBySideRows(exp, act, diffs, masks))
    rows.push(`  ${r.differs ? '*' : ' '} ${r.field.padEnd(14)} ${r.expected.padEnd(22)} ${r.actual}${r.masked ? '  (masked)' : ''}`);
  rows.push(`    ${'raw expected'.padEnd(14)} ${exp.map(hex64).join(' ')}`);
  rows.push(`    ${'raw trace'.padEnd(14)} ${act.raw.map(hex64).join(' ')}`);
  return rows;
}

export function lines(r: TraceRecord): string {
  const a = r.lines[0];
  const b = r.lines[r.lines.length - 1];
  return a === undefined ? 'no line' : a === b ? `line ${a}` : `lines ${a}-${b}`;
}

/** Readable text report. */
export function formatCompareReport(res: CompareResult, expected: ExpectedRecords, trace: Trace): string {
  const out: string[] = [];
  if (res.errors.length > 0) {
    for (const e of res.errors) out.push(`error: ${e}`);
    return `${out.join('\n')}\n`;
  }
  const nAct = trace.records.filter((r) => r.kind === 'event' && r.instance === res.instance).length;
  out.push(`trace compare: ${expected.events.length} expected event(s), ${nAct} in trace${res.instance !== '' ? ` (instance ${res.instance})` : ''}`);
  out.push(`profile ${res.masks.profile}; masked: ${describeMasks(res.masks)}`);
  for (const w of res.warnings) out.push(`warning: ${w}`);
  const c = res.counts;
  out.push(`records: ${c.match} match, ${c.mismatch} differ, ${c.missing} missing, ${c.extra} extra`);
  const first = res.events.find((p) => p.kind !== 'match');
  if (first !== undefined) {
    const e = first.expected !== undefined ? expected.events[first.expected] : undefined;
    const a = first.actual !== undefined ? trace.records[first.actual] : undefined;
    out.push('');
    if (first.kind === 'mismatch' && e !== undefined && a?.kind === 'event') {
      out.push(
        `first divergence: expected event #${(first.expected ?? 0) + 1} vs trace record #${(first.actual ?? 0) + 1} (${lines(a)}): ${first.diffs?.map((d) => d.field).join(', ')}`,
      );
      out.push(...sideBySide(e.raw, a, first.diffs ?? [], res.masks));
    } else if (first.kind === 'missing' && e !== undefined) {
      out.push(
        `first divergence: expected event #${(first.expected ?? 0) + 1} is missing from the trace: ${describeEvent({ kind: 'event', instance: '', lines: [], raw: e.raw })}`,
      );
    } else if (first.kind === 'extra' && a !== undefined) {
      out.push(`first divergence: trace record #${(first.actual ?? 0) + 1} (${lines(a)}) was not expected: ${describeRecord(a)}`);
    }
  }
  const rest = res.events.filter((p) => p.kind !== 'match' && p !== first);
  for (const p of rest) {
    if (p.kind === 'missing' && p.expected !== undefined)
      out.push(
        `missing: expected event #${p.expected + 1}: ${describeEvent({ kind: 'event', instance: '', lines: [], raw: expected.events[p.expected]?.raw ?? [] })}`,
      );
    else if (p.actual !== undefined) {
      const a = trace.records[p.actual];
      if (a === undefined) continue;
      if (p.kind === 'extra') out.push(`extra: trace record #${p.actual + 1} (${lines(a)}): ${describeRecord(a)}`);
      else out.push(`differs: expected event #${(p.expected ?? 0) + 1} vs trace record #${p.actual + 1} (${lines(a)}): ${p.diffs?.map(diffText).join('; ')}`);
    }
  }
  const firstOther = first === undefined ? res.other.find((p) => p.kind !== 'match') : undefined;
  if (firstOther !== undefined) {
    const e = res.expectedOther[firstOther.expected ?? -1];
    const a = firstOther.actual !== undefined ? trace.records[firstOther.actual] : undefined;
    out.push(
      '',
      `first divergence: ${firstOther.kind === 'mismatch' ? `${firstOther.diffs?.map((d) => d.field).join(', ')} of trace record #${(firstOther.actual ?? 0) + 1}${a ? ` (${lines(a)})` : ''}` : firstOther.kind === 'missing' ? 'an expected record is missing from the trace' : `trace record #${(firstOther.actual ?? 0) + 1}${a ? ` (${lines(a)})` : ''} was not expected`}`,
    );
    out.push(`    expected  ${e ? describeRecord(e) : '-'}`, `    trace     ${a ? describeRecord(a) : '-'}`);
  }
  for (const p of res.other) {
    if (p.kind === 'match') continue;
    const a = p.actual !== undefined ? trace.records[p.actual] : undefined;
    if (p.kind === 'extra' && a) out.push(`extra: trace record #${(p.actual ?? 0) + 1} (${lines(a)}): ${describeRecord(a)}`);
    else if (p.kind === 'missing') {
      const e = res.expectedOther[p.expected ?? -1];
      out.push(`missing: expected ${e ? describeRecord(e) : `record #${(p.expected ?? 0) + 1}`}`);
    } else if (a) out.push(`differs: trace record #${(p.actual ?? 0) + 1} (${lines(a)}): ${p.diffs?.map(diffText).join('; ')}`);
  }
  // Before the verdict: what makes the comparison untrustworthy, and the usual way out.
  for (const w of res.incomplete) out.push(`warning: ${w}: it cannot count as a match`);
  if (res.onlyImpdef) out.push('hint: only RES0, IMPLEMENTATION DEFINED or STAG fields differ; real hardware may set them: try --profile hardware');
  out.push('');
  const differ = res.counts.mismatch + res.counts.missing + res.counts.extra > 0;
  out.push(res.ok ? 'RESULT: MATCH' : differ ? 'RESULT: DIFFER' : 'RESULT: INCOMPLETE (the trace records that would match are truncated or damaged)');
  return `${out.join('\n')}\n`;
}
