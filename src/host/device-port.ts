/**
 * HostSmmuPort over the emulated SmmuDevice (booted with bootSmmu): the adapter the scenario
 * engine uses to put the host layer on top of the emulator. STE reads follow the stream table
 * the way the SMMU does (STRTAB_BASE/_CFG, linear or 2-level).
 */
import { L1STD } from '../arch/l1std.ts';
import { REG, STRTAB_BASE, STRTAB_BASE_CFG } from '../arch/registers.ts';
import { installSte, submitCommands } from '../smmu/boot.ts';
import type { DrivenSmmu } from '../smmu/boot.ts';
import { type IdRegs, profileToIdRegs } from '../smmu/profile.ts';
import type { HostSmmuPort, PortSubmitResult } from './port.ts';

export class DevicePort implements HostSmmuPort {
  readonly dev: DrivenSmmu;

  constructor(dev: DrivenSmmu) {
    this.dev = dev;
  }

  idRegs(): IdRegs {
    return profileToIdRegs(this.dev.profile);
  }
  submit(cmds: readonly (readonly bigint[])[]): PortSubmitResult {
    const r = submitCommands(this.dev, cmds);
    return { error: r.error, stalled: r.stalled };
  }
  installSte(sid: number, dwords: readonly bigint[]): void {
    installSte(this.dev, sid, dwords);
  }
  readSte(sid: number): bigint[] {
    const addr = this.#steAddr(sid);
    const out = new Array<bigint>(8).fill(0n);
    if (addr === undefined) return out;
    for (let i = 0; i < 8; i++) out[i] = this.dev.mem.read64(addr + BigInt(8 * i)) ?? 0n;
    return out;
  }
  readReg(offset: number): bigint {
    return this.dev.readReg(offset);
  }
  writeReg(offset: number, value: bigint): void {
    this.dev.writeReg(offset, value);
  }
  readCmdqEntry(index: number): [bigint, bigint] {
    const a = this.dev.cmdq.base() + BigInt(index * 16);
    return [this.dev.mem.read64(a) ?? 0n, this.dev.mem.read64(a + 8n) ?? 0n];
  }
  writeCmdqEntry(index: number, cmd: readonly bigint[]): void {
    const a = this.dev.cmdq.base() + BigInt(index * 16);
    this.dev.mem.write64(a, cmd[0] ?? 0n);
    this.dev.mem.write64(a + 8n, cmd[1] ?? 0n);
  }
  cmdqEntryAddress(index: number): bigint {
    return this.dev.cmdq.base() + BigInt(index * 16);
  }
  cmdqLog2Size(): number {
    return Math.round(Math.log2(this.dev.cmdq.ptr().size));
  }

  #steAddr(sid: number): bigint | undefined {
    const base = STRTAB_BASE.get([this.dev.readReg(REG.STRTAB_BASE)], 'ADDR');
    const cfg = [this.dev.readReg(REG.STRTAB_BASE_CFG)];
    if (STRTAB_BASE_CFG.get(cfg, 'FMT') === 0n) return base + BigInt(sid) * 64n;
    const split = Number(STRTAB_BASE_CFG.get(cfg, 'SPLIT'));
    const l1 = this.dev.mem.read64(base + BigInt(sid >>> split) * 8n) ?? 0n;
    if (L1STD.get([l1], 'Span') === 0n) return undefined;
    return L1STD.get([l1], 'L2Ptr') + BigInt(sid & ((1 << split) - 1)) * 64n;
  }
}
