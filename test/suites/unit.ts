// Process 1 of 2 for `npm test`: every unit test beside the code (src/**/*.test.ts).
import { loadAll, testFiles } from './load-all.ts';

await loadAll(testFiles('src', true));
