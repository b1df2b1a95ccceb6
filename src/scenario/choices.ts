/**
 * IMPLEMENTATION DEFINED choices a scenario can declare as permitted outcomes (`permitted:`):
 * where the architecture lets an implementation behave in more than one way, the scenario names
 * the choice and every value it permits. The golden records the value the reference model took;
 * an external target passes when it matches the observation of any permitted value, each of which
 * the reference model reproduces by running with that value (exec: ExecuteOptions.choices).
 */
export const CHOICES = {
  /** §4.1.5: a command with a non-zero Reserved (RES0) field may raise CERROR_ILL or be executed as if the field were zero. */
  cmd_res0: { values: ['ill', 'ignore'], section: '§4.1.5', what: 'a non-zero RES0 field in a command raises CERROR_ILL (ill) or is ignored (ignore)' },
  /**
   * §3.21: an SMMU may cache configuration and translations (used until invalidated: stale) or
   * not cache at all (fresh); only an invalidation guarantees the change is seen.
   */
  cache_policy: {
    values: ['max', 'none'],
    section: '§3.21',
    what: 'structures and translations are cached until invalidated (max: stale) or not cached (none: fresh)',
  },
} as const;

export type ChoiceName = keyof typeof CHOICES;
export const CHOICE_NAMES = Object.keys(CHOICES) as ChoiceName[];

/** Every combination of the permitted values (at most a handful: two choices of two values). */
export function combinations(permitted: Readonly<Partial<Record<ChoiceName, readonly string[]>>>): Array<Record<string, string>> {
  let out: Array<Record<string, string>> = [{}];
  for (const name of CHOICE_NAMES) {
    const vs = permitted[name];
    if (vs === undefined) continue;
    out = out.flatMap((c) => vs.map((v) => ({ ...c, [name]: v })));
  }
  return out;
}
