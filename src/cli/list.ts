/** `smmu-conform list [paths] [--tag t] [--grep re]`: scenario ids with tags and requirements. */
import { discoverScenarios } from '../engine/discover.ts';
import { loadScenarioFile } from '../engine/load.ts';
import { type Options, str, strs } from './args.ts';
import { COMMON_OPTIONS, parseCommon, usageError } from './common.ts';
import { type CliIo, EXIT_INVALID, EXIT_OK } from './io.ts';

const OPTIONS: Options = {
  root: COMMON_OPTIONS['root'] ?? { type: 'string' },
  config: { type: 'string' },
  tag: { type: 'string', multiple: true },
  grep: { type: 'string' },
};

export function listCommand(args: readonly string[], io: CliIo): number {
  const bad = usageError(io, 'list');
  const parsed = parseCommon(args, OPTIONS, io.cwd);
  if (typeof parsed === 'string') return bad(parsed);
  const { p, common } = parsed;
  let grep: RegExp | undefined;
  try {
    const g = str(p.values['grep']);
    grep = g === undefined ? undefined : new RegExp(g);
  } catch (e) {
    return bad(`Cannot use --grep: ${e instanceof Error ? e.message : String(e)}`);
  }
  const tags = strs(p.values['tag']);
  const found = discoverScenarios(p.positionals, common.root, io.cwd);
  const lines: string[] = [];
  for (const r of found.refs) {
    const id = r.id ?? r.display;
    if (grep !== undefined && !grep.test(id)) continue;
    const s = loadScenarioFile(r.file, { file: r.display, ...(r.id !== undefined ? { id: r.id } : {}) }).scenario;
    if (s === undefined) {
      lines.push(`${id}  (invalid: run smmu-conform validate ${r.display})`);
      continue;
    }
    if (tags.length > 0 && !tags.some((t) => s.tags.includes(t))) continue;
    const req = (s.requires ?? []).length > 0 ? `  requires: ${(s.requires ?? []).join(',')}` : '';
    lines.push(`${id}  [${s.tags.join(', ')}]${req}`);
  }
  lines.push(`${lines.length} scenario${lines.length === 1 ? '' : 's'}`);
  io.stdout(`${lines.join('\n')}\n`);
  return found.unmatched.length > 0 ? EXIT_INVALID : EXIT_OK;
}
