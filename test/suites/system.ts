// Process 2 of 2 for `npm test`: the suite-level tests (test/*.test.ts): conformance suite,
// CLI, reporters, loader fuzz, trace round trips.
import { loadAll, testFiles } from './load-all.ts';

await loadAll(testFiles('test', false));
