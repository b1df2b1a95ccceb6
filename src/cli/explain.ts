/**
 * `smmu-conform explain <scenario> [--step N]`: run the scenario with tracing on and print, for
 * every step (or one), a header with its operands (each kind's `explain` renderer,
 * src/engine/steps/) and what it did in architecture terms (Observation.explained: the kind's
 * `detail` — STE/CD/descriptors/registers decoded, the uAPI outcome, the PA or fault — then the
 * commands the SMMU consumed with their effect, the walks and the event records).
 */
import { discoverScenarios } from '../engine/discover.ts';
import { loadExecutor } from '../engine/run-one.ts';
import { formatLoadError, pathString } from '../scenario/errors.ts';
import { failurePath } from '../scenario/exec-failure.ts';
import { locateInSource } from '../scenario/locate.ts';
import { BudgetExceeded } from '../scenario/budget.ts';
import { loadScenarioFile } from '../engine/load.ts';
import { stepKind } from '../scenario/types.ts';
import { explainStep } from '../engine/steps/registry.ts';
import { type Options, str } from './args.ts';
import { COMMON_OPTIONS, parseCommon, usageError } from './common.ts';
import { type CliIo, EXIT_INVALID, EXIT_OK } from './io.ts';

const OPTIONS: Options = { ...COMMON_OPTIONS, step: { type: 'string' } };

export async function explainCommand(args: readonly string[], io: CliIo): Promise<number> {
  const bad = usageError(io, 'explain');
  const parsed = parseCommon(args, OPTIONS, io.cwd);
  if (typeof parsed === 'string') return bad(parsed);
  const { p, common } = parsed;
  if (p.positionals.length !== 1) return bad('Expected exactly one scenario');
  const found = discoverScenarios(p.positionals, common.root, io.cwd);
  const ref = found.refs[0];
  if (ref === undefined || found.refs.length !== 1) return bad(`"${p.positionals[0] ?? ''}" does not name exactly one scenario`);
  const loaded = loadScenarioFile(ref.file, {
    file: ref.display,
    ...(ref.id !== undefined ? { id: ref.id } : {}),
    ...(common.profile.smmu !== undefined ? { profile: common.profile.smmu } : {}),
  });
  if (loaded.scenario === undefined) {
    io.stdout(`${loaded.errors.map((e) => formatLoadError(e, loaded.source)).join('\n')}\n`);
    return EXIT_INVALID;
  }
  const scenario = loaded.scenario;
  const stepText = str(p.values['step']);
  const step = stepText === undefined ? undefined : Number(stepText);
  if (step !== undefined && !(Number.isInteger(step) && step >= 1 && step <= scenario.steps.length)) {
    return bad(`--step must be between 1 and ${scenario.steps.length}`);
  }
  const exec = await loadExecutor(common.executorModule);
  if (typeof exec === 'string') return bad(exec);
  let obs;
  try {
    obs = exec(scenario, { profile: common.profile, trace: true });
  } catch (e) {
    // As `run` reports it: located in the scenario, exit 2, no stack (issue 12 part 6).
    const path = failurePath(e);
    const pos = loaded.source !== undefined ? locateInSource(loaded.source, path) : { line: 1, col: 1 };
    const code = e instanceof BudgetExceeded ? 'BUDGET_EXCEEDED' : 'EXECUTOR_FAILED';
    io.stderr(
      `${ref.display}:${pos.line}:${pos.col}: error[${code}]${path.length > 0 ? ` at ${pathString(path)}` : ''}: ${e instanceof Error ? e.message : String(e)}\n`,
    );
    return EXIT_INVALID;
  }
  // Every step: its operands, then what it did (registry.ts explainRun: the kind's detail, the
  // commands consumed, walks, events). An executor without `explained` still gives its walks.
  const explained = obs.explained ?? obs.walks ?? [];
  const out: string[] = [];
  scenario.steps.forEach((s, i) => {
    if (step !== undefined && i + 1 !== step) return;
    const lines = explained.filter((w) => w.step === i + 1).flatMap((w) => w.lines);
    out.push(`step ${i + 1} (${stepKind(s)}): ${explainStep(s)}`, ...lines.map((l) => `  ${l}`));
  });
  io.stdout(`${out.join('\n')}\n`);
  return EXIT_OK;
}
