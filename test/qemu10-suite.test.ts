// The conformance suite on QEMU 10 (bookworm-backports, unpacked by scripts/install-qemu.sh
// --backports); its own file so it has its own time budget. See qemu-suite.test.ts.
(globalThis as { SMMU_CONFORM_QEMU_WHICH?: string }).SMMU_CONFORM_QEMU_WHICH = '10';
await import('./qemu-suite.test.ts');
