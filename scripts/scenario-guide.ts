/**
 * Regenerate the worked examples and defaults in docs/writing-scenarios.md (src/coverage/guide.ts):
 *   node --import=tsx scripts/scenario-guide.ts
 * test/guide.test.ts fails when the guide is not current.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { updateGuide } from '../src/coverage/guide.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const DOC = `${ROOT}docs/writing-scenarios.md`;
const before = readFileSync(DOC, 'utf8');
const after = updateGuide(before, ROOT);
if (after !== before) writeFileSync(DOC, after);
process.stdout.write(`${after === before ? 'unchanged' : 'wrote'} docs/writing-scenarios.md\n`);
