/**
 * What an external target's observation is compared with. The golden holds the reference model's
 * observation on the reference part. A target whose ID registers differ (QEMU: OAS 44 bits,
 * SSIDSIZE 0, SMMUv3.1, no Hyp, …) is compared with the reference model run with the target's own
 * IDR values (ExecuteOptions.asTarget) wherever that run differs from a current golden: there the
 * golden's values depend on the difference (an SMMU with a 44-bit OAS must treat a 48-bit output
 * address as out of range), so no conformant target with those IDRs could match them. The switch
 * is named in the result (normalisation `target-idregs`, with the fields that differ).
 * Inline `expect:` checks run on the target too, except those about normalised values and those
 * the reference model itself does not meet with the target's IDRs.
 */
import { canonicalGolden } from '../golden/canonical.ts';
import type { ExecuteScenario, Observation, Profile } from '../scenario/observation.ts';
import type { Scenario } from '../scenario/types.ts';
import { makeProfile, type SmmuProfile } from '../smmu/profile.ts';
import { NORMALISATIONS, expectNormalised, projectCanonical } from '../target/normalise.ts';
import { type ExpectMismatch, expectMismatches } from './check-expect.ts';
import { execProfile } from './exec/profile.ts';

export interface TargetReference {
  /** The projected text the target is compared with (undefined: no golden). */
  readonly expected: string | undefined;
  /** Normalisations applied, target-idregs included when the reference ran with the target's IDRs. */
  readonly norms: readonly string[];
  /** The reference observation with the target's IDRs (for inline expectations), when it was run. */
  readonly reference?: Observation;
  /** Set when the comparison uses that run instead of the golden. */
  readonly asTarget?: Partial<SmmuProfile>;
  readonly note?: string;
}

interface IdDifference {
  readonly field: keyof SmmuProfile;
  /** `oas 48→44` */
  readonly text: string;
}

/** The IDR-determined fields where the target differs from the part this scenario runs as on the reference. */
export function idDifferences(scenario: Scenario, profile: Profile, idFields: Partial<SmmuProfile>): IdDifference[] {
  const ref = makeProfile(execProfile(scenario, profile.smmu).profile);
  const show = (v: unknown): string => (typeof v === 'object' && v !== null && !Array.isArray(v) ? Object.values(v).join('.') : String(v));
  const out: IdDifference[] = [];
  for (const [k, v] of Object.entries(idFields) as Array<[keyof SmmuProfile, unknown]>) {
    if (JSON.stringify(ref[k]) !== JSON.stringify(v)) out.push({ field: k, text: `${k} ${show(ref[k])}→${show(v)}` });
  }
  return out;
}

export function targetReference(
  scenario: Scenario,
  profile: Profile,
  exec: ExecuteScenario,
  golden: string | undefined,
  norms: readonly string[],
  target: { readonly name: string; readonly idFields: Partial<SmmuProfile> },
): TargetReference {
  const plain = { expected: golden === undefined ? undefined : projectCanonical(golden, norms), norms };
  const differs = idDifferences(scenario, profile, target.idFields);
  if (differs.length === 0 || golden === undefined) return plain;
  let reference: Observation;
  try {
    reference = exec(scenario, { profile, asTarget: target.idFields });
  } catch {
    return plain; // the reference model cannot run it with these IDRs: the golden stays the measure
  }
  const withIds = [...norms, NORMALISATIONS.targetIdregs.id];
  const run = (asTarget: Partial<SmmuProfile>): string | undefined => {
    try {
      return projectCanonical(canonicalGolden(exec(scenario, { profile, asTarget })), withIds);
    } catch {
      return undefined;
    }
  };
  const text = projectCanonical(canonicalGolden(reference), withIds);
  const goldenText = projectCanonical(golden, withIds);
  if (text === goldenText) return { ...plain, reference };
  // only a golden the reference model reproduces on its own part gives way: a stale or edited
  // golden stays the measure (and fails, as it does on the emulator)
  if (run({}) !== goldenText) return plain;
  // name the fields that change the outcome on their own (all of them when none does alone)
  const causes = differs.filter((d) => {
    const alone = run({ [d.field]: target.idFields[d.field] });
    return alone !== undefined && alone !== goldenText;
  });
  return {
    expected: text,
    norms: withIds,
    reference,
    asTarget: target.idFields,
    note: `compared with the reference model run with ${target.name}'s ID registers (the golden depends on ${(causes.length > 0 ? causes : differs).map((d) => d.text).join(', ')})`,
  };
}

/** Inline expectations that apply on the target and fail there. */
export function targetExpectMismatches(scenario: Scenario, obs: Observation, ref: TargetReference): ExpectMismatch[] {
  const misses = expectMismatches(scenario, obs).filter((m) => !expectNormalised(m.path, ref.norms));
  return ref.reference !== undefined ? alsoMissedBy(scenario, misses, ref.reference, false) : misses;
}

/**
 * The expectations of `misses` that `reference` meets (keep = false: drop those it misses too),
 * by expectation (steps, i, kind, expect, key): the reference may miss one on another sub-field.
 * Used with the reference run the target is compared with, and with the permitted alternative it matched.
 */
export function alsoMissedBy(scenario: Scenario, misses: readonly ExpectMismatch[], reference: Observation, keep: boolean): ExpectMismatch[] {
  const key = (m: ExpectMismatch): string => m.path.slice(0, 5).join('/');
  const refMiss = new Set(expectMismatches(scenario, reference).map(key));
  return misses.filter((m) => refMiss.has(key(m)) === keep);
}
