/**
 * One-stage VMSAv8-64 table walks (Arm ARM D8; SMMUv3 §3.4, §7.3.12–7.3.16, §7.3.22 priority).
 *
 * Numbers only: input addresses are < 2^53 (stage 1 uses the "VA key", see tlb.ts), PAs/IPAs
 * ≤ 52 bits. Faults are returned as TranslationFault objects (allocated only on failure); a
 * successful walk writes into a caller-owned scratch object.
 *
 * Fault priority within a walk (§7.3.22, errata B.9): input range → per level F_WALK_EABT,
 * F_TRANSLATION, F_ADDR_SIZE (table and leaf output addresses) → F_ACCESS → F_PERMISSION on the
 * combined hierarchical permissions of the final descriptor.
 */
import * as ttd from '../arch/ttd.ts';
import type { LeafEntry } from './tlb.ts';
import type { FaultClass, FaultType, TranslateEnv, TranslationFault } from './translate-types.ts';
import type { S1Context, S2Context } from './walk-context.ts';

// Imported bindings are copied once into locals: under some loaders (tsx's CJS interop) every
// use of an imported name is a getter call, which dominated the walk profile.
const {
  POW2,
  TWO32,
  afBit,
  alignDown,
  apTable,
  blockAllowed,
  dbmBit,
  descOA,
  isTableOrPage,
  isValid,
  levelShift,
  nGBit,
  pxnBit,
  pxnTable,
  s1AP,
  s2AP,
  s2MemAttr,
  s2XN,
  uxnBit,
  uxnTable,
} = ttd;

// Permission mask bits: privileged R/W/X, unprivileged R/W/X.
export const PERM_PR = 1;
export const PERM_PW = 2;
export const PERM_PX = 4;
export const PERM_UR = 8;
export const PERM_UW = 16;
export const PERM_UX = 32;
export const PERM_ALL = 63;

/** Permission bits a request needs. InD=1 needs execute only (execute-only memory is legal). */
export function needMask(read: boolean, write: boolean, instruction: boolean, privileged: boolean): number {
  const m = (instruction ? PERM_PX : read ? PERM_PR : 0) | (write ? PERM_PW : 0);
  return privileged ? m : m * 8;
}

export function mkFault(type: FaultType, s2: boolean, cls: FaultClass, level: number, ipa: number, fetchAddr: number, ttrnw?: boolean): TranslationFault {
  const f: TranslationFault = { type, s2, class: cls, level };
  if (ipa >= 0) f.ipa = BigInt(ipa);
  if (fetchAddr >= 0) f.fetchAddr = BigInt(fetchAddr);
  if (ttrnw !== undefined) f.ttrnw = ttrnw;
  return f;
}

/** Result of a successful single-stage walk or S2 lookup. */
export interface StageOut {
  /** Output address of the input address (not the page base). */
  oa: number;
  sizeLog2: number;
  level: number;
  perm: number;
  global: boolean;
  device: boolean;
  /** DBM=1 page still clean under HD: a later write must walk again (to set the dirty state). */
  dirtyPending: boolean;
}

export function newStageOut(): StageOut {
  return { oa: 0, sizeLog2: 0, level: 0, perm: 0, global: false, device: false, dirtyPending: false };
}

const scratch = new Uint32Array(2);

function s2PermMask(lo: number, hi: number): number {
  const ap = s2AP(lo);
  let m = 0;
  if (ap & 1) m |= PERM_PR | PERM_UR;
  if (ap & 2) m |= PERM_PW | PERM_UW;
  // XN[1:0] (FEAT_XNX): 00 both, 01 EL0 only, 10 none, 11 EL1 only.
  const xn = s2XN(hi);
  if (xn === 0 || xn === 3) m |= PERM_PX;
  if (xn === 0 || xn === 1) m |= PERM_UX;
  return m;
}

/**
 * Stage-2 translation of `ipa` for a purpose (CD fetch, S1 table walk, or the transaction input):
 * S2 TLB, then a walk. `need` are the permission bits to check; `walkAccess` marks CD/table-walk
 * accesses for S2PTW (errata row 12: Device at S2 → stage-2 F_PERMISSION).
 */
export function stage2(
  env: TranslateEnv,
  s2: S2Context,
  ipa: number,
  cls: FaultClass,
  need: number,
  walkAccess: boolean,
  out: StageOut,
): TranslationFault | undefined {
  const tlb = env.tlb;
  const trace = env.trace;
  const cache = tlb !== undefined && tlb.enabled;
  // Values derived from the STE once, when the context was built (walk-context.ts).
  const d = s2;
  const tag = d.leafTag;
  if (cache) {
    const e = tlb.lookupLeaf(tag, ipa);
    if (e !== undefined && !(e.dirtyPending && (need & (PERM_PW | PERM_UW)) !== 0)) {
      tlb.hits++;
      if (trace !== undefined) trace.tlbHit('s2', ipa, e.s2Level);
      out.oa = e.out + (ipa - e.base);
      out.sizeLog2 = e.sizeLog2;
      out.level = e.s2Level;
      out.perm = e.s2Perm;
      out.global = false;
      out.device = e.device;
      out.dirtyPending = e.dirtyPending;
      return s2Checks(s2, ipa, cls, need, walkAccess, out);
    }
    tlb.misses++;
  }
  const g = d.g;
  const ia = d.ia;
  const start = d.start;
  if (ipa >= d.iaLimit) return mkFault('F_TRANSLATION', true, cls, start, ipa, -1);
  let level = start;
  let table = d.ttbBase;
  if (cache) {
    for (let l = 2; l >= start; l--) {
      const w = tlb.lookupWalk(d.walkTag, l, ipa);
      if (w !== undefined) {
        if (trace !== undefined) trace.tlbHit('walk-s2', ipa, l);
        level = l + 1;
        table = w.next;
        break;
      }
    }
  }
  const psLimit = d.psLimit;
  const aHi = Math.floor(ipa / 4294967296);
  const aLo = ipa >>> 0;
  const lpa = d.lpa;
  for (;;) {
    const shift = levelShift(g, level);
    const pa = descriptorSlot(table, g, level, start, ia, aHi, aLo, ipa);
    if (!env.mem.readU64Parts(pa, scratch)) {
      if (trace !== undefined) trace.fetch(2, level, pa, -1, undefined, undefined, 'abort');
      return mkFault('F_WALK_EABT', true, cls, level, ipa, pa);
    }
    let lo = scratch[0] as number;
    const hi = scratch[1] as number;
    if (!isValid(lo)) {
      if (trace !== undefined) trace.fetch(2, level, pa, -1, lo, hi, 'invalid');
      return mkFault('F_TRANSLATION', true, cls, level, ipa, -1);
    }
    if (level < 3 && isTableOrPage(lo)) {
      const next = descOA(lo, hi, g);
      if (next >= psLimit) {
        if (trace !== undefined) trace.fetch(2, level, pa, -1, lo, hi, 'fault: F_ADDR_SIZE');
        return mkFault('F_ADDR_SIZE', true, cls, level, ipa, -1);
      }
      if (trace !== undefined) trace.fetch(2, level, pa, -1, lo, hi, 'table');
      if (cache) {
        tlb.insertWalk(d.walkTag, {
          base: alignDown(ipa, shift),
          sizeLog2: shift,
          level,
          next,
          apTable: 0,
          pxnTable: false,
          uxnTable: false,
          granule: s2.tg,
        });
      }
      table = next;
      level++;
      continue;
    }
    // Leaf: page at level 3 (0b11), block at 0-2 (0b01) where the granule allows it.
    if (level === 3 ? !isTableOrPage(lo) : !blockAllowed(g, level, lpa)) {
      if (trace !== undefined) trace.fetch(2, level, pa, -1, lo, hi, 'reserved');
      return mkFault('F_TRANSLATION', true, cls, level, ipa, -1);
    }
    const base = alignDown(descOA(lo, hi, g), shift);
    if (base >= psLimit) {
      if (trace !== undefined) trace.fetch(2, level, pa, -1, lo, hi, 'fault: F_ADDR_SIZE');
      return mkFault('F_ADDR_SIZE', true, cls, level, ipa, -1);
    }
    let newLo = lo;
    if (!afBit(lo)) {
      if (s2.ha) newLo |= 0x400;
      else if (!s2.affd) {
        if (trace !== undefined) trace.fetch(2, level, pa, -1, lo, hi, 'fault: F_ACCESS');
        return mkFault('F_ACCESS', true, cls, level, ipa, -1);
      }
    }
    // HTTU dirty state (S2HD): a write to a DBM=1 page that lacks write permission sets S2AP[1].
    let dirtyPending = false;
    if (s2.hd && dbmBit(hi) && (lo & 0x80) === 0) {
      if ((need & (PERM_PW | PERM_UW)) !== 0) newLo |= 0x80;
      else dirtyPending = true;
    }
    if (newLo !== lo) {
      lo = newLo >>> 0;
      env.mem.writeU64Parts(pa, lo, hi);
      if (trace !== undefined) trace.hardwareUpdate(2, pa, lo, hi);
    }
    if (trace !== undefined) trace.fetch(2, level, pa, -1, lo, hi, level === 3 ? 'page' : 'block');
    out.oa = base + lowBits(aHi, aLo, shift);
    out.sizeLog2 = shift;
    out.level = level;
    out.perm = s2PermMask(lo, hi);
    out.global = false;
    out.device = (s2MemAttr(lo) & 0xc) === 0;
    out.dirtyPending = dirtyPending;
    if (cache) {
      const e: LeafEntry = {
        base: alignDown(ipa, shift),
        sizeLog2: shift,
        out: base,
        ipa: -1,
        s1Perm: PERM_ALL,
        s2Perm: out.perm,
        device: out.device,
        s1Level: -1,
        s2Level: level,
        s1Granule: 0,
        s2Granule: s2.tg,
        dirtyPending,
      };
      tlb.insertLeaf(tag, e);
    }
    return s2Checks(s2, ipa, cls, need, walkAccess, out);
  }
}

function s2Checks(s2: S2Context, ipa: number, cls: FaultClass, need: number, walkAccess: boolean, out: StageOut): TranslationFault | undefined {
  // S2PTW (errata row 12): a CD fetch or S1 walk to stage-2 Device memory is a stage-2 permission fault.
  if (walkAccess && s2.ptw && out.device) return mkFault('F_PERMISSION', true, cls, out.level, ipa, -1, true);
  if ((out.perm & need) !== need) return mkFault('F_PERMISSION', true, cls, out.level, ipa, -1, cls === 'TT' ? (need & (PERM_PW | PERM_UW)) === 0 : undefined);
  return undefined;
}

/**
 * Address of the descriptor for the input address hi:lo (`addr` as a number) at `level` of the
 * table at `table`: the start level is indexed by all remaining input bits (the possibly
 * concatenated start table), the levels below by g - 3 bits each.
 */
export function descriptorSlot(table: number, g: number, level: number, start: number, ia: number, aHi: number, aLo: number, addr: number): number {
  const shift = levelShift(g, level);
  return table + tableIndex(aHi, aLo, addr, shift, level === start ? ia - shift : g - 3) * 8;
}

/**
 * Bits [shift+bits-1:shift] of the address given as 32-bit halves (int ops: no float division or
 * fmod per level). Falls back to float arithmetic for widths only a bad context can produce.
 */
function tableIndex(aHi: number, aLo: number, addr: number, shift: number, bits: number): number {
  if (bits > 30) return Math.floor(addr / (POW2[shift] as number)) % (POW2[bits] as number);
  const mask = (1 << bits) - 1;
  return shift >= 32 ? (aHi >>> (shift - 32)) & mask : ((aLo >>> shift) | (aHi << (32 - shift))) & mask;
}

/** Address bits [shift-1:0] (the offset within a page/block) from the 32-bit halves. */
function lowBits(aHi: number, aLo: number, shift: number): number {
  if (shift < 32) return (aLo & ((1 << shift) - 1)) >>> 0;
  return (aHi & ((1 << (shift - 32)) - 1)) * 4294967296 + aLo;
}

/**
 * Stage-1 permissions of a single-privilege regime: StreamWorld any-EL2 without E2H. AP[1] is
 * ignored and treated as 1 and the access is checked as if PRIV=1, so the result is the same for
 * both privileges (SMMUv3 §13.4.1). Arm ARM D8.4 (Table D8-66): AP[2] alone gives read-only,
 * bit 54 is XN (bit 53 is RES0), APTable[0] is RES0, XNTable is bit 60, PXNTable RES0; PAN has
 * no effect (RTBYDZ; CD.PAN IGNORED, §5.4); WXN removes execute from writable memory.
 */
function s1PermMaskEl2(s1: S1Context, lo: number, hi: number, apT: number, uxnT: boolean): number {
  const ro = (lo & 0x80) !== 0 || (apT & 2) !== 0;
  let m = PERM_PR | PERM_UR | (ro ? 0 : PERM_PW | PERM_UW);
  // With WXN a writable-clean page is execute-never too (Arm ARM D8.5 INSYYW).
  if (!uxnBit(hi) && !uxnT && !(s1.wxn && (!ro || writableClean(s1, hi, apT)))) m |= PERM_PX | PERM_UX;
  return m;
}

/**
 * A writable-clean descriptor under CD.HD (DBM=1, not read-only by APTable): AP[2] counts as 0
 * when computing execute permission (Arm ARM D8.5 RTTLCV, RNKLQN, INSYYW).
 */
function writableClean(s1: S1Context, hi: number, apT: number): boolean {
  return s1.hd && dbmBit(hi) && (apT & 2) === 0;
}

/** Hierarchical and leaf stage-1 permissions for EL1&0 and EL2&0 (Arm ARM D8.4). */
function s1PermMask(s1: S1Context, lo: number, hi: number, apT: number, pxnT: boolean, uxnT: boolean): number {
  if (s1.el2NoAsid === true) return s1PermMaskEl2(s1, lo, hi, apT, uxnT);
  let ap = s1AP(lo);
  if (apT & 1) ap &= 2; // APTable[0]: no EL0 access below
  if (apT & 2) ap |= 2; // APTable[1]: read-only below
  const el0 = (ap & 1) !== 0;
  const ro = (ap & 2) !== 0;
  let m = 0;
  const panBlock = s1.pan && el0; // PAN: privileged data access to EL0-accessible memory faults
  if (!panBlock) m |= PERM_PR | (ro ? 0 : PERM_PW);
  if (el0) m |= PERM_UR | (ro ? 0 : PERM_UW);
  // Writable for the execute rules: AP[2]=0, or writable-clean under HD (D8.5 RTTLCV, RNKLQN).
  const writable = !ro || writableClean(s1, hi, apT);
  // PrivExecute is removed by PXN, by UnprivWrite (RVWLLR) and by PrivWXN (RSYMMB); UnprivExecute
  // by UXN and by UnprivWXN, which needs UnprivWrite (RFYMXJ; Table D8-65: AP=0b00 with WXN
  // keeps UnprivExecute).
  if (!pxnBit(hi) && !pxnT && !(el0 && writable) && !(s1.wxn && writable)) m |= PERM_PX;
  if (!uxnBit(hi) && !uxnT && !(s1.wxn && el0 && writable)) m |= PERM_UX;
  return m;
}

/** Scratch for the S2 translation of stage-1 descriptor addresses. */
const descOut = newStageOut();

/**
 * Stage-1 walk of `va` (VA key: VA[51:0] + VA[55]·2^52) in half `half` (0 = TTB0, 1 = TTB1).
 * With `s2`, the table addresses are IPAs translated by stage 2 (CLASS=TT faults).
 * Caller did the input-range/EPD checks. On success `out.oa` is the output (IPA if nested).
 */
export function walkS1(
  env: TranslateEnv,
  s1: S1Context,
  s2: S2Context | undefined,
  half: number,
  va: number,
  need: number,
  out: StageOut,
): TranslationFault | undefined {
  const tlb = env.tlb;
  const trace = env.trace;
  const cache = tlb !== undefined && tlb.enabled;
  const granule = half ? s1.tg1 : s1.tg0;
  // Geometry, start-table base and tag derived from the CD once, when the context was built.
  const h = half ? s1.half1 : s1.half0;
  const g = h.g;
  const ia = h.ia;
  const start = h.start;
  const walkTag = s1.walkTag;
  let level = start;
  let table = h.ttb;
  let apT = 0;
  let pxnT = false;
  let uxnT = false;
  if (cache) {
    for (let l = 2; l >= start; l--) {
      const w = tlb.lookupWalk(walkTag, l, va);
      if (w !== undefined && w.granule === granule) {
        if (trace !== undefined) trace.tlbHit('walk-s1', va, l);
        level = l + 1;
        table = w.next;
        apT = w.apTable;
        pxnT = w.pxnTable;
        uxnT = w.uxnTable;
        break;
      }
    }
  }
  const ipsLimit = s1.ipsLimit;
  // 64KB level-1 blocks: by the implemented PA size, not CD.IPS (S2Context.lpa).
  const lpa = s1.lpa;
  const aHi = Math.floor(va / 4294967296) & 0xfffff;
  const aLo = va >>> 0;
  const vaLow = aHi * 4294967296 + aLo;
  for (;;) {
    const shift = levelShift(g, level);
    const descAddr = descriptorSlot(table, g, level, start, ia, aHi, aLo, vaLow);
    let pa = descAddr;
    let ipa = -1;
    if (s2 !== undefined) {
      ipa = descAddr;
      const f = stage2(env, s2, descAddr, 'TT', PERM_PR, true, descOut);
      if (f !== undefined) return f;
      pa = descOut.oa;
    }
    if (!env.mem.readU64Parts(pa, scratch)) {
      if (trace !== undefined) trace.fetch(1, level, pa, ipa, undefined, undefined, 'abort');
      return mkFault('F_WALK_EABT', false, 'TT', level, -1, pa);
    }
    let lo = scratch[0] as number;
    const hi = scratch[1] as number;
    if (!isValid(lo)) {
      if (trace !== undefined) trace.fetch(1, level, pa, ipa, lo, hi, 'invalid');
      return mkFault('F_TRANSLATION', false, 'IN', level, -1, -1);
    }
    if (level < 3 && isTableOrPage(lo)) {
      const next = descOA(lo, hi, g);
      if (next >= ipsLimit) {
        if (trace !== undefined) trace.fetch(1, level, pa, ipa, lo, hi, 'fault: F_ADDR_SIZE');
        return mkFault('F_ADDR_SIZE', false, 'IN', level, -1, -1);
      }
      if (trace !== undefined) trace.fetch(1, level, pa, ipa, lo, hi, 'table');
      apT |= apTable(hi);
      pxnT ||= pxnTable(hi);
      uxnT ||= uxnTable(hi);
      if (cache) {
        tlb.insertWalk(walkTag, { base: alignDown(va, shift), sizeLog2: shift, level, next, apTable: apT, pxnTable: pxnT, uxnTable: uxnT, granule });
      }
      table = next;
      level++;
      continue;
    }
    if (level === 3 ? !isTableOrPage(lo) : !blockAllowed(g, level, lpa)) {
      if (trace !== undefined) trace.fetch(1, level, pa, ipa, lo, hi, 'reserved');
      return mkFault('F_TRANSLATION', false, 'IN', level, -1, -1);
    }
    const base = alignDown(descOA(lo, hi, g), shift);
    if (base >= ipsLimit) {
      if (trace !== undefined) trace.fetch(1, level, pa, ipa, lo, hi, 'fault: F_ADDR_SIZE');
      return mkFault('F_ADDR_SIZE', false, 'IN', level, -1, -1);
    }
    let newLo = lo;
    if (!afBit(lo)) {
      if (s1.ha) newLo |= 0x400;
      else if (!s1.affd) {
        if (trace !== undefined) trace.fetch(1, level, pa, ipa, lo, hi, 'fault: F_ACCESS');
        return mkFault('F_ACCESS', false, 'IN', level, -1, -1);
      }
    }
    // HTTU dirty state (CD.HD): a write that AP[2]=1 alone would deny, to a DBM=1 page, clears AP[2]
    // (not when APTable makes the page read-only).
    let dirtyPending = false;
    if (s1.hd && dbmBit(hi) && (lo & 0x80) !== 0 && (apT & 2) === 0) {
      if ((need & (PERM_PW | PERM_UW)) === 0) dirtyPending = true;
      else if ((s1PermMask(s1, lo & ~0x80, hi, apT, pxnT, uxnT) & need) === need) newLo &= ~0x80;
    }
    if (newLo !== lo) {
      // HTTU writes the descriptor: under stage 2 that write needs S2 write permission (TTRnW=0).
      // A writable-clean S2 page (S2HD, DBM=1) is first made writable-dirty by the same walk
      // (Arm ARM D8.5 RBDJJL, adopted by SMMUv3 §3.13.4, §3.13.5).
      if (s2 !== undefined && (descOut.perm & PERM_PW) === 0) {
        const f = descOut.dirtyPending
          ? stage2(env, s2, ipa, 'TT', PERM_PR | PERM_PW, true, descOut)
          : mkFault('F_PERMISSION', true, 'TT', level, ipa, -1, false);
        if (f !== undefined) {
          if (trace !== undefined) trace.fetch(1, level, pa, ipa, lo, hi, 'fault: F_PERMISSION');
          return f;
        }
      }
      lo = newLo >>> 0;
      env.mem.writeU64Parts(pa, lo, hi);
      if (trace !== undefined) trace.hardwareUpdate(1, pa, lo, hi);
    }
    if (trace !== undefined) trace.fetch(1, level, pa, ipa, lo, hi, level === 3 ? 'page' : 'block');
    out.oa = base + lowBits(aHi, aLo, shift);
    out.sizeLog2 = shift;
    out.level = level;
    out.perm = s1PermMask(s1, lo, hi, apT, pxnT, uxnT);
    out.global = !nGBit(lo);
    out.device = false;
    out.dirtyPending = dirtyPending;
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// The walk as software sees the tables: the builders (src/pgtable) and the executor's IPA→PA of
// guest structures. The same descent as stage2/walkS1 (descriptorSlot, descriptor types, OA
// decode), without what only a translation does: no input-range, address-size, access-flag or
// permission checks, no TLB, no hardware updates, no trace.

/** Reads the 64-bit word at `pa` into out[0] (bits[31:0]) and out[1] (bits[63:32]); false when unbacked. */
export type DescriptorRead = (pa: number, out: Uint32Array) => boolean;

/** Geometry of one table tree. */
export interface TableTree {
  /** Address of the start table (as the software placed it). */
  readonly ttb: number;
  /** log2 of the granule. */
  readonly g: number;
  readonly start: number;
  /** Input address size in bits. */
  readonly ia: number;
  /** 64KB level-1 blocks exist (52-bit OA). */
  readonly lpa: boolean;
}

/** Where a software walk ended. */
export interface TableWalk {
  level: number;
  /** Address of the descriptor at `level`. */
  slot: number;
  /** The descriptor read at `slot` (WALK_LEAF). */
  lo: number;
  hi: number;
}

export function newTableWalk(): TableWalk {
  return { level: 0, slot: 0, lo: 0, hi: 0 };
}

/** A page or block descriptor maps the address. */
export const WALK_LEAF = 0;
/** No leaf: an invalid, unbacked or reserved descriptor ends the walk. */
export const WALK_UNMAPPED = 1;
/** The walk reached `stopAt` (the slot there is not read). */
export const WALK_STOPPED = 2;

const softScratch = new Uint32Array(2);

/**
 * Walk the tables of `tree` for the input address hi:lo down to a leaf or to level `stopAt`
 * (4: no stop). Pushes every descriptor address it reads onto `visited`. Table descriptors at
 * levels 0-2 descend; a page (0b11 at level 3) or a block (0b01 where the granule allows it) is
 * the leaf; anything else is unmapped, as for the device (Arm ARM D8.3).
 */
export function walkTables(read: DescriptorRead, tree: TableTree, aHi: number, aLo: number, stopAt: number, out: TableWalk, visited?: number[]): number {
  const g = tree.g;
  const start = tree.start;
  const addr = aHi * TWO32 + aLo;
  let table = tree.ttb;
  for (let level = start; level <= 3; level++) {
    const slot = descriptorSlot(table, g, level, start, tree.ia, aHi, aLo, addr);
    out.level = level;
    out.slot = slot;
    if (level === stopAt) return WALK_STOPPED;
    visited?.push(slot);
    // `read` may itself walk (tables at IPAs): the halves are taken right after it returns.
    if (!read(slot, softScratch)) {
      // an unbacked slot reads as an invalid descriptor
      out.lo = 0;
      out.hi = 0;
      return WALK_UNMAPPED;
    }
    const lo = softScratch[0] as number;
    const hi = softScratch[1] as number;
    out.lo = lo;
    out.hi = hi;
    if (!isValid(lo)) return WALK_UNMAPPED;
    if (level < 3 && isTableOrPage(lo)) {
      table = descOA(lo, hi, g);
      continue;
    }
    if (level === 3 ? !isTableOrPage(lo) : !blockAllowed(g, level, tree.lpa)) return WALK_UNMAPPED;
    return WALK_LEAF;
  }
  return WALK_UNMAPPED;
}

/** Output address of hi:lo through the leaf a walkTables call found (the same as a translation's). */
export function leafOutput(w: TableWalk, g: number, aHi: number, aLo: number): number {
  const shift = levelShift(g, w.level);
  return alignDown(descOA(w.lo, w.hi, g), shift) + lowBits(aHi, aLo, shift);
}
