/**
 * `smmu-conform explain <scenario> [--step N]`: run the scenario with walk tracing on and print
 * the executor's decoded walk for one step (or all): a header with the step's operands (each
 * kind's `explain` renderer, src/engine/steps/) and the trace from the executor's Observation.walks.
 */
import { discoverScenarios } from '../engine/discover.ts';
import { loadExecutor } from '../engine/run-one.ts';
import { formatLoadError } from '../scenario/errors.ts';
import { loadScenarioFile } from '../engine/load.ts';
import { stepKind } from '../scenario/types.ts';
import { explainStep } from '../engine/steps/registry.ts';
import { type Options, parseCommandArgs, str } from './args.ts';
import { COMMON_OPTIONS, commonSettings } from './common.ts';
import { type CliIo, EXIT_FAIL, EXIT_INVALID, EXIT_OK } from './io.ts';

const OPTIONS: Options = { ...COMMON_OPTIONS, step: { type: 'string' } };

export async function explainCommand(args: readonly string[], io: CliIo): Promise<number> {
  const bad = (m: string): number => {
    io.stderr(`smmu-conform explain: ${m}\n`);
    return EXIT_INVALID;
  };
  const p = parseCommandArgs(args, OPTIONS);
  if (typeof p === 'string') return bad(p);
  const common = commonSettings(p, io.cwd);
  if (typeof common === 'string') return bad(common);
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
    io.stderr(`Executor crashed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return EXIT_FAIL;
  }
  const walks = (obs.walks ?? []).filter((w) => step === undefined || w.step === step);
  const out: string[] = [];
  for (const w of walks) {
    const s = scenario.steps[w.step - 1];
    out.push(`step ${w.step}${s !== undefined ? ` (${stepKind(s)}): ${explainStep(s)}` : ':'}`, ...w.lines.map((l) => `  ${l}`));
  }
  if (out.length === 0) out.push(step === undefined ? 'No walk traces recorded' : `No walk trace recorded for step ${step}`);
  io.stdout(`${out.join('\n')}\n`);
  return EXIT_OK;
}
