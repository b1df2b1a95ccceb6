/** `smmu-conform check [--write-coverage-map]`: every suite rule over a scenario tree, located. */
import { checkTree, formatFinding } from '../coverage/check.ts';
import { writeGoldenAtomic } from '../golden/store.ts';
import { type Options, parseCommandArgs, str } from './args.ts';
import { COMMON_OPTIONS, commonSettings, usageError, quote, shown, TOOL } from './common.ts';
import { configPath } from './config.ts';
import { type CliIo, EXIT_INVALID, EXIT_OK } from './io.ts';

const OPTIONS: Options = {
  root: COMMON_OPTIONS['root'] ?? { type: 'string' },
  golden: COMMON_OPTIONS['golden'] ?? { type: 'string' },
  config: { type: 'string' },
  'coverage-map': { type: 'string' },
  'write-coverage-map': { type: 'boolean' },
};

export const CHECK_HELP = `Usage: ${TOOL} check [--root DIR] [--golden DIR] [--coverage-map FILE] [--write-coverage-map]

Check a scenario tree against every suite rule, each finding as file:line:col: error[CODE]:
  schema and references (as validate), a cited rule in every description, known covers: ids,
  at least one tag, a golden for every scenario and a scenario for every golden (OBSOLETE_GOLDEN),
  no two scenarios that are the same test (DUPLICATE_SCENARIO), no temp file of a killed update,
  and a current coverage map (areas x rules) when one is kept ("coverage_map:" in the config or
  --coverage-map FILE; --write-coverage-map rewrites it).
Exit 0 clean, 2 findings.
`;

export function checkCommand(args: readonly string[], io: CliIo): number {
  const bad = usageError(io, 'check');
  const p = parseCommandArgs(args, OPTIONS);
  if (typeof p === 'string') return bad(p);
  if (p.positionals.length > 0) return bad(`Unexpected argument "${p.positionals[0] ?? ''}": check works on the whole tree (--root)`);
  const common = commonSettings(p, io.cwd);
  if (typeof common === 'string') return bad(common);
  const mapFlag = str(p.values['coverage-map']);
  const coverageMap =
    mapFlag !== undefined
      ? configPath({ dir: io.cwd }, mapFlag)
      : common.config.coverage_map !== undefined
        ? configPath(common.config, common.config.coverage_map)
        : undefined;
  const write = p.values['write-coverage-map'] === true;
  if (write && coverageMap === undefined)
    return bad('--write-coverage-map needs a map file: --coverage-map FILE or "coverage_map:" in smmu-conform.config.yaml');
  const recheck = common.rerun.replace(/ run\b/, ' check') + (mapFlag !== undefined ? ` --coverage-map ${quote(mapFlag)}` : '');
  const report = checkTree({
    cwd: io.cwd,
    root: common.root,
    goldenDir: common.goldenDir,
    rerun: common.rerun,
    recheck,
    ...(coverageMap !== undefined ? { coverageMap } : {}),
  });
  let findings = report.findings;
  if (write && coverageMap !== undefined && report.coverageText !== undefined) {
    writeGoldenAtomic(coverageMap, report.coverageText);
    io.stderr(`smmu-conform check: wrote ${shown(io.cwd, coverageMap)}\n`);
    findings = findings.filter((f) => f.code !== 'STALE_COVERAGE_MAP');
  }
  const lines = findings.map(formatFinding);
  const byCode = new Map<string, number>();
  for (const f of findings) byCode.set(f.code, (byCode.get(f.code) ?? 0) + 1);
  const counts = [...byCode].map(([c, n]) => `${n} ${c}`).join(', ');
  lines.push(
    `${report.scenarios} scenario${report.scenarios === 1 ? '' : 's'}, ${report.goldens} golden${report.goldens === 1 ? '' : 's'} checked: ${findings.length === 0 ? 'no findings' : `${findings.length} finding${findings.length === 1 ? '' : 's'} (${counts})`}`,
  );
  io.stdout(`${lines.join('\n')}\n`);
  return findings.length === 0 ? EXIT_OK : EXIT_INVALID;
}
