/**
 * Linux's invalidation after unmapping from a nest-parent S2 domain (reference §6.3):
 * TLBI_S2_IPA for the range (range commands with IDR3.RIL, else one per granule), then
 * TLBI_NH_ALL for the VMID (nested S1 entries may cache the old S2 output) + CMD_SYNC, then a full
 * ATC invalidation of every ATS-enabled master using the domain + CMD_SYNC.
 */
import { OPCODE, commandOpcode } from '../arch/command.ts';
import { type Cmd, cmdAtcInvAll, cmdSync, cmdTlbiNhAll, cmdTlbiS2Ipa } from './commands.ts';

/** CMDQ_TLBI_RANGE_NUM_MAX. */
const RANGE_NUM_MAX = 31;

const log2 = (n: bigint): number => n.toString(2).length - 1;
const ffs = (n: bigint): number => {
  let i = 0;
  while (((n >> BigInt(i)) & 1n) === 0n) i++;
  return i;
};

/**
 * The TLBI_S2_IPA commands for [iova, iova+size): `granule` is the size of the unmapped leaf
 * (io-pgtable's gather pgsize), `leafLog2` log2 of the domain's smallest page (its TG).
 */
export function s2IpaRangeCommands(ril: boolean, vmid: number, iova: bigint, size: bigint, granule: bigint, leafLog2: number, leaf = true): Cmd[] {
  const out: Cmd[] = [];
  if (size === 0n) return out;
  const end = iova + size;
  if (!ril) {
    for (let a = iova; a < end; a += granule) out.push(cmdTlbiS2Ipa(vmid, a, leaf));
    return out;
  }
  let numPages = size >> BigInt(leafLog2);
  const tg = (leafLog2 - 10) / 2;
  let ttl = 0;
  // TTL is the level of the leaf being invalidated; for non-leaf avoid NUM=0,SCALE=0 (reserved)
  if (leaf) ttl = 4 - Math.floor((log2(granule) - 3) / (leafLog2 - 3));
  else if ((numPages & BigInt(RANGE_NUM_MAX)) === 1n) numPages++;
  let a = iova;
  while (a < end && numPages > 0n) {
    const scale = ffs(numPages);
    const num = Number((numPages >> BigInt(scale)) & BigInt(RANGE_NUM_MAX));
    out.push(cmdTlbiS2Ipa(vmid, a, leaf, { num: num - 1, scale, tg, ttl }));
    a += BigInt(num) << BigInt(scale + leafLog2);
    numPages -= BigInt(num) << BigInt(scale);
  }
  return out;
}

/**
 * A stage-2 invalidation where stage-1 entries may hold combined S1+S2 results (nested streams):
 * the TLBI_S2_IPA (or other stage-2) commands `s2`, CMD_SYNC, then TLBI_NH_ALL for the VMID. The
 * CMD_SYNC between orders them: the stage-2 invalidation must complete before the stage-1 one, or
 * a walk in between can refill a combined entry from the old stage-2 entry (Arm ARM D8.17.6.1
 * "TLBI IPAS2E1; DSB; TLBI VMALLE1"; SMMUv3 §4.4.3.1, CMD_SYNC ~ DSB). The caller ends the
 * sequence with its own CMD_SYNC. Used by the host's nest-parent unmap and by the device-layer
 * recipe (engine/exec/invalidate.ts).
 */
export function s2ThenNhAll(vmid: number, s2: readonly Cmd[], sync: readonly [bigint, bigint]): Cmd[] {
  return [...s2, [sync[0], sync[1]], cmdTlbiNhAll(vmid)];
}

/** CMDQ_BATCH_ENTRIES. */
const BATCH_ENTRIES = 64;

/**
 * The driver's batches of a command sequence: a batch ends at each CMD_SYNC, and auto-submits
 * without one after 64 commands unless the next is the sync that closes it
 * (arm_smmu_cmdq_batch_add / _submit).
 */
function driverBatches(cmds: readonly Cmd[]): Cmd[][] {
  const out: Cmd[][] = [];
  let cur: Cmd[] = [];
  for (const c of cmds) {
    const sync = commandOpcode(c) === OPCODE.CMD_SYNC;
    if (!sync && cur.length === BATCH_ENTRIES) {
      out.push(cur);
      cur = [];
    }
    cur.push(c);
    if (sync) {
      out.push(cur);
      cur = [];
    }
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/** Batches (each ending in CMD_SYNC) for an unmap on a nest parent. */
export function s2UnmapBatches(o: {
  ril: boolean;
  vmid: number;
  iova: bigint;
  size: bigint;
  granule: bigint;
  leafLog2: number;
  atsSids: readonly number[];
}): Cmd[][] {
  const tlbi = s2IpaRangeCommands(o.ril, o.vmid, o.iova, o.size, o.granule, o.leafLog2);
  const batches = driverBatches([...s2ThenNhAll(o.vmid, tlbi, cmdSync()), cmdSync()]);
  if (o.atsSids.length > 0) batches.push([...o.atsSids.map((s) => cmdAtcInvAll(s)), cmdSync()]);
  return batches;
}
