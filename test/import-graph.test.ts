// The import graph of src/ follows the layer table of docs/architecture.md: no import goes to a
// higher layer and no cycle exists, between files or between the table's paths. Type-only imports
// count (they still couple the modules).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface Layer {
  readonly level: number;
  readonly paths: readonly string[];
}

/** The rows between `<!-- layers` and `<!-- /layers -->`: `| n | \`path\`, \`path\` | what |`. */
export function parseLayers(md: string): Layer[] {
  const start = md.indexOf('<!-- layers');
  const end = md.indexOf('<!-- /layers -->');
  if (start < 0 || end < start) throw new Error('docs/architecture.md has no <!-- layers --> table');
  const layers: Layer[] = [];
  for (const line of md.slice(start, end).split('\n')) {
    const m = /^\|\s*(\d+)\s*\|([^|]*)\|/.exec(line);
    if (m === null) continue;
    const paths = [...(m[2] ?? '').matchAll(/`([^`]+)`/g)].map((x) => normalize(x[1] ?? ''));
    layers.push({ level: Number(m[1]), paths });
  }
  return layers;
}

/** Known cycles: lines of `<!-- cycle-exceptions -->`, each naming the files of one cycle in backticks. */
export function parseCycleExceptions(md: string): Set<string> {
  const start = md.indexOf('<!-- cycle-exceptions -->');
  const end = md.indexOf('<!-- /cycle-exceptions -->');
  if (start < 0 || end < start) return new Set();
  const out = new Set<string>();
  for (const line of md.slice(start, end).split('\n')) {
    if (!line.startsWith('- ')) continue;
    const files = [...line.split(':')[0]!.matchAll(/`([^`]+)`/g)].map((m) => normalize(m[1] ?? '')).sort();
    if (files.length > 1) out.add(files.join(' '));
  }
  return out;
}

/** Relative module specifiers a file depends on: import/export … from, import(), declare module. */
export function importsOf(text: string): string[] {
  const out: string[] = [];
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const patterns = [
    /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[\w*$]+\s*,?\s*)?(?:\{[^}]*\}\s*)?(?:\*\s+as\s+[\w$]+\s+)?from\s*['"]([^'"]+)['"]/g,
    /(?:^|[\s;])import\s*['"]([^'"]+)['"]/g,
    /import\(\s*['"]([^'"]+)['"]\s*\)/g,
    /declare\s+module\s+['"]([^'"]+)['"]/g,
  ];
  for (const re of patterns) for (const m of code.matchAll(re)) if ((m[1] ?? '').startsWith('.')) out.push(m[1] ?? '');
  return out;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

export interface GraphReport {
  readonly unplaced: string[];
  readonly unresolved: string[];
  readonly upward: string[];
  readonly cycles: string[][];
  readonly pathCycles: string[][];
}

/** Check files (path relative to the repository → text) against the layer table. */
export function checkGraph(files: ReadonlyMap<string, string>, layers: readonly Layer[]): GraphReport {
  const entries = layers.flatMap((l) => l.paths.map((p) => ({ path: p, level: l.level })));
  const placeOf = (f: string): { path: string; level: number } | undefined =>
    entries.filter((e) => f === e.path || f.startsWith(`${e.path}/`)).sort((a, b) => b.path.length - a.path.length)[0];
  const report: GraphReport = { unplaced: [], unresolved: [], upward: [], cycles: [], pathCycles: [] };
  const edges = new Map<string, string[]>();
  const pathEdges = new Map<string, Set<string>>();
  for (const [f, text] of files) {
    const from = placeOf(f);
    if (from === undefined) report.unplaced.push(f);
    const deps: string[] = [];
    for (const spec of importsOf(text)) {
      const target = normalize(join(dirname(f), spec)).replace(/\.js$/, '.ts');
      if (!files.has(target)) {
        report.unresolved.push(`${f} -> ${spec}`);
        continue;
      }
      deps.push(target);
      const to = placeOf(target);
      if (from === undefined || to === undefined) continue;
      if (to.level > from.level) report.upward.push(`${f} (layer ${from.level}, ${from.path}) imports ${target} (layer ${to.level}, ${to.path})`);
      if (to.path !== from.path) {
        const set = pathEdges.get(from.path) ?? new Set<string>();
        set.add(to.path);
        pathEdges.set(from.path, set);
      }
    }
    edges.set(f, deps);
  }
  report.cycles.push(...stronglyConnected(new Map([...edges].map(([k, v]) => [k, v]))));
  report.pathCycles.push(...stronglyConnected(new Map([...pathEdges].map(([k, v]) => [k, [...v]]))));
  return report;
}

/** Tarjan: every strongly connected component with more than one node (a cycle), sorted. */
function stronglyConnected(g: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    on.add(v);
    for (const w of g.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (on.has(w)) {
        low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
      }
    }
    if (low.get(v) === index.get(v)) {
      const comp: string[] = [];
      for (;;) {
        const w = stack.pop() as string;
        on.delete(w);
        comp.push(w);
        if (w === v) break;
      }
      if (comp.length > 1) out.push(comp.sort());
    }
  };
  for (const v of [...g.keys()].sort()) if (!index.has(v)) visit(v);
  return out;
}

t.test('src/ follows the layer table of docs/architecture.md', async (t) => {
  const layers = parseLayers(readFileSync(join(root, 'docs/architecture.md'), 'utf8'));
  t.ok(layers.length >= 5, 'the layer table is read');
  const files = new Map(sourceFiles(join(root, 'src')).map((p) => [relative(root, p), readFileSync(p, 'utf8')]));
  t.ok(files.size > 100, 'src/ is read');
  const r = checkGraph(files, layers);
  const known = parseCycleExceptions(readFileSync(join(root, 'docs/architecture.md'), 'utf8'));
  const key = (c: readonly string[]): string => [...c].sort().join(' ');
  t.same(r.unplaced, [], 'every file is in a layer');
  t.same(r.unresolved, [], 'every relative import resolves to a file of src/');
  t.same(r.upward, [], 'no import goes to a higher layer');
  t.same(
    r.cycles.filter((c) => !known.has(key(c))),
    [],
    'no import cycle between files (but the known ones)',
  );
  t.same(
    [...known].filter((k) => !r.cycles.some((c) => key(c) === k)),
    [],
    'every known cycle still exists (else drop it from the doc)',
  );
  t.same(r.pathCycles, [], 'no import cycle between the paths of the table');
});

t.test('the checker finds what it must (a small synthetic tree)', async (t) => {
  const layers = parseLayers('<!-- layers -->\n| 1 | `src/a` | low |\n| 2 | `src/b`, `src/c/leaf.ts` | high |\n<!-- /layers -->\n');
  t.same(layers, [
    { level: 1, paths: ['src/a'] },
    { level: 2, paths: ['src/b', 'src/c/leaf.ts'] },
  ]);
  const files = new Map([
    ['src/a/x.ts', "import type { Y } from '../b/y.ts';\n"],
    ['src/b/y.ts', "export { X } from '../a/x.ts';\n"],
    ['src/b/z.ts', "const w = await import('./w.ts');\n"],
    ['src/b/w.ts', "declare module './z.ts' { interface Z { w: 1 } }\n// import { no } from './nowhere.ts';\n"],
    ['src/c/leaf.ts', "import './gone.ts';\n"],
    ['src/d/free.ts', ''],
  ]);
  const r = checkGraph(files, layers);
  t.same(r.upward, ['src/a/x.ts (layer 1, src/a) imports src/b/y.ts (layer 2, src/b)'], 'a type-only import upward');
  t.same(
    r.cycles,
    [
      ['src/a/x.ts', 'src/b/y.ts'],
      ['src/b/w.ts', 'src/b/z.ts'],
    ],
    'cycles through export-from, import() and declare module',
  );
  t.same(r.pathCycles, [['src/a', 'src/b']], 'a cycle between table paths');
  t.same(r.unplaced, ['src/d/free.ts'], 'a file in no layer');
  t.same(r.unresolved, ['src/c/leaf.ts -> ./gone.ts'], 'a side-effect import that resolves nowhere; comments are not imports');
});
