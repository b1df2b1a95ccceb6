/**
 * Inline `expect:` on steps: partial checks by stable identifiers (result kind, event type and
 * fields, CERROR and GERROR names), never by message text. Returns one line per mismatch.
 */
import { parseScenarioInt } from '../scenario/ints.ts';
import { type EventExpect, type Scenario, stepExpect, stepKind } from '../scenario/types.ts';
import type { EventRecord, ObsValue, Observation } from './types.ts';

export function checkExpectations(scenario: Scenario, obs: Observation): string[] {
  const out: string[] = [];
  scenario.steps.forEach((step, i) => {
    const exp = stepExpect(step);
    if (exp === undefined) return;
    const n = i + 1;
    const where = `step ${n} (${stepKind(step)})`;
    const rec = obs.steps.find((r) => r.step === n);
    if (exp.result !== undefined && rec?.result !== exp.result) {
      out.push(`${where}: expected result ${exp.result}, got ${rec === undefined ? 'no step record' : String(rec.result)}`);
    }
    if (exp.cerror !== undefined && rec?.['cerror'] !== exp.cerror) {
      out.push(`${where}: expected cerror ${exp.cerror}, got ${show(rec?.['cerror'])}`);
    }
    if (exp.gerror !== undefined) {
      const got = rec?.['gerror'];
      const gotList = Array.isArray(got) ? got.map(String).sort() : typeof got === 'string' ? [got] : [];
      const want = [...exp.gerror].sort();
      if (gotList.join(',') !== want.join(',')) out.push(`${where}: expected gerror [${want.join(', ')}], got [${gotList.join(', ')}]`);
    }
    if (exp.sync !== undefined) {
      const got = rec?.['sync'];
      const kinds = (Array.isArray(got) ? got.map(String) : []).map((x) => x.split(/[ +]/)[0] ?? x);
      if (kinds.join(',') !== exp.sync.join(',')) out.push(`${where}: expected CMD_SYNC signals [${exp.sync.join(', ')}], got [${kinds.join(', ')}]`);
    }
    if (exp.values !== undefined) {
      const got = rec?.['values'];
      const gotList = Array.isArray(got) ? got : [];
      const bad = exp.values.length !== gotList.length || exp.values.some((v, j) => !sameValue(v, gotList[j] ?? undefined));
      if (bad) out.push(`${where}: expected values [${exp.values.map(show).join(', ')}], got [${gotList.map(show).join(', ')}]`);
    }
    if (exp.events !== undefined) {
      const got = obs.events.filter((e) => e.step === n);
      if (got.length !== exp.events.length) {
        out.push(`${where}: expected ${exp.events.length} event(s) [${exp.events.map((e) => e.type).join(', ')}], got ${got.length} [${got.map((e) => e.type).join(', ')}]`);
      } else {
        exp.events.forEach((e, j) => {
          const m = eventMismatch(e, got[j] as EventRecord);
          if (m !== undefined) out.push(`${where} event ${j + 1}: ${m}`);
        });
      }
    }
  });
  return out;
}

function eventMismatch(exp: EventExpect, got: EventRecord): string | undefined {
  if (got.type !== exp.type) return `expected type ${exp.type}, got ${got.type}`;
  const { type: _type, fields, ...rest } = exp;
  const wanted: [string, unknown][] = [...Object.entries(rest), ...Object.entries(fields ?? {})];
  for (const [k, v] of wanted) {
    if (v === undefined) continue;
    const g = got[k] ?? got[k.toLowerCase()];
    if (!sameValue(v, g)) return `field ${k}: expected ${show(v)}, got ${show(g)}`;
  }
  return undefined;
}

function sameValue(exp: unknown, got: ObsValue | undefined): boolean {
  if (got === undefined) return false;
  if (typeof exp === 'boolean') return got === exp || got === (exp ? 1 : 0) || got === (exp ? 1n : 0n);
  if (typeof exp === 'bigint') {
    const g = typeof got === 'bigint' ? got : typeof got === 'number' || typeof got === 'string' ? parseScenarioInt(got) : undefined;
    return g === exp;
  }
  return got === exp;
}

function show(v: unknown): string {
  if (typeof v === 'bigint') return `0x${v.toString(16)}`;
  if (v === undefined) return 'nothing';
  return typeof v === 'string' ? v : JSON.stringify(v);
}
