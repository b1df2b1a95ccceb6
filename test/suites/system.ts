// Process 2 of 3 for `npm test`: the suite-level tests (test/*.test.ts): conformance suite,
// CLI, reporters, trace round trips; those in SUITE_FILES_IN_UNIT run in process 1 instead, and
// the suite on QEMU (QEMU_SUITE) in process 3 (qemu.ts), with its own time budget.
import { QEMU_SUITE, SUITE_FILES_IN_UNIT, loadAll, testFiles } from './load-all.ts';

await loadAll(testFiles('test', false).filter((f) => !SUITE_FILES_IN_UNIT.includes(f) && f !== QEMU_SUITE));
