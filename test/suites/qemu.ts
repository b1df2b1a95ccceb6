// Process 3 of 3 for `npm test`: the whole conformance suite on QEMU 7.2 and 10.x
// (test/qemu-suite.test.ts; runs under CI, skipped with the reason elsewhere). In a process of its
// own so its minutes of QEMU runs get their own time budget (.taprc timeout) beside system.ts.
import { loadAll, QEMU_SUITE } from './load-all.ts';

await loadAll([QEMU_SUITE]);
