/**
 * SMMUv3 register file (Non-secure page 0 + page 1): storage plus the architected write rules
 * (§6.3). Side effects that reach other parts of the device (consuming the CMDQ on a PROD write,
 * resuming after a GERRORN ack) are done by SmmuDevice; this file only decides what a register
 * holds after a write.
 *
 * Write rules implemented (SMMUv3.2 behaviour):
 * - CR0 → CR0ACK immediately (the update completes before the next access); unimplemented
 *   enables (PRIQEN without PRI, ATSCHK without ATS) are RES0.
 * - IRQ_CTRL → IRQ_CTRLACK immediately.
 * - GBPA: only a write with UPDATE=1 changes the fields; UPDATE then reads 0 (done at once).
 *   Reset value of ABORT is the profile's `gbpaAbortReset` (IMPLEMENTATION DEFINED, §6.3.14).
 *   A write with UPDATE=0 is IGNORED (the only v3.2+ behaviour).
 * - GERROR is RO; GERRORN is RW. Active errors = GERROR ^ GERRORN (§6.3.17).
 * - "RO when enabled": a write while the guarding enable is 1 in CR0 or CR0ACK (IRQ_CTRL or
 *   IRQ_CTRLACK) is IGNORED (v3.2+):
 *   CR1 TABLE_* by SMMUEN, CR1 QUEUE_* by any of CMDQEN/EVENTQEN/PRIQEN, per field (§6.3.11);
 *   CR2 by SMMUEN (§6.3.12); STRTAB_BASE/_CFG by SMMUEN (§6.3.24, §6.3.25);
 *   CMDQ_BASE, CMDQ_CONS by CMDQEN (§6.3.26, §6.3.28); EVENTQ_BASE, EVENTQ_PROD by EVENTQEN
 *   (§6.3.29, §6.3.95); GERROR_IRQ_CFG0-2 by GERROR_IRQEN, EVENTQ_IRQ_CFG0-2 by EVENTQ_IRQEN
 *   (§6.3.21-6.3.23, §6.3.30-6.3.32). PRIQ_* and GATOS_* registers are not modelled.
 */
import type { Ring } from '../arch/queue.ts';
import * as queue from '../arch/queue.ts';
import type { StructCodec } from '../arch/fields.ts';
import * as registers from '../arch/registers.ts';

// Imported bindings copied once into locals (as in walk.ts): under tsx's CJS interop every use of
// an imported name is a getter call, and every register access runs through this file.
const { queueBase, ringCount, ringEmpty, ringFull, ringInc, ringIndex, ringWrap } = queue;
const {
  CMDQ_BASE,
  CMDQ_CONS,
  CMDQ_PROD,
  CR0,
  CR1,
  CR2,
  EVENTQ_BASE,
  EVENTQ_CONS,
  EVENTQ_CONS_PAGE0,
  EVENTQ_PROD,
  EVENTQ_PROD_PAGE0,
  GBPA,
  GERRORN,
  GERROR_IRQ_CFG0,
  GERROR_IRQ_CFG1,
  GERROR_IRQ_CFG2,
  IDR1,
  IRQ_CTRL,
  REG,
  REG64,
  STRTAB_BASE,
  STRTAB_BASE_CFG,
} = registers;
import { type SmmuProfile, profileToIdRegs } from './profile.ts';

/** The one-bit CR0 enables as masks (cr0() runs on every transaction and register write). */
export const CR0_ENABLE = {
  SMMUEN: CR0.mask('SMMUEN'),
  EVENTQEN: CR0.mask('EVENTQEN'),
  CMDQEN: CR0.mask('CMDQEN'),
  PRIQEN: CR0.mask('PRIQEN'),
  ATSCHK: CR0.mask('ATSCHK'),
} as const;
const CR0_EVENTQEN = CR0_ENABLE.EVENTQEN;
const CR0_CMDQEN = CR0_ENABLE.CMDQEN;
/** CMDQEN, EVENTQEN, PRIQEN: the enables guarding SMMU_CR1.QUEUE_* (§6.3.11). */
const CR0_QUEUE_ENABLES = bits(CR0, 'CMDQEN', 'EVENTQEN', 'PRIQEN');

/** Map a page-0 alias to the page-1 register it stands for. */
export function canonicalOffset(offset: number): number {
  if (offset === EVENTQ_PROD_PAGE0) return REG.EVENTQ_PROD;
  if (offset === EVENTQ_CONS_PAGE0) return REG.EVENTQ_CONS;
  return offset;
}

const WRITABLE = new Set<number>([
  REG.CR0,
  REG.CR1,
  REG.CR2,
  REG.GBPA,
  REG.IRQ_CTRL,
  REG.GERRORN,
  REG.GERROR_IRQ_CFG0,
  REG.GERROR_IRQ_CFG1,
  REG.GERROR_IRQ_CFG2,
  REG.STRTAB_BASE,
  REG.STRTAB_BASE_CFG,
  REG.CMDQ_BASE,
  REG.CMDQ_PROD,
  REG.CMDQ_CONS,
  REG.EVENTQ_BASE,
  REG.EVENTQ_PROD,
  REG.EVENTQ_CONS,
  REG.EVENTQ_IRQ_CFG0,
  REG.EVENTQ_IRQ_CFG1,
  REG.EVENTQ_IRQ_CFG2,
]);

/** The bits of the named fields of a register. */
function bits(codec: StructCodec, ...names: string[]): bigint {
  return names.reduce((m, n) => m | codec.mask(n), 0n);
}
/** Every field of a register. */
const all = (codec: StructCodec): bigint => codec.definedMask[0] ?? 0n;

/**
 * The write masks' parts, made once (boot alone writes some fifteen registers, and a campaign
 * boots an SMMU per scenario): the profile only decides which parts apply.
 */
const MASK = {
  CR0: bits(CR0, 'SMMUEN', 'EVENTQEN', 'CMDQEN'),
  CR0_PRIQEN: bits(CR0, 'PRIQEN'),
  CR0_ATSCHK: bits(CR0, 'ATSCHK'),
  CR1: all(CR1),
  CR2: bits(CR2, 'RECINVSID', 'PTM'),
  CR2_E2H: bits(CR2, 'E2H'),
  CR2_REC_CFG_ATS: bits(CR2, 'REC_CFG_ATS'),
  GBPA: all(GBPA),
  IRQ_CTRL: bits(IRQ_CTRL, 'GERROR_IRQEN', 'EVENTQ_IRQEN'),
  IRQ_CTRL_PRIQ: bits(IRQ_CTRL, 'PRIQ_IRQEN'),
  GERRORN: all(GERRORN),
  IRQ_CFG0_ADDR: bits(GERROR_IRQ_CFG0, 'ADDR'),
  IRQ_CFG1: all(GERROR_IRQ_CFG1),
  IRQ_CFG2: all(GERROR_IRQ_CFG2),
  STRTAB_BASE_ADDR: bits(STRTAB_BASE, 'ADDR'),
  STRTAB_BASE_RA: bits(STRTAB_BASE, 'RA'),
  STRTAB_BASE_CFG: all(STRTAB_BASE_CFG),
  CMDQ_BASE_ADDR: bits(CMDQ_BASE, 'ADDR'),
  CMDQ_BASE_REST: bits(CMDQ_BASE, 'LOG2SIZE', 'RA'),
  EVENTQ_BASE_ADDR: bits(EVENTQ_BASE, 'ADDR'),
  EVENTQ_BASE_REST: bits(EVENTQ_BASE, 'LOG2SIZE', 'WA'),
  CMDQ_PROD: all(CMDQ_PROD),
  CMDQ_CONS: all(CMDQ_CONS),
  EVENTQ_PROD: all(EVENTQ_PROD),
  EVENTQ_CONS: all(EVENTQ_CONS),
  GBPA_UPDATE: bits(GBPA, 'UPDATE'),
} as const;

/** Bits software can set per register (others RES0, stored as zero); addresses up to the OAS (`oasMask`). */
function writeMask(offset: number, p: SmmuProfile, oasMask: bigint): bigint {
  switch (offset) {
    case REG.CR0:
      return MASK.CR0 | (p.pri ? MASK.CR0_PRIQEN : 0n) | (p.ats ? MASK.CR0_ATSCHK : 0n);
    case REG.CR1:
      return MASK.CR1;
    case REG.CR2:
      // E2H is RES0 without IDR0.HYP
      return MASK.CR2 | (p.hyp ? MASK.CR2_E2H : 0n) | (p.ats ? MASK.CR2_REC_CFG_ATS : 0n);
    case REG.GBPA:
      return MASK.GBPA;
    case REG.IRQ_CTRL:
      return MASK.IRQ_CTRL | (p.pri ? MASK.IRQ_CTRL_PRIQ : 0n);
    case REG.GERRORN:
      return MASK.GERRORN;
    case REG.GERROR_IRQ_CFG0:
    case REG.EVENTQ_IRQ_CFG0:
      return MASK.IRQ_CFG0_ADDR & oasMask;
    case REG.GERROR_IRQ_CFG1:
    case REG.EVENTQ_IRQ_CFG1:
      return MASK.IRQ_CFG1;
    case REG.GERROR_IRQ_CFG2:
    case REG.EVENTQ_IRQ_CFG2:
      return MASK.IRQ_CFG2;
    case REG.STRTAB_BASE:
      return (MASK.STRTAB_BASE_ADDR & oasMask) | MASK.STRTAB_BASE_RA;
    case REG.STRTAB_BASE_CFG:
      return MASK.STRTAB_BASE_CFG;
    case REG.CMDQ_BASE:
      return (MASK.CMDQ_BASE_ADDR & oasMask) | MASK.CMDQ_BASE_REST;
    case REG.EVENTQ_BASE:
      return (MASK.EVENTQ_BASE_ADDR & oasMask) | MASK.EVENTQ_BASE_REST;
    case REG.CMDQ_PROD:
      return MASK.CMDQ_PROD;
    case REG.CMDQ_CONS:
      return MASK.CMDQ_CONS;
    case REG.EVENTQ_PROD:
      return MASK.EVENTQ_PROD;
    case REG.EVENTQ_CONS:
      return MASK.EVENTQ_CONS;
    default:
      return 0n;
  }
}

export class RegFile {
  readonly profile: SmmuProfile;
  readonly #v = new Map<number, bigint>();
  /** Bits [OAS-1:0]: the address bits a base or IRQ_CFG0 register stores (§6.3). */
  readonly #oasMask: bigint;

  constructor(profile: SmmuProfile) {
    this.profile = profile;
    this.#oasMask = (1n << BigInt(profile.oas)) - 1n;
    const id = profileToIdRegs(profile);
    this.#v.set(REG.IDR0, id.idr0);
    this.#v.set(REG.IDR1, id.idr1);
    this.#v.set(REG.IDR2, id.idr2);
    this.#v.set(REG.IDR3, id.idr3);
    this.#v.set(REG.IDR4, id.idr4);
    this.#v.set(REG.IDR5, id.idr5);
    this.#v.set(REG.IIDR, id.iidr);
    this.#v.set(REG.AIDR, id.aidr);
    if (profile.gbpaAbortReset) this.#v.set(REG.GBPA, 1n << 20n);
  }

  get(offset: number): bigint {
    return this.#v.get(canonicalOffset(offset)) ?? 0n;
  }

  /** Set a register directly (device-internal updates: CONS, GERROR, EVENTQ_PROD, ...). */
  set(offset: number, value: bigint): void {
    this.#v.set(canonicalOffset(offset), BigInt.asUintN(REG64.has(offset) ? 64 : 32, value));
  }

  isWritable(offset: number): boolean {
    return WRITABLE.has(canonicalOffset(offset));
  }

  /**
   * Apply a software write with the architected masking and guards. Returns false when the
   * write was IGNORED (guarded register, RO register, unknown offset).
   */
  softwareWrite(offset: number, value: bigint): boolean {
    const o = canonicalOffset(offset);
    if (!WRITABLE.has(o)) return false;
    const v = BigInt.asUintN(REG64.has(o) ? 64 : 32, value) & writeMask(o, this.profile, this.#oasMask);
    switch (o) {
      case REG.CR0:
        this.#v.set(REG.CR0, v);
        this.#v.set(REG.CR0ACK, v);
        return true;
      case REG.IRQ_CTRL:
        this.#v.set(REG.IRQ_CTRL, v);
        this.#v.set(REG.IRQ_CTRLACK, v);
        return true;
      case REG.GBPA:
        if ((v & MASK.GBPA_UPDATE) === 0n) return false;
        this.#v.set(REG.GBPA, v & ~MASK.GBPA_UPDATE);
        return true;
      case REG.CR1: {
        // TABLE_* [11:6] guarded by SMMUEN, QUEUE_* [5:0] by every queue enable (§6.3.11).
        const ro = (this.smmuEnabled() ? 0xfc0n : 0n) | (this.#anyEnabled(CR0_QUEUE_ENABLES) ? 0x3fn : 0n);
        if (ro === 0xfffn) return false;
        this.#v.set(REG.CR1, (this.get(REG.CR1) & ro) | (v & ~ro));
        return true;
      }
      case REG.CR2: // §6.3.12: made read-only when SMMUEN is Updated to 1
      case REG.STRTAB_BASE:
      case REG.STRTAB_BASE_CFG:
        if (this.smmuEnabled()) return false;
        break;
      case REG.CMDQ_BASE:
      case REG.CMDQ_CONS:
        if (this.#anyEnabled(CR0_CMDQEN)) return false;
        break;
      case REG.EVENTQ_BASE:
      case REG.EVENTQ_PROD:
        if (this.#anyEnabled(CR0_EVENTQEN)) return false;
        break;
      // *_IRQ_CFG{0,1,2} are Guarded by their IRQ_CTRL enable: RO while IRQEN or its ACK is 1 (§6.3.21, §6.3.30).
      case REG.GERROR_IRQ_CFG0:
      case REG.GERROR_IRQ_CFG1:
      case REG.GERROR_IRQ_CFG2:
        if (this.#irqGuard(0n)) return false;
        break;
      case REG.EVENTQ_IRQ_CFG0:
      case REG.EVENTQ_IRQ_CFG1:
      case REG.EVENTQ_IRQ_CFG2:
        if (this.#irqGuard(2n)) return false;
        break;
      default:
        break;
    }
    this.#v.set(o, v);
    return true;
  }

  cr0(name: keyof typeof CR0_ENABLE): boolean {
    return (this.get(REG.CR0ACK) & CR0_ENABLE[name]) !== 0n;
  }

  smmuEnabled(): boolean {
    return this.cr0('SMMUEN') || (this.get(REG.CR0) & CR0_ENABLE.SMMUEN) !== 0n;
  }

  /** Active global errors (GERROR ^ GERRORN). */
  activeGerror(): bigint {
    return this.get(REG.GERROR) ^ this.get(REG.GERRORN);
  }

  /** Called after a global error is activated (the device sends the GERROR interrupt, §3.18.2). */
  onGerrorActivated: ((bit: bigint) => void) | undefined;

  /** Activate a global error: toggle its GERROR bit unless it is already active (§7.5). */
  raiseGerror(bit: bigint): boolean {
    if ((this.activeGerror() & bit) !== 0n) return false;
    this.set(REG.GERROR, this.get(REG.GERROR) ^ bit);
    this.onGerrorActivated?.(bit);
    return true;
  }

  /** Any of the CR0 `bits` set in SMMU_CR0 or SMMU_CR0ACK (the "RW when both are 0" guards of §6.3). */
  #anyEnabled(bits: bigint): boolean {
    return ((this.get(REG.CR0) | this.get(REG.CR0ACK)) & bits) !== 0n;
  }

  /** IRQ_CTRL bit `bit` (0 GERROR_IRQEN, 2 EVENTQ_IRQEN) set in IRQ_CTRL or IRQ_CTRLACK. */
  #irqGuard(bit: bigint): boolean {
    return (((this.get(REG.IRQ_CTRL) | this.get(REG.IRQ_CTRLACK)) >> bit) & 1n) === 1n;
  }

  isGerrorActive(bit: bigint): boolean {
    return (this.activeGerror() & bit) !== 0n;
  }
}

/**
 * A ring of 2^log2 entries over raw (bigint) PROD/CONS register values: the arithmetic is
 * arch/queue.ts's, on the index + wrap bits of each value.
 */
export class QueuePtr implements Ring {
  readonly size: number;
  readonly #wrapMask: bigint;
  constructor(readonly log2: number) {
    this.size = 2 ** log2;
    this.#wrapMask = BigInt(2 * this.size - 1);
  }
  /** Index + wrap (bits [log2:0]) of a raw PROD/CONS value. */
  norm(raw: bigint): number {
    return Number(raw & this.#wrapMask);
  }
  index(raw: bigint): number {
    return ringIndex(this, this.norm(raw));
  }
  wrap(raw: bigint): number {
    return ringWrap(this, this.norm(raw));
  }
  empty(prod: bigint, cons: bigint): boolean {
    return ringEmpty(this, this.norm(prod), this.norm(cons));
  }
  full(prod: bigint, cons: bigint): boolean {
    return ringFull(this, this.norm(prod), this.norm(cons));
  }
  /** Next index+wrap value. */
  inc(raw: bigint): number {
    return ringInc(this, this.norm(raw));
  }
  /** Entries between cons and prod. */
  count(prod: bigint, cons: bigint): number {
    return ringCount(this, this.norm(prod), this.norm(cons));
  }
}

/**
 * A queue's ring and effective base from its BASE register (LOG2SIZE capped by the IDR1 size
 * field, ADDR aligned to the larger of the queue size and 32 bytes: §6.3.26, §6.3.29), derived
 * again only when BASE or IDR1 changed (the CMDQ reads it per command).
 */
export class QueueGeometry {
  #geo: { readonly reg: bigint; readonly idr1: bigint; readonly ptr: QueuePtr; readonly base: bigint } | undefined;
  constructor(
    readonly regs: RegFile,
    readonly baseReg: typeof REG.CMDQ_BASE | typeof REG.EVENTQ_BASE,
    readonly codec: StructCodec,
    readonly maxField: 'CMDQS' | 'EVENTQS',
    readonly entryBytes: number,
  ) {}

  get(): { readonly ptr: QueuePtr; readonly base: bigint } {
    const reg = this.regs.get(this.baseReg);
    const idr1 = this.regs.get(REG.IDR1);
    const g = this.#geo;
    if (g !== undefined && g.reg === reg && g.idr1 === idr1) return g;
    const ptr = new QueuePtr(Math.min(Number(this.codec.get([reg], 'LOG2SIZE')), Number(IDR1.get([idr1], this.maxField))));
    this.#geo = { reg, idr1, ptr, base: queueBase(this.codec.get([reg], 'ADDR'), ptr.size, this.entryBytes) };
    return this.#geo;
  }
}
