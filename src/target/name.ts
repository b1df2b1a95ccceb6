/** The name a target has in reports and expectation files (`qemu-7.2`), without starting it. */
import type { TargetSpec } from './contract.ts';
import { qemuVersion } from './qemu/target.ts';

export function targetName(spec: TargetSpec): string {
  if (spec.kind === 'builtin') return 'emulator';
  return `qemu-${qemuVersion(spec.binary).split('.').slice(0, 2).join('.')}`;
}
