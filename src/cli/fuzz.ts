/** `smmu-conform fuzz`: differential campaigns against an external target (src/differential, docs/fuzzing.md). */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { runCampaign, mergeCampaigns } from '../differential/campaign.ts';
import { reportMarkdown } from '../differential/report.ts';
import type { SourceSpec } from '../differential/source.ts';
import { qemuDiffTarget } from '../differential/target.ts';
import { parseShard } from '../engine/shard.ts';
import { loadTargetExpectations } from '../target/expectations.ts';
import { type Options, parseCommandArgs, str, strs } from './args.ts';
import { parseTarget } from './common.ts';
import { type CliIo, EXIT_INVALID } from './io.ts';

export const FUZZ_HELP = `Usage: smmu-conform fuzz --target qemu[=PATH] --out DIR (--seed S --count N | --corpus [DIR]) [options]
       smmu-conform fuzz merge --out DIR CAMPAIGN_DIR...

Differential fuzzing: run each scenario on the reference model and on the target, classify every
disagreement by its first divergent field and the rule it touches, count each class, minimise one
example per class (delta debugging over steps, lists and fields) to a ready-to-commit scenario,
and write a report. Classes the target's expectation file (targets/<name>.yaml) already lists are
marked known. Details and CI matrix recipes: docs/fuzzing.md.

Scenarios:
  --seed S              generator seed (integer)
  --count N             number of generated scenarios (the whole campaign, all shards together)
  --area A              generator area (repeatable; default: every area the target's part runs,
                        each drawing only what the part has: docs/fuzzing.md)
  --corpus [DIR]        the scenario tree instead of the generator (default: scenarios)
Target:
  --target T            qemu | qemu=PATH (the SMMU under test; required)
  --expect-fail FILE    the target's known deviations (default: targets/<name>.yaml)
Campaign:
  --out DIR             campaign directory: state, results, minimised scenarios, report
  --shard I/N           run shard I of N (stable hash of the scenario id); merge the shards after
  --resume              continue the campaign in --out (same target, scenarios and shard)
  --minimise-budget K   candidates the minimiser may try per new class (default 300; 0: none)
  --time-limit MIN      start no scenario after MIN minutes; minimise, report (--resume continues)
  --reverse             run the shard's scenarios last to first, and
  --also-done DIR       count the scenarios DIR has finished as done (repeatable): two runners on
                        one shard (one --reverse, each --also-done the other's DIR), merged after
  --quiet               no progress lines on stderr

Output (in --out): report.md and report.json (deterministic: the same seeds give the same bytes,
however the campaign was sharded), minimised/*.yaml, timings.json (scenarios/s and where the time
went: reference, target start-up, target run, minimising).
Exit codes: 0 no new deviation class, 1 new deviation classes or errors, 2 invalid input.
`;

const OPTIONS: Options = {
  target: { type: 'string' },
  seed: { type: 'string' },
  count: { type: 'string' },
  area: { type: 'string', multiple: true },
  corpus: { type: 'boolean' },
  out: { type: 'string' },
  shard: { type: 'string' },
  resume: { type: 'boolean' },
  'minimise-budget': { type: 'string' },
  'expect-fail': { type: 'string' },
  quiet: { type: 'boolean' },
  'time-limit': { type: 'string' },
  reverse: { type: 'boolean' },
  'also-done': { type: 'string', multiple: true },
};

const uint = (v: string | undefined, what: string): number | string | undefined => {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) return `${what} must be a non-negative integer, got "${v}"`;
  return Number(v);
};

export async function fuzzCommand(args: readonly string[], io: CliIo): Promise<number> {
  const usage = (msg: string): number => {
    io.stderr(`smmu-conform fuzz: ${msg}\n`);
    return EXIT_INVALID;
  };
  if (args[0] === 'merge') return merge(args.slice(1), io, usage);
  const p = parseCommandArgs(args, OPTIONS);
  if (typeof p === 'string') return usage(p);
  const target = parseTarget(str(p.values['target']));
  if (typeof target === 'string') return usage(target);
  if (target === undefined || target.kind !== 'qemu')
    return usage('name the target to fuzz against: --target qemu or --target qemu=PATH (the built-in emulator is the reference)');
  const out = str(p.values['out']);
  if (out === undefined) return usage('--out DIR is required (the campaign directory)');
  const seed = uint(str(p.values['seed']), '--seed');
  const count = uint(str(p.values['count']), '--count');
  const budget = uint(str(p.values['minimise-budget']), '--minimise-budget') ?? 300;
  const limit = uint(str(p.values['time-limit']), '--time-limit');
  for (const v of [seed, count, budget, limit]) if (typeof v === 'string') return usage(v);
  let source: SourceSpec;
  if (p.values['corpus'] === true) {
    if (seed !== undefined || count !== undefined) return usage('--corpus runs the scenario tree: drop --seed/--count');
    source = { kind: 'corpus', root: resolve(io.cwd, p.positionals[0] ?? 'scenarios') };
  } else {
    if (seed === undefined || count === undefined) return usage('--seed S and --count N are required (or --corpus)');
    if (p.positionals.length > 0) return usage(`unexpected argument ${p.positionals[0]}`);
    source = { kind: 'generated', seed: seed as number, count: count as number, areas: strs(p.values['area']) };
  }
  const shardText = str(p.values['shard']);
  const shard = shardText === undefined ? undefined : parseShard(shardText);
  if (typeof shard === 'string') return usage(shard);

  let diffTarget;
  try {
    diffTarget = qemuDiffTarget(target.binary);
  } catch (e) {
    return usage(e instanceof Error ? e.message : String(e));
  }
  const ef = str(p.values['expect-fail']);
  const efPath = ef !== undefined ? resolve(io.cwd, ef) : resolve(io.cwd, 'targets', `${diffTarget.name}.yaml`);
  let known: { deviations: readonly import('../target/expectations.ts').Deviation[]; root: string } | undefined;
  if (ef !== undefined || existsSync(efPath)) {
    const e = loadTargetExpectations(efPath);
    if (typeof e === 'string') return usage(e);
    known = { deviations: e.deviations, root: resolve(io.cwd, 'scenarios') };
  } else io.stderr(`smmu-conform fuzz: no expectation file ${efPath}: every class is reported as new\n`);

  const quiet = p.values['quiet'] === true;
  const r = await runCampaign({
    target: diffTarget,
    source,
    ...(shard !== undefined ? { shard } : {}),
    out: resolve(io.cwd, out),
    resume: p.values['resume'] === true,
    ...(known !== undefined ? { known } : {}),
    minimiseBudget: budget as number,
    ...(typeof limit === 'number' ? { timeLimitMs: limit * 60_000 } : {}),
    ...(p.values['reverse'] === true ? { reverse: true } : {}),
    alsoDone: strs(p.values['also-done']).map((d) => resolve(io.cwd, d)),
    log: (l) => {
      if (!quiet) io.stderr(`${l}\n`);
    },
  });
  if (typeof r === 'string') return usage(r);
  io.stdout(reportMarkdown(r));
  return r.classes.some((c) => c.known === null) || r.verdicts.error > 0 ? 1 : 0;
}

function merge(args: readonly string[], io: CliIo, usage: (m: string) => number): number {
  const p = parseCommandArgs(args, { out: { type: 'string' } });
  if (typeof p === 'string') return usage(p);
  const out = str(p.values['out']);
  if (out === undefined) return usage('merge needs --out DIR');
  const r = mergeCampaigns(
    p.positionals.map((d) => resolve(io.cwd, d)),
    resolve(io.cwd, out),
  );
  if (typeof r === 'string') return usage(r);
  io.stdout(reportMarkdown(r));
  return r.classes.some((c) => c.known === null) || r.verdicts.error > 0 ? 1 : 0;
}
