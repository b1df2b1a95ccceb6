// Process 2 of 3 for `npm test`: the suite-level tests (test/*.test.ts): conformance suite,
// CLI, reporters, loader fuzz, trace round trips; the suite on QEMU has its own process (qemu.ts).
import { loadAll, QEMU_SUITE, testFiles } from './load-all.ts';

await loadAll(testFiles('test', false).filter((f) => f !== QEMU_SUITE));
