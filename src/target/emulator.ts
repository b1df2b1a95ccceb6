/**
 * The built-in emulator (src/smmu) as a target: the reference model behind the target contract.
 * The scenario executor drives SmmuDevice directly (it also needs the emulator-only hooks: fault
 * injection, stall completions, walk traces); this adapter is how the emulator looks to anything
 * written against the contract alone (docs/targets.md), and how tests check that the contract is
 * enough to reproduce the reference observations.
 */
import { REG64 } from '../arch/registers.ts';
import type { SparseMemory } from '../memory/sparse-memory.ts';
import type { SmmuDevice } from '../smmu/device.ts';
import { profileToIdRegs } from '../smmu/profile.ts';
import type { SmmuTarget, TargetCapabilities, TargetIdRegs, TargetMemoryRange, TargetTransaction, TargetTransactionOutcome } from './contract.ts';

export const EMULATOR_CAPABILITIES: TargetCapabilities = {
  substreams: true,
  privileged: true,
  instruction: true,
  iovaLimit: 1n << 64n,
  transactionOutcome: true,
  interrupts: true,
  msi: true,
  stall: true,
  faultInjection: true,
};

export class EmulatorTarget implements SmmuTarget {
  readonly name = 'emulator';
  readonly version = 'builtin';
  readonly capabilities = EMULATOR_CAPABILITIES;
  readonly memory: readonly TargetMemoryRange[] = [{ base: 0n, size: 1n << 52n }];
  readonly dev: SmmuDevice;
  readonly #mem: SparseMemory;

  constructor(dev: SmmuDevice) {
    this.dev = dev;
    this.#mem = dev.mem;
  }

  idRegs(): TargetIdRegs {
    return profileToIdRegs(this.dev.profile);
  }
  readReg32(offset: number): number {
    if (REG64.has(offset)) throw new RangeError(`Register 0x${offset.toString(16)} is 64-bit: use readReg64`);
    return Number(this.dev.readReg(offset) & 0xffff_ffffn);
  }
  writeReg32(offset: number, value: number): void {
    if (REG64.has(offset)) throw new RangeError(`Register 0x${offset.toString(16)} is 64-bit: use writeReg64`);
    this.dev.writeReg(offset, BigInt(value >>> 0));
  }
  readReg64(offset: number): bigint {
    return this.dev.readReg(offset);
  }
  writeReg64(offset: number, value: bigint): void {
    this.dev.writeReg(offset, BigInt.asUintN(64, value));
  }
  readMem(pa: bigint, length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i += 4) {
      const w = this.#mem.read32(pa + BigInt(i)) ?? 0;
      for (let k = 0; k < 4 && i + k < length; k++) out[i + k] = (w >>> (8 * k)) & 0xff;
    }
    return out;
  }
  writeMem(pa: bigint, data: Uint8Array): void {
    if (pa % 4n !== 0n || data.length % 4 !== 0) throw new RangeError('Emulator target memory writes are 4-byte granular');
    for (let i = 0; i < data.length; i += 4) {
      const w = (data[i] ?? 0) | ((data[i + 1] ?? 0) << 8) | ((data[i + 2] ?? 0) << 16) | ((data[i + 3] ?? 0) << 24);
      this.#mem.write32(pa + BigInt(i), w >>> 0);
    }
  }
  transaction(t: TargetTransaction): TargetTransactionOutcome {
    const r = this.dev.transaction({
      sid: t.sid,
      iova: t.iova,
      access: t.access,
      ...(t.ssid !== undefined ? { ssid: t.ssid } : {}),
      ...(t.privileged !== undefined ? { privileged: t.privileged } : {}),
    });
    if (r.kind === 'translated') return { kind: 'completed', pa: r.pa };
    if (r.kind === 'stalled') return { kind: 'stalled', stag: r.stag };
    return { kind: 'aborted' };
  }
  close(): void {
    // nothing to release
  }
}
