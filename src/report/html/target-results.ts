/**
 * Another run's results, read back from its JSON report (`run --reporter json:FILE`), so the HTML
 * report's matrix can show several targets side by side (`run --matrix-with FILE`).
 */
import { RESULT_STATES, type ResultState } from '../../engine/result.ts';

export interface TargetResults {
  /** The report's target (`qemu-7.2`); a run on the built-in emulator is `emulator`. */
  readonly target: string;
  readonly results: readonly { readonly id: string; readonly state: ResultState }[];
}

/** A JSON report's text → its target's results; a string says why it is not one. */
export function readTargetResults(text: string, file: string): TargetResults | string {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return `${file} is not a JSON report: ${e instanceof Error ? e.message : String(e)}`;
  }
  const d = doc as { target?: unknown; results?: unknown } | null;
  if (typeof d !== 'object' || d === null || !Array.isArray(d.results)) return `${file} is not a smmu-conform JSON report (no results list)`;
  const results: Array<{ id: string; state: ResultState }> = [];
  for (const r of d.results as Array<{ id?: unknown; state?: unknown } | null>) {
    if (typeof r?.id !== 'string' || !(RESULT_STATES as readonly unknown[]).includes(r.state))
      return `${file}: every result needs an id and a state (${RESULT_STATES.join(', ')})`;
    results.push({ id: r.id, state: r.state as ResultState });
  }
  return { target: typeof d.target === 'string' ? d.target : 'emulator', results };
}
