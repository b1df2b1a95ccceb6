/**
 * A small in-memory HostSmmuPort for host-layer tests (no translation): a CMDQ ring with the
 * architected error mechanics (§7.1: CONS stays on the failing command, CONS.ERR, GERROR.CMDQ_ERR
 * toggles, GERRORN ack resumes from CONS), an STE store and fault injection. The real device is
 * connected through the same interface by the lead.
 */
import { CERROR, CERROR_NAME, OPCODE, commandOpcode } from '../arch/command.ts';
import { type Ring, ringEmpty, ringInc, ringIndex } from '../arch/queue.ts';
import { CMDQ_CONS, GERROR_BIT, REG } from '../arch/registers.ts';
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
  get #ring(): Ring {
    return { log2: this.#log2 };
  }
  submit(cmds: readonly (readonly bigint[])[]): PortSubmitResult {
    let prod = Number(this.readReg(REG.CMDQ_PROD));
    for (const c of cmds) {
      this.ring[ringIndex(this.#ring, prod)] = [c[0] ?? 0n, c[1] ?? 0n];
      prod = ringInc(this.#ring, prod);
    }
    this.#regs.set(REG.CMDQ_PROD, BigInt(prod));
    return this.#consume();
  }

  #active(): boolean {
    return ((this.readReg(REG.GERROR) ^ this.readReg(REG.GERRORN)) & GERROR_BIT.CMDQ_ERR) !== 0n;
  }

  #consume(): PortSubmitResult {
    let error: CerrorName = 'CERROR_NONE';
    while (!this.#active()) {
      const prod = Number(this.readReg(REG.CMDQ_PROD));
      const consReg = this.readReg(REG.CMDQ_CONS);
      const cons = Number(consReg & BigInt(this.#wrap()));
      if (ringEmpty(this.#ring, prod, cons)) break;
      if (this.#stallAfter !== undefined && this.#consumed >= this.#stallAfter) return { error, stalled: true };
      const cmd = this.readCmdqEntry(ringIndex(this.#ring, cons));
      const op = commandOpcode(cmd);
      let code: number = CERROR.NONE;
      if (this.#abt > 0) {
        this.#abt--;
        code = CERROR.ABT;
      } else if (this.#illegal.has(op)) code = CERROR.ILL;
      else if (op === OPCODE.CMD_SYNC && this.#atc > 0) {
        this.#atc--;
        code = CERROR.ATC_INV_SYNC;
      }
      if (code !== CERROR.NONE) {
        error = CERROR_NAME[code] ?? 'CERROR_ILL';
        this.#regs.set(REG.CMDQ_CONS, CMDQ_CONS.encode({ RD: cons, ERR: code })[0] ?? 0n);
        this.#regs.set(REG.GERROR, this.readReg(REG.GERROR) ^ GERROR_BIT.CMDQ_ERR);
        break;
      }
      this.executed.push(cmd);
      this.#consumed++;
      this.#regs.set(REG.CMDQ_CONS, (consReg & ~BigInt(this.#wrap())) | BigInt(ringInc(this.#ring, cons)));
    }
    return { error, stalled: false };
  }
}
