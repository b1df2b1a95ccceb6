/**
 * Inline `expect:` on steps: partial checks by stable identifiers, independent of the golden.
 * Covered: result, pa, errno, cons (CMDQ_CONS with ERR and wrap), cerror, entry_num, gerror
 * (active bit names), any other step-record field (`fields`), register values after the step
 * (`regs`), CMD_SYNC signal kinds (`sync`), read_mem values (`values`), and events (count,
 * order, type and every given field). Every wrong field is
 * reported, each with the path of the expectation in the scenario so the runner can point at
 * file:line:col.
 */
import { parseScenarioInt } from '../scenario/ints.ts';
import { type EventExpect, type Expect, type Scenario, stepExpect, stepKind } from '../scenario/types.ts';
import type { EventRecord, ObsValue, Observation, StepRecord } from '../scenario/observation.ts';

export interface ExpectMismatch {
  /** 1-based step number. */
  readonly step: number;
  /** Path of the failed expectation in the scenario data (for file:line:col). */
  readonly path: readonly (string | number)[];
  /** `step 2 (dma): expect.pa: expected 0x8000_1000, got 0x8000_2000` */
  readonly message: string;
}

/** Step-record fields compared by name, in the order they are reported. */
const RECORD_FIELDS = ['result', 'pa', 'errno', 'cons', 'cerror', 'entry_num'] as const satisfies readonly (keyof Expect)[];

export function expectMismatches(scenario: Scenario, obs: Observation): ExpectMismatch[] {
  const out: ExpectMismatch[] = [];
  scenario.steps.forEach((step, i) => {
    const exp = stepExpect(step);
    if (exp === undefined) return;
    const n = i + 1;
    const kind = stepKind(step);
    const base = ['steps', i, kind, 'expect'] as const;
    const miss = (path: readonly (string | number)[], what: string, want: unknown, got: unknown): void => {
      out.push({ step: n, path: [...base, ...path], message: `step ${n} (${kind}): expect.${what}: expected ${show(want)}, got ${show(got)}` });
    };
    const rec: StepRecord | undefined = obs.steps.find((r) => r.step === n);
    if (rec === undefined) {
      out.push({ step: n, path: base, message: `step ${n} (${kind}): no step record to check expect against` });
      return;
    }
    for (const k of RECORD_FIELDS) {
      const want = exp[k];
      if (want !== undefined && !sameValue(want, rec[k])) miss([k], k, want, rec[k]);
    }
    if (exp.gerror !== undefined) {
      const got = rec['gerror'];
      const gotList = Array.isArray(got) ? got.map(String).sort() : typeof got === 'string' ? [got] : [];
      const want = [...exp.gerror].sort();
      if (gotList.join(',') !== want.join(',')) miss(['gerror'], 'gerror', `[${want.join(', ')}]`, `[${gotList.join(', ')}]`);
    }
    for (const [k, want] of Object.entries(exp.fields ?? {})) {
      if (!sameValue(want, rec[k])) miss(['fields', k], `fields.${k}`, want, rec[k]);
    }
    if (exp.regs !== undefined) {
      const got = obs.regs?.find((r) => r.step === n)?.values;
      for (const [k, want] of Object.entries(exp.regs)) {
        if (want !== undefined && !sameValue(want, got?.[k])) miss(['regs', k], `regs.${k}`, want, got?.[k]);
      }
    }
    if (exp.sync !== undefined) {
      // CMD_SYNC completion signals by kind (the first word of each `sync` entry), in order.
      const got = rec['sync'];
      const kinds = (Array.isArray(got) ? got.map(String) : []).map((x) => x.split(/[ +]/)[0] ?? x);
      if (kinds.join(',') !== exp.sync.join(',')) miss(['sync'], 'sync', `[${exp.sync.join(', ')}]`, `[${kinds.join(', ')}]`);
    }
    if (exp.values !== undefined) {
      const got = rec['values'];
      const gotList = Array.isArray(got) ? got : [];
      const bad = exp.values.length !== gotList.length || exp.values.some((v, j) => !sameValue(v, gotList[j] ?? undefined));
      if (bad) miss(['values'], 'values', `[${exp.values.map(show).join(', ')}]`, `[${gotList.map(show).join(', ')}]`);
    }
    if (exp.events !== undefined) {
      const got = obs.events.filter((e) => e.step === n);
      if (got.length !== exp.events.length) {
        miss(
          ['events'],
          'events',
          `${exp.events.length} event(s) [${exp.events.map((e) => e.type).join(', ')}]`,
          `${got.length} [${got.map((e) => e.type).join(', ')}]`,
        );
      } else {
        exp.events.forEach((e, j) => {
          for (const m of eventMismatches(e, got[j] as EventRecord)) miss(['events', j, ...m.path], `events[${j}].${m.what}`, m.want, m.got);
        });
      }
    }
  });
  return out;
}

/** The mismatches as unlocated lines (the runner adds file:line:col when it has the source). */
export function checkExpectations(scenario: Scenario, obs: Observation): string[] {
  return expectMismatches(scenario, obs).map((m) => m.message);
}

interface FieldMismatch {
  readonly path: readonly string[];
  readonly what: string;
  readonly want: unknown;
  readonly got: unknown;
}

function eventMismatches(exp: EventExpect, got: EventRecord): FieldMismatch[] {
  if (got.type !== exp.type) return [{ path: ['type'], what: 'type', want: exp.type, got: got.type }];
  const out: FieldMismatch[] = [];
  const { type: _type, fields, ...rest } = exp;
  for (const [k, v] of Object.entries(rest)) {
    if (v !== undefined && !sameValue(v, got[k])) out.push({ path: [k], what: k, want: v, got: got[k] });
  }
  for (const [k, v] of Object.entries(fields ?? {})) {
    const g = got[k] ?? got[k.toLowerCase()];
    if (!sameValue(v, g)) out.push({ path: ['fields', k], what: `fields.${k}`, want: v, got: g });
  }
  return out;
}

/** Numbers compare by value whatever their spelling (4096, 0x1000, '0x00001000'); names exactly. */
function sameValue(exp: unknown, got: ObsValue | undefined): boolean {
  if (got === undefined) return false;
  // a list field (a multi-transaction DMA's addrs/results/pas): element by element, null for null
  if (Array.isArray(exp)) {
    if (!Array.isArray(got) || got.length !== exp.length) return false;
    return exp.every((e, i) => (e === null ? got[i] === null : sameValue(e, got[i] ?? undefined)));
  }
  if (Array.isArray(got)) return false;
  if (typeof exp === 'boolean') return got === exp || got === (exp ? 1 : 0) || got === (exp ? 1n : 0n);
  if (got === exp) return true;
  const want = typeof exp === 'bigint' ? exp : parseScenarioInt(exp);
  if (want === undefined || typeof got === 'boolean' || got === null || Array.isArray(got)) return false;
  return (typeof got === 'bigint' ? got : parseScenarioInt(got)) === want;
}

function show(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x) => (x === null ? 'null' : show(x))).join(', ')}]`;
  if (typeof v === 'bigint') return `0x${v.toString(16)}`;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v < 10 ? String(v) : `${v} (0x${v.toString(16)})`;
  if (v === undefined) return 'nothing';
  return typeof v === 'string' ? v : JSON.stringify(v);
}
