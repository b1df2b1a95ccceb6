/**
 * `smmu-conform generate --seed S --count N [--area A ...] [--out DIR]`: random scenarios drawn
 * from the architecture (src/generate/), written as scenario YAML files `<id>.yaml` under DIR (a
 * scenario root: `smmu-conform validate --root DIR` / `run --root DIR` take it as it is), or to
 * stdout as one YAML stream. Same seed, same files byte for byte.
 */
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import type { GeneratedScenario, PartLimits } from '../generate/index.ts';
import { join, resolve } from 'node:path';
import { type Options, parseCommandArgs, str, strs } from './args.ts';
import { type CliIo, EXIT_INVALID, EXIT_OK } from './io.ts';

const OPTIONS: Options = {
  seed: { type: 'string' },
  count: { type: 'string' },
  area: { type: 'string', multiple: true },
  out: { type: 'string' },
  id: { type: 'string', multiple: true },
  profile: { type: 'string' },
};

export const GENERATE_HELP_TEXT = `Usage: smmu-conform generate --seed S --count N [--area A ...] [--profile FILE] [--out DIR]
       smmu-conform generate --id ID [--id ID ...] [--out DIR]

Generate N random scenarios from seed S (decimal or 0x hex, 32 bits), drawn from the architecture:
stream table formats, STE and CD configurations (legal and deliberately illegal), translation
tables of every granule, size, start level and concatenation, DMA at the edges of every mapping,
command batches, invalidations interleaved with remaps. Same seed, same scenarios, byte for byte.
Each scenario is \`gen-<area>-<its own seed>\`; --id rebuilds any one of them alone.

  --seed S     run seed (required)
  --count N    how many scenarios (required)
  --area A     draw only from these areas (repeatable); listed below
  --profile F  the SMMU part the scenarios are for (a profile file as for run --profile): only
               scenarios whose requires: it offers, addresses below its OAS
  --id ID      instead of --seed/--count: rebuild the scenario ID (gen-<area>-<8 hex digits>;
               repeatable)
  --out DIR    write DIR/<id>.yaml, one file per scenario (DIR is a scenario root for
               validate/run --root DIR); without --out the YAML goes to stdout, '---' between

Exit 0 written, 2 bad arguments.
`;

function parseU32(v: string | undefined, what: string): number | string {
  if (v === undefined) return `${what} is required`;
  const n = /^0x[0-9a-f]+$/i.test(v) ? Number.parseInt(v.slice(2), 16) : /^[0-9]+$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 0 || n > 0xffff_ffff) return `${what} must be an integer from 0 to 0xffffffff, not "${v}"`;
  return n;
}

/** The help text with the areas listed (the generator is imported only for --help and runs). */
export async function generateHelp(): Promise<string> {
  const { AREAS } = await import('../generate/index.ts');
  const lines = Object.entries(AREAS).map(([name, a]) => `  ${name.padEnd(9)}${a.what}`);
  return `${GENERATE_HELP_TEXT}\nAreas:\n${lines.join('\n')}\n`;
}

export async function generateCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { AREA_NAMES, generateOne, generateScenarios } = await import('../generate/index.ts');
  const p = parseCommandArgs(args, OPTIONS);
  const fail = (msg: string): number => {
    io.stderr(`smmu-conform generate: ${msg}\n`);
    return EXIT_INVALID;
  };
  if (typeof p === 'string') return fail(p);
  if (p.positionals.length > 0) return fail(`unexpected argument "${p.positionals[0]}"; see smmu-conform generate --help`);
  const file = str(p.values['profile']);
  let part: PartLimits | undefined;
  if (file !== undefined) {
    const { loadProfileFile } = await import('../scenario/profile-file.ts');
    const { formatLoadError } = await import('../scenario/errors.ts');
    const r = loadProfileFile(resolve(io.cwd, file), file);
    if (r.part === undefined) return fail(r.errors.map((e) => formatLoadError(e)).join('\n'));
    const smmu = r.part.smmu;
    part = { features: r.part.features, ...(smmu.oas !== undefined ? { oas: smmu.oas } : {}), ...(smmu.ssidSize === 0 ? { substreams: false } : {}) };
  }
  const ids = strs(p.values['id']);
  if (ids.length > 0) {
    if (p.values['seed'] !== undefined || p.values['count'] !== undefined || p.values['area'] !== undefined)
      return fail('--id rebuilds given scenarios: leave out --seed, --count and --area');
    const gs = [];
    for (const id of ids) {
      const m = /^gen-([a-z0-9]+)-([0-9a-f]{8})$/.exec(id);
      if (m === null || !(AREA_NAMES as readonly string[]).includes(m[1] ?? ''))
        return fail(`--id ${id} is not gen-<area>-<8 hex digits> with an area of: ${AREA_NAMES.join(', ')}`);
      gs.push(generateOne(m[1] as (typeof AREA_NAMES)[number], Number.parseInt(m[2] ?? '0', 16), part));
    }
    return write(gs, str(p.values['out']), io, fail);
  }
  const seed = parseU32(str(p.values['seed']), '--seed');
  if (typeof seed === 'string') return fail(seed);
  const count = parseU32(str(p.values['count']), '--count');
  if (typeof count === 'string') return fail(count);
  const areas = strs(p.values['area']);
  for (const a of areas) if (!(AREA_NAMES as readonly string[]).includes(a)) return fail(`unknown area "${a}"; expected one of: ${AREA_NAMES.join(', ')}`);
  try {
    return write(generateScenarios({ seed, count, areas, ...(part !== undefined ? { part } : {}) }), str(p.values['out']), io, fail);
  } catch (e) {
    return fail(e instanceof Error ? e.message : String(e));
  }
}

function write(gs: readonly GeneratedScenario[], out: string | undefined, io: CliIo, fail: (msg: string) => number): number {
  if (out === undefined) {
    io.stdout(gs.map((g) => g.yaml()).join('---\n'));
    return EXIT_OK;
  }
  const dir = resolve(io.cwd, out);
  if (existsSync(dir) && !statSync(dir).isDirectory()) return fail(`--out ${out} is not a directory`);
  mkdirSync(dir, { recursive: true });
  for (const g of gs) writeFileSync(join(dir, `${g.id}.yaml`), g.yaml());
  io.stderr(`smmu-conform generate: ${gs.length} scenario${gs.length === 1 ? '' : 's'} written to ${out}\n`);
  return EXIT_OK;
}
