// Structural mutation fuzzing of the suite's own scenarios (issue 12 part 6: totality). Each
// mutant is one suite scenario with 1-3 structural edits (numbers pushed to edge values, fields
// widened, keys dropped or copied, array entries duplicated or dropped, step kinds swapped, steps
// spliced in from other scenarios, register writes and `fields:` added). Every mutant goes
// through `validate` (the loader); the accepted ones also go through the executor under a budget.
// The contract checked: a mutant is either rejected with located, coded errors, or runs to an
// Observation; no exception escapes the executor and no run exceeds its budget.
// Mutant i is reproducible from i alone (seeded xorshift32, seeds in sorted file order).
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { STE } from '../src/arch/ste.ts';
import { CD } from '../src/arch/cd.ts';
import { executeScenario } from '../src/engine/execute.ts';
import { BudgetExceeded } from '../src/scenario/budget.ts';
import { loadScenarioText } from '../src/engine/load.ts';
import { FEATURES } from '../src/scenario/features.ts';
import { STEP_KINDS } from '../src/engine/steps/registry.ts';
import { REGISTERS } from '../src/scenario/vocab.ts';
import { xorshift32 } from './rng.ts';

const ROOT = fileURLToPath(new URL('../scenarios/', import.meta.url));

export interface Seed {
  readonly id: string;
  readonly data: unknown;
}

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...yamlFiles(p));
    else if (e.name.endsWith('.yaml')) out.push(p);
  }
  return out.sort();
}

let seedCache: Seed[] | undefined;
export function suiteSeeds(): readonly Seed[] {
  seedCache ??= yamlFiles(ROOT).map((f) => ({ id: relative(ROOT, f).replace(/\.yaml$/, ''), data: parse(readFileSync(f, 'utf8')) as unknown }));
  return seedCache;
}

/** Deterministic generator for mutant `seed` (the seed is spread so neighbouring indices differ). */
export function rng(seed: number): () => number {
  return xorshift32((seed * 2654435761) >>> 0);
}

type R = () => number;
const pick = <T>(r: R, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;

/** Edge values for integers: widths, alignment boundaries, 2^n and 2^n - 1 up to 64 bits. */
const EDGE_NUMBERS: readonly (number | string)[] = [
  0,
  1,
  2,
  3,
  7,
  8,
  15,
  16,
  19,
  20,
  21,
  31,
  32,
  33,
  47,
  48,
  52,
  53,
  63,
  64,
  65,
  255,
  256,
  4095,
  4096,
  4097,
  0xffff,
  0x10000,
  0xf_ffff,
  0x10_0000,
  0x1f_ffff,
  0x20_0000,
  0x3fff_ffff,
  0x4000_0000,
  0xffff_ffff,
  0x1_0000_0000,
  0xffff_ffff_ffff,
  0x1_0000_0000_0000,
  2 ** 52,
  2 ** 53 - 1,
  '0xffff_ffff_ffff_ffff',
  '0x8000_0000_0000_0000',
  '0x1_0000_0000_0000_0000',
  '0x000f_ffff_ffff_f000',
  '0xffff_ffff_ffff_f000',
  '0xffff_0000_0000_0000',
  -1,
  1.5,
];
const EDGE_SIZES: readonly (number | string)[] = ['1', 1, 8, '4K', '2M', '1G', '512G', '64K', '16K', '0x1000_0000_0000', '0x10_0000_0000', 4095, 4097, 0, '3K'];
const NAMEY = ['nic0', 'gpu', 'pt0', 'vm0', 'cd0', 's2', 'x', 'hwpt0', 'viommu0'];
const FIELD_NAMES: readonly string[] = [
  ...STE.fields.map((f) => f.name),
  ...CD.fields.map((f) => f.name),
  'SID',
  'SSID',
  'ASID',
  'VMID',
  'Address',
  'Range',
  'Size',
  'NUM',
  'SCALE',
  'TG',
  'TTL',
  'CS',
  'STAG',
  'Bogus',
  'NotAField',
];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

interface Slot {
  readonly parent: Record<string, unknown> | unknown[];
  readonly key: string | number;
  readonly value: unknown;
}

/** Every value in the tree, with its parent and key. */
function slots(root: unknown): Slot[] {
  const out: Slot[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v))
      v.forEach((x, i) => {
        out.push({ parent: v, key: i, value: x });
        walk(x);
      });
    else if (isRecord(v))
      for (const [k, x] of Object.entries(v)) {
        out.push({ parent: v, key: k, value: x });
        walk(x);
      }
  };
  walk(root);
  return out;
}

function set(s: Slot, v: unknown): void {
  (s.parent as Record<string | number, unknown>)[s.key] = v;
}

function isNumberish(v: unknown): boolean {
  return typeof v === 'number' || (typeof v === 'string' && /^(0[xX][0-9a-fA-F_]+|[0-9][0-9_]*[KMGkmg]?)$/.test(v));
}

const clone = <T>(v: T): T => structuredClone(v);

/** One structural edit of `doc` (in place). Returns a short label of what was done. */
function mutateOnce(doc: Record<string, unknown>, r: R, seeds: readonly Seed[]): string {
  const all = slots(doc);
  const maps = all.filter((s) => isRecord(s.value));
  const arrays = all.filter((s) => Array.isArray(s.value));
  const steps = Array.isArray(doc['steps']) ? (doc['steps'] as unknown[]) : undefined;
  switch (Math.floor(r() * 12)) {
    case 0:
    case 1: {
      // a number to an edge value (or derived from the old value)
      const nums = all.filter((s) => isNumberish(s.value));
      if (nums.length === 0) return 'none';
      const s = pick(r, nums);
      const key = String(s.key);
      const sizeLike = key === 'size' || key === 'ram_size';
      const roll = r();
      if (roll < 0.2 && typeof s.value === 'number') set(s, s.value + pick(r, [1, -1, 4096, -4096, 63, 64]));
      else if (roll < 0.35 && typeof s.value === 'number') set(s, s.value * pick(r, [2, 16, 512, 4096]));
      else set(s, sizeLike && r() < 0.6 ? pick(r, EDGE_SIZES) : pick(r, EDGE_NUMBERS));
      return `edge ${key}`;
    }
    case 2: {
      // drop a key
      if (maps.length === 0) return 'none';
      const m = pick(r, maps).value as Record<string, unknown>;
      const keys = Object.keys(m);
      if (keys.length === 0) return 'none';
      const k = pick(r, keys);
      delete m[k];
      return `drop ${k}`;
    }
    case 3: {
      // duplicate an array entry (devices, mappings, steps, commands, entries)
      if (arrays.length === 0) return 'none';
      const a = pick(r, arrays).value as unknown[];
      if (a.length === 0) return 'none';
      const i = Math.floor(r() * a.length);
      a.splice(Math.floor(r() * (a.length + 1)), 0, clone(a[i]));
      return 'dup entry';
    }
    case 4: {
      // drop an array entry
      if (arrays.length === 0) return 'none';
      const a = pick(r, arrays).value as unknown[];
      if (a.length === 0) return 'none';
      a.splice(Math.floor(r() * a.length), 1);
      return 'drop entry';
    }
    case 5: {
      // swap a step's kind, keeping its body
      if (steps === undefined || steps.length === 0) return 'none';
      const i = Math.floor(r() * steps.length);
      const st = steps[i];
      if (!isRecord(st)) return 'none';
      const body = Object.values(st)[0];
      const k = pick(r, STEP_KINDS);
      steps[i] = { [k]: body };
      return `kind ${k}`;
    }
    case 6: {
      // widen: add or change a `fields:` entry wherever `fields` is allowed
      const hosts = maps.filter((s) => {
        const m = s.value as Record<string, unknown>;
        return 'config' in m || 'op' in m || 'ssid' in m || 'type' in m || 'fields' in m || 'tt0' in m;
      });
      if (hosts.length === 0) return 'none';
      const m = pick(r, hosts).value as Record<string, unknown>;
      const f = isRecord(m['fields']) ? m['fields'] : {};
      f[pick(r, FIELD_NAMES)] = pick(r, EDGE_NUMBERS);
      m['fields'] = f;
      return 'fields';
    }
    case 7: {
      // copy a key from another map of this or another scenario
      if (maps.length === 0) return 'none';
      const dst = pick(r, maps).value as Record<string, unknown>;
      const other = r() < 0.5 ? maps : slots(pick(r, seeds).data).filter((s) => isRecord(s.value));
      if (other.length === 0) return 'none';
      const src = pick(r, other).value as Record<string, unknown>;
      const keys = Object.keys(src);
      if (keys.length === 0) return 'none';
      const k = pick(r, keys);
      dst[k] = clone(src[k]);
      return `copy ${k}`;
    }
    case 8: {
      // a name to another name
      const strs = all.filter((s) => typeof s.value === 'string' && /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(s.value) && s.key !== 'description');
      if (strs.length === 0) return 'none';
      const names = strs.map((s) => s.value as string);
      set(pick(r, strs), r() < 0.7 ? pick(r, names) : pick(r, NAMEY));
      return 'rename';
    }
    case 9: {
      // splice in a step from another scenario
      if (steps === undefined) return 'none';
      const other = pick(r, seeds).data;
      const os = isRecord(other) && Array.isArray(other['steps']) ? (other['steps'] as unknown[]) : [];
      if (os.length === 0) return 'none';
      steps.splice(Math.floor(r() * (steps.length + 1)), 0, clone(pick(r, os)));
      return 'splice step';
    }
    case 10: {
      // a register write with an edge value
      if (steps === undefined) return 'none';
      const reg = pick(r, REGISTERS);
      steps.splice(Math.floor(r() * (steps.length + 1)), 0, { write_reg: { reg, value: pick(r, EDGE_NUMBERS) } });
      return `write_reg ${reg}`;
    }
    default: {
      // a profile knob or feature flipped
      const smmu = isRecord(doc['smmu']) ? doc['smmu'] : {};
      doc['smmu'] = smmu;
      const roll = r();
      if (roll < 0.25) {
        // software's reset programming (boot:) and the constructs of part 2
        const boot = isRecord(doc['boot']) ? doc['boot'] : {};
        doc['boot'] = boot;
        const k = pick(r, ['strtab', 'cmdq', 'evtq', 'invalidate', 'index', 'ram']);
        if (k === 'invalidate') boot['invalidate'] = r() < 0.5;
        else if (k === 'strtab')
          boot['strtab'] = {
            fmt: pick(r, ['linear', '2level']),
            log2size: pick(r, [0, 4, 8, 12, 16, 20]),
            split: pick(r, [6, 8, 10]),
            ...(r() < 0.5 ? { l1: [{ index: pick(r, [0, 1, 3]), span: pick(r, [0, 1, 2, 9, 31]) }] } : {}),
          };
        else if (k === 'index' && steps !== undefined) steps.unshift({ cmdq: { commands: [{ op: 'TLBI_NSNH_ALL' }], index: pick(r, [0, 3, 12, 255]) } });
        else if (k === 'ram')
          doc['memory'] = {
            ...(isRecord(doc['memory']) ? doc['memory'] : {}),
            ram: [{ pa: pick(r, [0x8000_0000, 0x1000_0000, 0]), size: pick(r, ['4K', '64K', '2M']) }],
          };
        else boot[k] = { log2size: pick(r, [0, 1, 4, 8, 19]), start: pick(r, [0, 1, 15, 16, 31, 512]) };
        return `boot.${k}`;
      }
      if (roll < 0.5) {
        const feats = isRecord(smmu['features']) ? smmu['features'] : {};
        feats[pick(r, FEATURES)] = r() < 0.5;
        smmu['features'] = feats;
        return 'feature';
      }
      const k = pick(r, ['oas', 'sidsize', 'ssidsize', 'cmdq_log2size', 'evtq_log2size', 'strtab', 'split', 'cache_policy', 'recinvsid']);
      smmu[k] =
        k === 'strtab'
          ? pick(r, ['linear', '2level'])
          : k === 'cache_policy'
            ? pick(r, ['max', 'none'])
            : k === 'recinvsid'
              ? r() < 0.5
              : k === 'split'
                ? pick(r, [6, 8, 10])
                : pick(r, [0, 1, 2, 5, 8, 16, 19, 20, 32, 40, 48, 52]);
      return `smmu.${k}`;
    }
  }
}

export interface Mutant {
  readonly index: number;
  readonly seed: string;
  readonly edits: readonly string[];
  readonly text: string;
}

export function mutant(index: number, seeds: readonly Seed[] = suiteSeeds()): Mutant {
  const seed = seeds[index % seeds.length] as Seed;
  const r = rng(index + 1);
  const doc = clone(seed.data) as Record<string, unknown>;
  const edits: string[] = [];
  const n = 1 + Math.floor(r() * 3);
  for (let k = 0; k < n; k++) edits.push(mutateOnce(doc, r, seeds));
  return { index, seed: seed.id, edits, text: stringify(doc) };
}

export interface FuzzOptions {
  readonly from: number;
  readonly to: number;
  /** Run every accepted mutant whose index is a multiple of this (1: all). */
  readonly runEvery: number;
  /** Per-run budget handed to the executor. */
  readonly budget: { readonly maxSteps: number; readonly maxMs: number };
  /** Called before each run (progress, hang hunting). */
  readonly onRun?: (m: Mutant) => void;
  /** Called before each mutant is validated (progress: a hang in validate is attributed too). */
  readonly onMutant?: (m: Mutant) => void;
}

export interface FuzzReport {
  validated: number;
  rejected: number;
  accepted: number;
  ran: number;
  /** Runs stopped by the budget (each is a hang class to fix). */
  overBudget: number;
  /** Exceptions that escaped the executor, by class (first message line, numbers masked). */
  readonly escapes: Map<string, { count: number; example: string }>;
  /** Rejections that lack a location or a code. */
  readonly unlocated: string[];
  maxRunMs: number;
  /** The slowest run. */
  slowest: string;
}

export function fuzzScenarios(o: FuzzOptions): FuzzReport {
  const seeds = suiteSeeds();
  const rep: FuzzReport = { validated: 0, rejected: 0, accepted: 0, ran: 0, overBudget: 0, escapes: new Map(), unlocated: [], maxRunMs: 0, slowest: '' };
  const note = (cls: string, m: Mutant): void => {
    const e = rep.escapes.get(cls);
    if (e !== undefined) e.count++;
    else rep.escapes.set(cls, { count: 1, example: `mutant #${m.index} of ${m.seed} (${m.edits.join(', ')})` });
  };
  for (let i = o.from; i < o.to; i++) {
    const m = mutant(i, seeds);
    o.onMutant?.(m);
    const lines = m.text.split('\n').length;
    let res;
    try {
      res = loadScenarioText(m.text, { file: 'mutant.yaml' });
    } catch (e) {
      note(`validate threw: ${classOf(e)}`, m);
      continue;
    }
    rep.validated++;
    if (res.scenario === undefined) {
      rep.rejected++;
      for (const e of res.errors) {
        if (!(e.file === 'mutant.yaml' && e.line >= 1 && e.line <= lines + 1 && e.col >= 1 && e.message !== '')) {
          rep.unlocated.push(`#${i}: ${JSON.stringify(e)}`);
        }
      }
      continue;
    }
    rep.accepted++;
    if (i % o.runEvery !== 0) continue;
    o.onRun?.(m);
    const t0 = performance.now();
    try {
      executeScenario(res.scenario, { profile: { name: 'fuzz', features: [...FEATURES] }, budget: o.budget });
    } catch (e) {
      if (e instanceof BudgetExceeded) {
        rep.overBudget++;
        note(`over budget: ${e.message.replace(/\d+/g, 'N')}`, m);
      } else {
        note(classOf(e), m);
      }
    }
    rep.ran++;
    const ms = performance.now() - t0;
    if (ms > rep.maxRunMs) {
      rep.maxRunMs = ms;
      rep.slowest = `mutant #${m.index} of ${m.seed} (${m.edits.join(', ')})`;
    }
  }
  return rep;
}

function classOf(e: unknown): string {
  const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return (msg.split('\n')[0] ?? msg)
    .replace(/0x[0-9a-f_]+/gi, 'X')
    .replace(/\d+/g, 'N')
    .replace(/"[^"]*"/g, '"…"')
    .slice(0, 160);
}
