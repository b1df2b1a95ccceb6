/**
 * Permitted outcomes: a target's (normalised) observation is accepted when it equals the
 * reference model's observation under any combination of the values the scenario's `permitted:`
 * declares (src/scenario/choices.ts). Returns the note naming the alternative, or undefined.
 */
import { canonicalGolden } from '../golden/canonical.ts';
import { CHOICES, type ChoiceName, combinations } from '../scenario/choices.ts';
import type { Scenario } from '../scenario/types.ts';
import { projectCanonical } from '../target/normalise.ts';
import type { Observation } from '../scenario/observation.ts';

export function matchPermitted(
  scenario: Scenario,
  targetProjected: string,
  norms: readonly string[],
  reference: (choices: Record<string, string>) => Observation,
): string | undefined {
  if (scenario.permitted === undefined) return undefined;
  for (const c of combinations(scenario.permitted)) {
    let alt: string;
    try {
      alt = projectCanonical(canonicalGolden(reference(c)), norms);
    } catch {
      continue; // a combination the reference model cannot run is not an alternative
    }
    if (alt === targetProjected) {
      return `matches the permitted alternative ${Object.entries(c)
        .map(([k, v]) => `${k}=${v} (${CHOICES[k as ChoiceName].section})`)
        .join(', ')}`;
    }
  }
  return undefined;
}
