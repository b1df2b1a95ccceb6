/**
 * IOMMU_HWPT_INVALIDATE on a vIOMMU (reference §6.6): the core array checks, the SMMUv3
 * per-command conversion (guest command → host command), chunked issue with a host CMD_SYNC
 * after each chunk of up to 63, and the entry_num write-back rules, including Linux's quirk that
 * converted commands of a not-yet-flushed chunk are dropped when a later command fails.
 */
import { dwordsFromBytes, dwordsToBytes } from '../arch/dwords.ts';
import { COMMANDS, type CommandName, OPCODE, commandOpcode } from '../arch/command.ts';
import { type Cmd, cmdSync, cmdTlbiNhAll } from './commands.ts';

/** IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3. */
export const INVALIDATE_DATA_ARM_SMMUV3 = 1;
/** sizeof(struct iommu_viommu_arm_smmuv3_invalidate). */
export const INVALIDATE_ENTRY_SIZE = 16;
/** CMDQ_BATCH_ENTRIES - 1: guest commands per chunk; the host's CMD_SYNC fills the batch. */
export const INVALIDATE_CHUNK = 63;

export type Errno = 'EINVAL' | 'EOPNOTSUPP' | 'E2BIG' | 'EIO' | 'ETIMEDOUT' | 'ENOENT' | 'EFAULT';

export interface InvalidateArgs {
  readonly dataType: number;
  readonly entryLen: number;
  readonly entryNum: number;
  /** The user buffer (entry_num × entry_len bytes), or null for a NULL data_uptr. */
  readonly data: Uint8Array | null;
  readonly reserved?: number;
}

export interface VsmmuView {
  readonly vmid: number;
  /** vSID → first physical SID of the vDEVICE's device, or undefined. */
  lookupVsid(vsid: number): number | undefined;
}

/** `issued`, when given: the batch as the driver wrote it (e.g. an MSI-polled CMD_SYNC, §3.4). */
export type IssueResult =
  | { readonly ok: true; readonly issued?: readonly (readonly bigint[])[] }
  | { readonly ok: false; readonly errno: 'ETIMEDOUT'; readonly issued?: readonly (readonly bigint[])[] };
/** Submits one batch to the physical CMDQ; the batch already ends with the host CMD_SYNC. */
export type IssueFn = (cmds: bigint[][]) => IssueResult;

export interface InvalidateOptions {
  /** false (Linux): converted commands of the pending chunk are not issued when a later one fails. */
  readonly flushPendingOnError?: boolean;
  /** CS of the host CMD_SYNC (2 = SEV as when not MSI-polling). */
  readonly syncCs?: 0 | 1 | 2;
}

export interface InvalidateResult {
  readonly errno: Errno | 0;
  /** Value written back to entry_num. */
  readonly entryNum: number;
  readonly reason?: string;
  /** Batches handed to issue(), in order (for observation). */
  readonly issued: bigint[][][];
}

/** Encode commands into a user buffer with the given entry_len (zero-padded or truncated). */
export function commandsToBytes(cmds: readonly (readonly bigint[])[], entryLen = INVALIDATE_ENTRY_SIZE): Uint8Array {
  const buf = new Uint8Array(cmds.length * entryLen);
  cmds.forEach((c, i) => buf.set(dwordsToBytes([c[0] ?? 0n, c[1] ?? 0n]).subarray(0, Math.min(16, entryLen)), i * entryLen));
  return buf;
}

/** iommu_copy_struct_from_full_user_array: type, count, per-entry zero-extension / E2BIG. */
export function copyCommandArray(a: InvalidateArgs): { ok: true; cmds: Cmd[] } | { ok: false; errno: Errno; reason: string } {
  if (a.dataType !== INVALIDATE_DATA_ARM_SMMUV3)
    return { ok: false, errno: 'EINVAL', reason: `data_type ${a.dataType} is not IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3 (1)` };
  if (a.entryNum === 0) return { ok: false, errno: 'EINVAL', reason: 'entry_num is 0' };
  const data = a.data;
  if (data === null) return { ok: false, errno: 'EINVAL', reason: 'data_uptr is NULL' };
  if (data.length < a.entryNum * a.entryLen)
    return { ok: false, errno: 'EFAULT', reason: `user buffer holds ${data.length} bytes, need ${a.entryNum * a.entryLen}` };
  const cmds: Cmd[] = [];
  for (let i = 0; i < a.entryNum; i++) {
    const e = data.subarray(i * a.entryLen, (i + 1) * a.entryLen);
    // bytes beyond what the kernel knows must be zero
    for (let j = INVALIDATE_ENTRY_SIZE; j < e.length; j++) {
      if (e[j] !== 0) return { ok: false, errno: 'E2BIG', reason: `entry ${i} has non-zero byte ${j} beyond the 16-byte command` };
    }
    // a shorter entry is zero-extended
    const [d0 = 0n, d1 = 0n] = dwordsFromBytes(e, 2);
    cmds.push([d0, d1]);
  }
  return { ok: true, cmds };
}

/** Guest commands the kernel takes with its own VMID written in (TLBI_NSNH_ALL becomes TLBI_NH_ALL). */
export const GUEST_VMID_COMMANDS: readonly CommandName[] = ['TLBI_NSNH_ALL', 'TLBI_NH_VA', 'TLBI_NH_VAA', 'TLBI_NH_ALL', 'TLBI_NH_ASID'];
/** Guest commands whose StreamID is a vSID the kernel replaces by the device's physical SID. */
export const GUEST_SID_COMMANDS: readonly CommandName[] = ['ATC_INV', 'CFGI_CD', 'CFGI_CD_ALL'];
const VMID_OPS: ReadonlySet<number> = new Set(GUEST_VMID_COMMANDS.map((n) => OPCODE[n]));
const SID_OPS: ReadonlySet<number> = new Set(GUEST_SID_COMMANDS.map((n) => OPCODE[n]));

/** `vsid`: set when the command names a vSID with no vDEVICE. */
export type GuestCommandConversion = { ok: true; cmd: Cmd } | { ok: false; reason: string; vsid?: number };

/**
 * arm_vsmmu_convert_user_cmd: the guest command rewritten for the host, or why not (EIO for the
 * current uAPI; the rfc-2023 walk skips opcodes it does not take and stops on an unknown vSID).
 */
export function convertGuestCommand(v: VsmmuView, cmd: readonly bigint[]): GuestCommandConversion {
  const raw: Cmd = [cmd[0] ?? 0n, cmd[1] ?? 0n];
  const op = commandOpcode(raw);
  const codec = COMMANDS.get(op)?.codec;
  // the guest's "everything" is everything of its own VMID: a fresh NH_ALL, all else zero
  if (op === OPCODE.TLBI_NSNH_ALL) return { ok: true, cmd: cmdTlbiNhAll(v.vmid) };
  if (codec !== undefined && VMID_OPS.has(op)) return { ok: true, cmd: codec.with(raw, 'VMID', v.vmid) as Cmd };
  if (codec !== undefined && SID_OPS.has(op)) {
    const vsid = Number(codec.get(raw, 'StreamID'));
    const psid = v.lookupVsid(vsid);
    if (psid === undefined) return { ok: false, reason: `vSID 0x${vsid.toString(16)} has no vDEVICE on this vIOMMU`, vsid };
    return { ok: true, cmd: codec.with(raw, 'StreamID', psid) as Cmd };
  }
  return { ok: false, reason: `opcode 0x${op.toString(16).padStart(2, '0')} is not accepted from a guest` };
}

/**
 * The whole ioctl once the object is known to be a vIOMMU: core checks (reserved, NULL uptr /
 * entry_len 0 with entries), array copy, conversion and chunked issue.
 */
/** The core checks made before the object is looked up (entry_num written back as 0). */
export function invalidatePrecheck(a: InvalidateArgs): InvalidateResult | undefined {
  if ((a.reserved ?? 0) !== 0) return { errno: 'EOPNOTSUPP', entryNum: 0, reason: '__reserved is not zero', issued: [] };
  if (a.entryNum > 0 && (a.data === null || a.entryLen === 0)) {
    return { errno: 'EINVAL', entryNum: 0, reason: a.data === null ? 'data_uptr is NULL' : 'entry_len is 0', issued: [] };
  }
  return undefined;
}

export function invalidateViommu(v: VsmmuView, a: InvalidateArgs, issue: IssueFn, opts: InvalidateOptions = {}): InvalidateResult {
  const issued: bigint[][][] = [];
  const pre = invalidatePrecheck(a);
  if (pre) return pre;
  const copied = copyCommandArray(a);
  if (!copied.ok) return { errno: copied.errno, entryNum: 0, reason: copied.reason, issued };
  const cmds = copied.cmds;
  const sync = cmdSync(opts.syncCs ?? 2);
  let last = 0;
  const flush = (end: number): IssueResult => {
    const batch: bigint[][] = cmds.slice(last, end).map((c) => [c[0], c[1]]);
    batch.push([sync[0], sync[1]]);
    const r = issue(batch);
    issued.push(r.issued !== undefined ? r.issued.map((c) => [c[0] ?? 0n, c[1] ?? 0n]) : batch);
    return r;
  };
  let cur = 0;
  while (cur !== cmds.length) {
    const c = convertGuestCommand(v, cmds[cur] ?? [0n, 0n]);
    if (!c.ok) {
      if (opts.flushPendingOnError && cur > last) flush(cur);
      return { errno: 'EIO', entryNum: cur, reason: `entry ${cur}: ${c.reason}`, issued };
    }
    cmds[cur] = c.cmd;
    cur++;
    if (cur !== cmds.length && cur - last !== INVALIDATE_CHUNK) continue;
    const r = flush(cur);
    if (!r.ok) return { errno: 'ETIMEDOUT', entryNum: cur - 1, reason: 'host CMD_SYNC did not complete within the poll budget', issued };
    last = cur;
  }
  return { errno: 0, entryNum: a.entryNum, issued };
}
