/**
 * `covers:` must be true (issue 14 part 4): a scenario that claims a rule must show that rule's
 * observable in its golden, otherwise the coverage map counts a rule as covered by a scenario that
 * never exercises it (typically a negative case, "with AFFD=1 there is no Access flag fault",
 * claiming the positive rule). Only rule families whose observable is mechanical are checked:
 *
 *   event.<TYPE>[.s1|.s2[.<CLASS>]]   an event record of that type (S2 bit and CLASS as named)
 *   cmdq.CERROR_<X>.*                 that CERROR in the golden
 *   cmd.<OP>.illegal, cmd.unknown-opcode   CERROR_ILL in the golden
 *   cmd.<OP>.valid                     the scenario issues that command
 *
 * Every other family (walk shapes, caching, host behaviour) returns `undefined` from
 * {@link observableFor}: not checkable here, counted as such by callers, never silently passed.
 */

export interface Observable {
  /** What the golden (or scenario) must show, for the message. */
  readonly expected: string;
  readonly holds: (scenario: unknown, golden: unknown) => boolean;
}

/** Step kinds and queue spellings that issue a command, beyond its SMMUv3 name. */
const COMMAND_SPELLINGS: Readonly<Record<string, readonly string[]>> = {
  CMD_SYNC: ['SYNC'],
  RESUME: ['resume'],
};

/** The observable of a rule id, or undefined when its family is not mechanically checkable. */
export function observableFor(rule: string): Observable | undefined {
  const p = rule.split('.');
  const [family, a, b, c] = p;
  if (family === 'event' && a !== undefined && /^[CF]_[A-Z_]+$/.test(a)) {
    const s2 = b === 's2' ? 1 : b === 's1' ? 0 : undefined;
    const what = `an event record of type ${a}${s2 === undefined ? '' : ` with S2=${s2}`}${c === undefined ? '' : ` and CLASS=${c}`}`;
    return {
      expected: what,
      holds: (_s, g) => records(g).some((r) => r.type === a && (s2 === undefined || r.s2 === s2) && (c === undefined || r.class === c)),
    };
  }
  if (family === 'cmdq' && a !== undefined && a.startsWith('CERROR_')) return cerror(a);
  if (family === 'cmd' && (b === 'illegal' || a === 'unknown-opcode')) return cerror('CERROR_ILL');
  if (family === 'cmd' && b === 'valid' && a !== undefined) {
    const names = new Set([a, `CMD_${a}`, ...(COMMAND_SPELLINGS[a] ?? [])]);
    return {
      expected: `the scenario to issue ${a}`,
      holds: (s) => someString(s, (x) => names.has(x)) || someKey(s, (k) => names.has(k)),
    };
  }
  return undefined;
}

function cerror(name: string): Observable {
  return { expected: `${name} in the golden`, holds: (_s, g) => someString(g, (x) => x === name) };
}

/** Every mapping in the golden that has a string `type` (event records, forwarded vEVENTs). */
function records(v: unknown): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  const go = (x: unknown): void => {
    if (Array.isArray(x)) for (const y of x) go(y);
    else if (x !== null && typeof x === 'object') {
      const o = x as Record<string, unknown>;
      if (typeof o.type === 'string') out.push(o);
      for (const y of Object.values(o)) go(y);
    }
  };
  go(v);
  return out;
}

function someString(v: unknown, pred: (s: string) => boolean): boolean {
  if (typeof v === 'string') return pred(v);
  if (Array.isArray(v)) return v.some((x) => someString(x, pred));
  if (v !== null && typeof v === 'object') return Object.values(v).some((x) => someString(x, pred));
  return false;
}

function someKey(v: unknown, pred: (k: string) => boolean): boolean {
  if (Array.isArray(v)) return v.some((x) => someKey(x, pred));
  if (v !== null && typeof v === 'object') return Object.entries(v).some(([k, x]) => pred(k) || someKey(x, pred));
  return false;
}

export interface CoversGap {
  readonly rule: string;
  /** Index in the scenario's `covers` list, for locating the finding. */
  readonly index: number;
  readonly expected: string;
}

/** The claimed rules whose observable the golden does not show. */
export function coversGaps(covers: readonly string[], scenario: unknown, golden: unknown): CoversGap[] {
  const out: CoversGap[] = [];
  covers.forEach((rule, index) => {
    const o = observableFor(rule);
    if (o !== undefined && !o.holds(scenario, golden)) out.push({ rule, index, expected: o.expected });
  });
  return out;
}
