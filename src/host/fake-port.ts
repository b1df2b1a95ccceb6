/**
 * A small in-memory HostSmmuPort for host-layer tests (no translation): a CMDQ ring with the
 * architected error mechanics (§7.1: CONS stays on the failing command, CONS.ERR, GERROR.CMDQ_ERR
 * toggles, GERRORN ack resumes from CONS), an STE store and fault injection. The real device is
 * connected through the same interface by the lead.
 */
import { REG } from '../arch/registers.ts';
import { type IdRegs, type SmmuProfile, makeProfile, profileToIdRegs } from '../smmu/profile.ts';
import type { CerrorName, HostSmmuPort, PortSubmitResult } from './port.ts';

/** Where the fake pretends its CMDQ lives. */
export const FAKE_CMDQ_BASE = 0x4_0000_0000n;

export interface FakePortOptions {
  readonly profile?: Partial<SmmuProfile>;
  readonly log2Size?: number;
  /** Opcodes treated as illegal (CERROR_ILL). Default: 0x00 and 0x7f. */
  readonly illegal?: readonly number[];
  /** The queue stops making progress (nothing more is consumed) after this many commands. */
  readonly stallAfter?: number;
  /** Every CMD_SYNC fails with CERROR_ATC_INV_SYNC this many times in total. */
  readonly atcSyncFailures?: number;
  /** The next N fetches abort (CERROR_ABT). */
  readonly fetchAborts?: number;
}

export class FakePort implements HostSmmuPort {
  readonly profile: SmmuProfile;
  readonly ring: bigint[][];
  readonly executed: bigint[][] = [];
  readonly stes = new Map<number, bigint[]>();
  readonly #log2: number;
  readonly #regs = new Map<number, bigint>();
  readonly #illegal: Set<number>;
  #consumed = 0;
  #stallAfter: number | undefined;
  #atc: number;
  #abt: number;

  constructor(o: FakePortOptions = {}) {
    this.profile = makeProfile(o.profile ?? {});
    this.#log2 = o.log2Size ?? 8;
    this.ring = Array.from({ length: 1 << this.#log2 }, () => [0n, 0n]);
    this.#illegal = new Set(o.illegal ?? [0x00, 0x7f]);
    this.#stallAfter = o.stallAfter;
    this.#atc = o.atcSyncFailures ?? 0;
    this.#abt = o.fetchAborts ?? 0;
  }

  idRegs(): IdRegs {
    return profileToIdRegs(this.profile);
  }
  cmdqLog2Size(): number {
    return this.#log2;
  }
  cmdqEntryAddress(index: number): bigint {
    return FAKE_CMDQ_BASE + BigInt(index * 16);
  }
  readReg(offset: number): bigint {
    return this.#regs.get(offset) ?? 0n;
  }
  writeReg(offset: number, value: bigint): void {
    this.#regs.set(offset, value);
    if (offset === REG.GERRORN) this.#consume();
  }
  readCmdqEntry(index: number): [bigint, bigint] {
    const e = this.ring[index] ?? [0n, 0n];
    return [e[0] ?? 0n, e[1] ?? 0n];
  }
  writeCmdqEntry(index: number, cmd: readonly bigint[]): void {
    this.ring[index] = [cmd[0] ?? 0n, cmd[1] ?? 0n];
  }
  installSte(sid: number, dwords: readonly bigint[]): void {
    this.stes.set(sid, dwords.slice());
  }
  readSte(sid: number): bigint[] {
    return this.stes.get(sid)?.slice() ?? new Array<bigint>(8).fill(0n);
  }

  #wrap(): number {
    return (2 << this.#log2) - 1;
  }
  submit(cmds: readonly (readonly bigint[])[]): PortSubmitResult {
    let prod = Number(this.readReg(REG.CMDQ_PROD));
    for (const c of cmds) {
      this.ring[prod & ((1 << this.#log2) - 1)] = [c[0] ?? 0n, c[1] ?? 0n];
      prod = (prod + 1) & this.#wrap();
    }
    this.#regs.set(REG.CMDQ_PROD, BigInt(prod));
    return this.#consume();
  }

  #active(): boolean {
    return ((this.readReg(REG.GERROR) ^ this.readReg(REG.GERRORN)) & 1n) !== 0n;
  }

  #consume(): PortSubmitResult {
    let error: CerrorName = 'CERROR_NONE';
    while (!this.#active()) {
      const prod = Number(this.readReg(REG.CMDQ_PROD));
      const consReg = this.readReg(REG.CMDQ_CONS);
      const cons = Number(consReg & BigInt(this.#wrap()));
      if (prod === cons) break;
      if (this.#stallAfter !== undefined && this.#consumed >= this.#stallAfter) return { error, stalled: true };
      const cmd = this.readCmdqEntry(cons & ((1 << this.#log2) - 1));
      const op = Number(cmd[0] & 0xffn);
      let code = 0;
      if (this.#abt > 0) {
        this.#abt--;
        code = 2;
      } else if (this.#illegal.has(op)) code = 1;
      else if (op === 0x46 && this.#atc > 0) {
        this.#atc--;
        code = 3;
      }
      if (code !== 0) {
        error = (['CERROR_NONE', 'CERROR_ILL', 'CERROR_ABT', 'CERROR_ATC_INV_SYNC'] as const)[code] ?? 'CERROR_ILL';
        this.#regs.set(REG.CMDQ_CONS, BigInt(cons) | (BigInt(code) << 24n));
        this.#regs.set(REG.GERROR, this.readReg(REG.GERROR) ^ 1n);
        break;
      }
      this.executed.push(cmd);
      this.#consumed++;
      this.#regs.set(REG.CMDQ_CONS, (consReg & ~BigInt(this.#wrap())) | BigInt((cons + 1) & this.#wrap()));
    }
    return { error, stalled: false };
  }
}
