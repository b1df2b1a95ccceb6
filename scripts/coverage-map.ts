/**
 * Regenerate docs/coverage.md from scenarios/ and src/scenario/rules.ts:
 *   node --import=tsx scripts/coverage-map.ts            write docs/coverage.md
 *   node --import=tsx scripts/coverage-map.ts --check    exit 1 when docs/coverage.md is not current
 * Scenarios that do not load are listed in the map (and, when writing, reported on stderr).
 * The write is atomic (temp file + rename), so a concurrent reader never sees half a map.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generateCoverageDoc } from '../src/coverage/collect.ts';
import { REGENERATE_COMMAND } from '../src/coverage/map.ts';
import { writeGoldenAtomic } from '../src/golden/store.ts';
import { formatLoadError } from '../src/scenario/errors.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const DOC = `${ROOT}docs/coverage.md`;

function main(argv: readonly string[]): number {
  const unknown = argv.filter((a) => a !== '--check');
  if (unknown.length > 0) {
    process.stderr.write(`coverage-map: unknown argument "${unknown[0]}"; usage: ${REGENERATE_COMMAND} [--check]\n`);
    return 2;
  }
  const check = argv.includes('--check');
  const { text, entries } = generateCoverageDoc(ROOT);
  if (!check) for (const e of entries) for (const err of e.errors) process.stderr.write(`warning: ${formatLoadError(err)}\n`);
  let current: string | undefined;
  try {
    current = readFileSync(DOC, 'utf8');
  } catch {
    current = undefined;
  }
  if (check) {
    if (current?.replace(/\r\n/g, '\n') === text) return 0;
    process.stderr.write(`docs/coverage.md is ${current === undefined ? 'missing' : 'out of date'}; regenerate it with: ${REGENERATE_COMMAND}\n`);
    return 1;
  }
  if (current !== text) writeGoldenAtomic(DOC, text);
  const first = text.split('\n').find((l) => /^\d+ scenarios?;/.test(l)) ?? '';
  process.stdout.write(`${current === text ? 'unchanged' : 'wrote'} docs/coverage.md: ${first}\n`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
