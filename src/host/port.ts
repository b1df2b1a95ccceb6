/**
 * What the host layer needs from an SMMU (the emulated device or a trace replayer). The lead
 * adapts `SmmuDevice` to this; host tests use a fake. Register offsets are the architected ones
 * (src/arch/registers.ts REG).
 */
import type { CerrorName } from '../arch/command.ts';
import type { IdRegs } from '../smmu/profile.ts';

export type { CerrorName } from '../arch/command.ts';

export interface PortSubmitResult {
  /** Error the queue stopped on (CONS.ERR), CERROR_NONE if none. */
  readonly error: CerrorName;
  /** The queue cannot make progress (injected stall): no amount of waiting helps. */
  readonly stalled: boolean;
}

export interface HostSmmuPort {
  idRegs(): IdRegs;
  /** Write commands at PROD and ring the doorbell (the device consumes synchronously). */
  submit(cmds: readonly (readonly bigint[])[]): PortSubmitResult;
  /** Store an STE in the stream table (memory write only; no invalidation). */
  installSte(sid: number, dwords: readonly bigint[]): void;
  readSte(sid: number): bigint[];
  readReg(offset: number): bigint;
  /** Register write; a GERRORN write that clears CMDQ_ERR resumes the queue. */
  writeReg(offset: number, value: bigint): void;
  /** CMDQ ring slot at `index` (16 bytes), for the GERROR handler. */
  readCmdqEntry(index: number): [bigint, bigint];
  writeCmdqEntry(index: number, cmd: readonly bigint[]): void;
  /** log2 of the CMDQ size in entries (for index/wrap arithmetic). */
  cmdqLog2Size(): number;
  /** Physical address of CMDQ slot `index` (the MSI target of an MSI-polled CMD_SYNC). */
  cmdqEntryAddress(index: number): bigint;
}
