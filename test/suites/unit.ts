// Process 1 of 3 for `npm test`: every unit test beside the code (src/**/*.test.ts), and the
// suite-level files that balance the two processes (SUITE_FILES_IN_UNIT, see load-all.ts).
import { SUITE_FILES_IN_UNIT, loadAll, testFiles } from './load-all.ts';

await loadAll([...testFiles('src', true), ...SUITE_FILES_IN_UNIT]);
