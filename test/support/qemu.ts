/** Which QEMU the tests drive, and why a QEMU test is skipped where it cannot run. */
import { execFileSync } from 'node:child_process';

/** The system QEMU (Debian's 7.2; SMMU_CONFORM_QEMU names another). */
export const SYSTEM_QEMU = process.env['SMMU_CONFORM_QEMU'] ?? 'qemu-system-aarch64';

/** undefined when `binary --version` runs, else the skip reason naming the install script. */
export function qemuMissing(binary: string = SYSTEM_QEMU): string | undefined {
  try {
    execFileSync(binary, ['--version'], { stdio: 'ignore', timeout: 10_000 });
    return undefined;
  } catch {
    return `${binary} not found (install it with scripts/install-qemu.sh)`;
  }
}
