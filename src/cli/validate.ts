/** `smmu-conform validate [paths]`: schema + reference checks, every error as file:line:col. */
import { discoverScenarios } from '../engine/discover.ts';
import { formatLoadError } from '../scenario/errors.ts';
import { loadScenarioFile } from '../engine/load.ts';
import { type Options } from './args.ts';
import { COMMON_OPTIONS, parseCommon, usageError } from './common.ts';
import { type CliIo, EXIT_INVALID, EXIT_OK } from './io.ts';

const OPTIONS: Options = { root: COMMON_OPTIONS['root'] ?? { type: 'string' }, config: { type: 'string' }, profile: { type: 'string' } };

export function validateCommand(args: readonly string[], io: CliIo): number {
  const parsed = parseCommon(args, OPTIONS, io.cwd);
  if (typeof parsed === 'string') return usageError(io, 'validate')(parsed);
  const { p, common } = parsed;
  const found = discoverScenarios(p.positionals, common.root, io.cwd);
  let invalid = 0;
  let errors = 0;
  const out: string[] = [];
  for (const u of found.unmatched) out.push(`${u}: error[READ_FAILED]: No scenario matches "${u}"`);
  for (const r of found.refs) {
    const loaded = loadScenarioFile(r.file, {
      file: r.display,
      ...(r.id !== undefined ? { id: r.id } : {}),
      ...(common.profile.smmu !== undefined ? { profile: common.profile.smmu } : {}),
    });
    if (loaded.errors.length === 0) continue;
    invalid++;
    errors += loaded.errors.length;
    for (const e of loaded.errors) out.push(formatLoadError(e, loaded.source));
  }
  out.push(`${found.refs.length} scenario${found.refs.length === 1 ? '' : 's'} checked, ${invalid} invalid, ${errors} error${errors === 1 ? '' : 's'}`);
  io.stdout(`${out.join('\n')}\n`);
  return invalid > 0 || found.unmatched.length > 0 ? EXIT_INVALID : EXIT_OK;
}
