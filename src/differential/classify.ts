/**
 * Deviation classes: a disagreement between the reference model and a target, reduced to the first
 * divergent field (src/golden/compare.ts divergencePoint) and the rule it touches, so that many
 * generated scenarios showing one deviation fall into one class. The key abstracts what varies
 * between instances of the same deviation (addresses, indices, counts) and keeps what names it
 * (section, event type, command, field, enumerated values such as CLASS=IN vs CD or a CERROR name).
 *
 * The rule a class touches: for a command-queue step, the command where the two queues part (the
 * first command the reference and the target did not both consume); for an event, its type (and,
 * for C_BAD_STE / C_BAD_CD, which ILLEGAL check the reference model applied: the step's `illegal`
 * id, src/smmu/config-checks.ts); the section comes from the rule catalogue (src/scenario/rules.ts).
 */
import { decodeCommand } from '../arch/command.ts';
import type { Divergence } from '../golden/compare.ts';
import type { Observation } from '../scenario/observation.ts';
import { RULES } from '../scenario/rules.ts';
import type { Scenario } from '../scenario/types.ts';

export interface DeviationClass {
  /** Stable id of the class: same deviation, same key (sorted on, deduplicated by). */
  readonly key: string;
  /** The first divergent field, abstracted: `events[F_TRANSLATION].class`, `steps[cmdq TLBI_EL2_ALL].result`. */
  readonly field: string;
  /** The rule it touches, one line. */
  readonly rule: string;
  /** Where the architecture states it (§...). */
  readonly section: string;
  /**
   * The rule the target breaks, apart from how it shows in this combination (causeOf): a class
   * whose cause is a known entry's cause is that known deviation seen in a new combination.
   */
  readonly cause?: string;
  /**
   * The wrong event the target records at the divergence, as the cause of an 'extra' class
   * (`extra event.F_TRANSLATION.s2.CD`), when it records one of another type, stage or CLASS
   * than the reference: a known entry whose target adds that very event explains the class too
   * (a CD fetch QEMU cannot make shows as a missing C_BAD_CD, or a CLASS=CD for an IN fault).
   */
  readonly targetCause?: string;
}

type Rec = Readonly<Record<string, unknown>>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Values that name something (enumerations, booleans) stay in the key; addresses and counts do not. */
export function abstractValue(v: unknown): string {
  if (v === undefined) return 'absent';
  if (v === null || typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return /^(?:[A-Z][A-Z0-9_]*|[a-z][a-z0-9_-]*)$/.test(v) ? v : '<value>';
  if (Array.isArray(v)) return v.every((x) => typeof x === 'string' && /^[A-Z][A-Z0-9_]*$/.test(x)) ? `[${v.join(',')}]` : '<list>';
  return '<value>';
}

/** Event record fields that are single bits (§7.3 common fields). */
const EVENT_FLAGS = new Set(['s2', 'rnw', 'pnu', 'ind', 'stall', 'ssv']);

const EVENT_SECTION = new Map<string, string>();
for (const r of RULES) {
  const m = /^event\.([A-Z_]+)(?:\.|$)/.exec(r.id);
  const s = /§[\d.]+\d/.exec(r.source);
  if (m?.[1] !== undefined && s !== null && !EVENT_SECTION.has(m[1])) EVENT_SECTION.set(m[1], s[0]);
}

/** The command family's section (SMMUv3 §4): where the command and its ILLEGAL conditions are defined. */
function commandSection(name: string): string {
  if (name.startsWith('PREFETCH')) return '§4.2';
  if (name.startsWith('CFGI')) return '§4.3';
  if (name.startsWith('TLBI')) return '§4.4';
  if (name.startsWith('ATC')) return '§4.5.1';
  if (name.startsWith('PRI')) return '§4.5.2';
  if (name === 'RESUME' || name === 'STALL_TERM') return '§4.7';
  if (name === 'SYNC') return '§4.7.3';
  return '§4.1.3'; // an unknown opcode: CERROR_ILL
}

/** Name of a scenario command: `op`, or the opcode its raw dwords carry. */
function commandName(c: Rec | undefined): string {
  if (c === undefined) return 'SYNC';
  if (typeof c['op'] === 'string') return c['op'];
  if (Array.isArray(c['raw'])) return decodeCommand((c['raw'] as unknown[]).map((x) => BigInt(x as bigint | number))).name;
  return 'UNKNOWN';
}

function stepBody(s: Scenario, step: number, kind: string): Rec | undefined {
  const st = s.steps[step - 1] as unknown as Rec | undefined;
  const b = st?.[kind];
  return isRec(b) ? b : undefined;
}

/** The command where a reference and a target queue part: the first one not consumed by both. */
function cmdqCommand(s: Scenario, e: Rec, a: Rec | undefined): string {
  const body = stepBody(s, Number(e['step']), 'cmdq');
  if (body === undefined) return 'command';
  const listed = Array.isArray(body['commands']) ? (body['commands'] as Rec[]) : [];
  const cmds = [...listed, ...(body['sync'] === true ? [undefined] : [])];
  const total = typeof e['commands'] === 'number' ? e['commands'] : cmds.length;
  const pad = Math.max(0, total - cmds.length); // CMD_SYNCs the step queued to reach `index`
  const ex = [e['executed'], a?.['executed']].filter((x): x is number => typeof x === 'number');
  const at = (ex.length > 0 ? Math.min(...ex) : 0) - pad;
  return at < 0 ? 'SYNC' : commandName(cmds[at]);
}

/** Which ILLEGAL check the reference applied at a step (C_BAD_STE / C_BAD_CD), from the unprojected observation. */
function illegalAt(ref: Observation, step: unknown): string | undefined {
  const r = ref.steps.find((x) => x.step === step);
  if (typeof r?.['illegal'] === 'string') return r['illegal'];
  // a DMA of several transactions records no single `illegal`: the same device's configuration is
  // the same ILLEGAL one in its other DMA steps (the STE or CD is checked per transaction)
  if (r?.op !== 'dma' || !Array.isArray(r['addrs'])) return undefined;
  const same = ref.steps.find((x) => x.op === 'dma' && x['device'] === r['device'] && typeof x['illegal'] === 'string');
  return typeof same?.['illegal'] === 'string' ? same['illegal'] : undefined;
}

function illegalSection(id: string): string {
  return id.startsWith('CD_') ? '§5.4' : '§5.2';
}

export function classify(s: Scenario, d: Divergence, ref: Observation): DeviationClass {
  const c = classifyKey(s, d, ref);
  const a = isRec(d.actualRecord) ? d.actualRecord : undefined;
  const e = isRec(d.expectedRecord) ? d.expectedRecord : undefined;
  const events = d.section === 'events' || d.section === 'guest_events';
  // the target's own wrong event, when it records one where the reference records another
  const wrong = events && a !== undefined && e !== undefined && d.kind === 'value' && (d.field === 'type' || d.field === 's2' || d.field === 'class');
  const where = d.section === 'guest_events' ? 'guest ' : '';
  return { ...c, cause: causeOf(d, ref, c), ...(wrong ? { targetCause: `${where}extra ${eventRule(a, ref)}` } : {}) };
}

/**
 * The rule a divergence breaks, independent of the combination it shows in: the reference's record
 * at the divergence named like the rule catalogue (src/scenario/rules.ts: `event.<TYPE>.<s1|s2>.
 * <CLASS>`; for F_PERMISSION the access that was checked, since AP[2], AP[1], XN/PXN and PAN are
 * separate rules; for C_BAD_STE / C_BAD_CD the ILLEGAL check). A missing event and an event
 * reported at the other stage are one cause: the target did not apply the reference's check (e.g.
 * an ignored stage-1 AP[1] shows as no event on a stage-1 stream and as the stage-2 fault that
 * comes next on a nested one). A field of the right event (CLASS, IPA) keeps the field. Anything
 * else (command queue, GERROR, a target failure) is its own cause: the class key.
 */
function causeOf(d: Divergence, ref: Observation, c: DeviationClass): string {
  const e = isRec(d.expectedRecord) ? d.expectedRecord : undefined;
  const a = isRec(d.actualRecord) ? d.actualRecord : undefined;
  if (d.section !== 'events' && d.section !== 'guest_events') return causeOfKey(c.key) ?? c.key;
  const where = d.section === 'guest_events' ? 'guest ' : '';
  const presence = / (missing|extra)(?: \([A-Z0-9_]+\))?$/.exec(c.key)?.[1];
  if (presence === 'missing' && e !== undefined) return `${where}missing ${eventRule(e, ref)}`;
  if (presence === 'extra' && a !== undefined) return `${where}extra ${eventRule(a, ref)}`;
  if (e !== undefined && d.field === 's2') return `${where}missing ${eventRule(e, ref)}`;
  if (e !== undefined && d.field !== undefined) return `${where}${eventRule(e, ref)} ${d.field}`;
  return c.key;
}

/**
 * The cause a class key names by itself: a command-queue class is about the command where the
 * two queues part (its ILLEGAL conditions, §4), whichever record field shows it first (`result`
 * where the reference stopped with CERROR_ILL and the target went on, `executed` where the batch
 * had more commands). Used for stored result lines and expectation entries too.
 */
export function causeOfKey(key: string): string | undefined {
  const m = /^steps\[cmdq ([A-Z0-9_]+)\]\./.exec(key);
  if (m !== null) return `cmdq ${m[1]}`;
  // a crashed target: what it said (an assertion), not how the connection to it ended (closed,
  // reset, timed out depends on the transport and on whether the process was reused)
  const said = /^target failed: .*?QEMU said: (?:\*\* \| )?(.+)$/.exec(key);
  return said === null ? undefined : `target crashed: ${said[1]}`;
}

const FAULT_EVENTS = new Set(['F_TRANSLATION', 'F_ADDR_SIZE', 'F_ACCESS', 'F_PERMISSION', 'F_WALK_EABT']);

/** An event record named as the rule it reports (the catalogue's ids, with the access of a permission check). */
function eventRule(r: Rec, ref: Observation): string {
  const type = String(r['type'] ?? 'event');
  if (!FAULT_EVENTS.has(type)) {
    const ill = /^C_BAD_(STE|CD)$/.test(type) ? illegalAt(ref, r['step']) : undefined;
    return `event.${type}${ill !== undefined ? ` (${ill})` : ''}`;
  }
  const id = `event.${type}.${r['s2'] === 1 ? 's2' : 's1'}.${String(r['class'] ?? 'IN')}`;
  if (type !== 'F_PERMISSION') return id;
  const access = [r['rnw'] === 0 ? 'write' : 'read', r['pnu'] === 1 ? 'privileged' : 'unprivileged', r['ind'] === 1 ? 'instruction' : 'data'];
  return `${id} (${access.join(', ')})`;
}

function classifyKey(s: Scenario, d: Divergence, ref: Observation): DeviationClass {
  const e = isRec(d.expectedRecord) ? d.expectedRecord : undefined;
  const a = isRec(d.actualRecord) ? d.actualRecord : undefined;
  const change = d.kind === 'count' ? '' : `${abstractValue(d.expected)} -> ${abstractValue(d.actual)}`;
  if (d.section === 'steps') {
    const r = e ?? a ?? {};
    const op = String(r['op'] ?? 'step');
    if (d.kind === 'count') return mk(`steps[${op}]`, `${op}: ${d.expectedCount} steps -> ${d.actualCount}`, 'the step sequence', '§3');
    const what = op === 'cmdq' && e !== undefined ? `cmdq ${cmdqCommand(s, e, a)}` : op;
    const section = op === 'cmdq' && e !== undefined ? commandSection(cmdqCommand(s, e, a)) : op === 'dma' ? '§3.2' : '§6.3';
    const field = `steps[${what}].${d.field ?? 'record'}`;
    return mk(
      field,
      `${field}: ${change}`,
      `${what}: ${d.field ?? 'record'} (reference ${abstractValue(d.expected)}, target ${abstractValue(d.actual)})`,
      section,
    );
  }
  if (d.section === 'events' || d.section === 'guest_events') {
    if (d.kind === 'count') {
      const missing = (d.expectedCount ?? 0) > (d.actualCount ?? 0);
      const r = (missing ? e : a) ?? {};
      return countClass(d.section, String(r['type'] ?? 'event'), missing, ref, r['step']);
    }
    if (d.field === 'step' && typeof d.expected === 'number' && typeof d.actual === 'number') {
      // the same kind of record, but in another step: the side with the earlier one recorded an
      // event the other did not (records are in queue order, so the first divergence is that step)
      const missing = d.expected < d.actual;
      const r = (missing ? e : a) ?? {};
      return countClass(d.section, String(r['type'] ?? 'event'), missing, ref, r['step']);
    }
    if (d.field === 'type' && typeof d.expected === 'string' && typeof d.actual === 'string') {
      const ill = /^C_BAD_(STE|CD)$/.test(d.expected) ? illegalAt(ref, e?.['step']) : undefined;
      return typeMismatchClass(d.section, d.expected, d.actual, ill);
    }
    const type = String(e?.['type'] ?? 'event');
    const ill = d.field === 'type' && /^C_BAD_(STE|CD)$/.test(type) ? illegalAt(ref, e?.['step']) : undefined;
    const why = ill !== undefined ? ` (${ill})` : '';
    const field = `${d.section}[${type}].${d.field ?? 'record'}`;
    // the one-bit fields of an event record (S2, RnW, PnU, InD, Stall) name the deviation: keep them
    const flag = (v: unknown): string => (d.field !== undefined && EVENT_FLAGS.has(d.field) && (v === 0 || v === 1) ? String(v) : abstractValue(v));
    return mk(
      field,
      `${field}: ${flag(d.expected)} -> ${flag(d.actual)}${why}`,
      `${type}: ${d.field ?? 'record'} (reference ${flag(d.expected)}, target ${flag(d.actual)})${why}`,
      ill !== undefined ? illegalSection(ill) : (EVENT_SECTION.get(type) ?? '§7.3'),
    );
  }
  const field = `${d.section}${d.field !== undefined ? `.${d.field}` : ''}`;
  const section = d.section === 'cmdq' ? '§6.3.28' : d.section === 'gerror' ? '§6.3.17' : '§3';
  if (d.kind === 'count') return mk(field, `${field}: count`, `${d.section}: ${d.expectedCount} records -> ${d.actualCount}`, section);
  return mk(field, `${field}: ${change}`, `${field} (reference ${abstractValue(d.expected)}, target ${abstractValue(d.actual)})`, section);
}

/**
 * One record where the other side has another type: the deviation is the event the target adds or
 * lacks. A configuration error (C_BAD_*) only the target records is a check it adds (`extra`);
 * otherwise the target lacks the reference's event (it does not make that check, or makes it after
 * another one: priority), whatever it recorded instead (the example's summary says what).
 */
function typeMismatchClass(section: string, expected: string, actual: string, ill: string | undefined): DeviationClass {
  const cfg = (t: string): boolean => t.startsWith('C_BAD_');
  // both configuration errors: the one found earlier in the lookup decides (STE before CD, §3.3.1)
  const order = ['C_BAD_STREAMID', 'C_BAD_STE', 'C_BAD_SUBSTREAMID', 'C_BAD_CD'];
  const earlier = cfg(actual) && cfg(expected) && order.indexOf(actual) >= 0 && order.indexOf(actual) < order.indexOf(expected);
  if ((cfg(actual) && !cfg(expected)) || earlier) return presenceClass(section, actual, false, undefined);
  return presenceClass(section, expected, true, ill);
}

/**
 * A stored class in today's form: keys `events[A].type: A -> B (ILL)` written before
 * typeMismatchClass existed, and, given the example's first-divergence summary, any record whose
 * type differs (the summary names both types).
 */
export function canonicalClass(c: DeviationClass, summary?: string): DeviationClass {
  const ill = /\(([A-Z0-9_]+)\)$/.exec(c.key)?.[1];
  const s = summary === undefined ? null : /^(events|guest_events)\[\d+\] \([^)]*\): field type: expected "([A-Z_]+)", got "([A-Z_]+)"$/.exec(summary);
  if (s !== null) return typeMismatchClass(s[1] as string, s[2] as string, s[3] as string, s[2]?.startsWith('C_BAD_') === true ? ill : undefined);
  const m = /^(events|guest_events)\[[A-Z_]+\]\.type: ([A-Z_]+) -> ([A-Z_]+)(?: \(([A-Z0-9_]+)\))?$/.exec(c.key);
  if (m === null) return c;
  return typeMismatchClass(m[1] as string, m[2] as string, m[3] as string, m[4]);
}

/** An event one side records and the other does not. */
function countClass(section: string, type: string, missing: boolean, ref: Observation, step: unknown): DeviationClass {
  return presenceClass(section, type, missing, missing && /^C_BAD_(STE|CD)$/.test(type) ? illegalAt(ref, step) : undefined);
}

function presenceClass(section: string, type: string, missing: boolean, ill: string | undefined): DeviationClass {
  const why = ill !== undefined ? ` (${ill})` : '';
  const field = `${section}[${type}]`;
  return mk(
    field,
    `${field}: ${missing ? 'missing' : 'extra'}${why}`,
    missing ? `${type} is recorded${why}; the target records no such event` : `the target records ${type} where the reference records none`,
    ill !== undefined ? illegalSection(ill) : (EVENT_SECTION.get(type) ?? '§7.3'),
  );
}

/** A target that failed (crashed, stopped answering): the class keeps the message without numbers and addresses. */
export function failureClass(message: string): DeviationClass {
  const m = message
    .replace(/^Target failed: /, '')
    .replace(/^step \d+ \([a-z_]+\): /, '')
    .replace(/0x[0-9a-fA-F_]+/g, '<value>')
    .replace(/\b(pid|after) \d+/g, '$1 <n>');
  const short = m.length > 160 ? `${m.slice(0, 157)}...` : m;
  return mk('target', `target failed: ${short}`, `the target failed: ${short}`, '§3');
}

function mk(field: string, key: string, rule: string, section: string): DeviationClass {
  return { key, field, rule, section };
}
