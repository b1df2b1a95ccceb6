/**
 * What the VMM does with each guest command (QEMU-accel-like; reference emulator-models §1.1 and
 * linux-smmuv3-iommufd §6.6): invalidations the host accepts are forwarded to
 * IOMMU_HWPT_INVALIDATE; CMD_SYNC completes locally once everything before it was forwarded;
 * STE invalidations are the VMM's own job (re-read the guest STE, new nested HWPT, re-attach);
 * prefetches are no-ops; everything else is CERROR_ILL for the guest. The guest-visible SMMU is
 * stage-1 only, so stage-2/EL2 TLBIs, and ATS/stall responses it never advertised, are illegal.
 */
import { OPCODE, decodeCommand } from '../arch/command.ts';
import { GUEST_SID_COMMANDS, GUEST_VMID_COMMANDS } from '../host/invalidate.ts';

export type GuestCmdAction = 'forward' | 'sync' | 'ste' | 'nop' | 'illegal';

/** What IOMMU_HWPT_INVALIDATE converts (host/invalidate.ts convertGuestCommand). */
const FORWARD: ReadonlySet<number> = new Set([...GUEST_VMID_COMMANDS, ...GUEST_SID_COMMANDS].map((n) => OPCODE[n]));
/** PREFETCH_CONFIG (0x01), PREFETCH_ADDR (0x02): hints, nothing to forward. */
const NOP: ReadonlySet<number> = new Set([OPCODE.PREFETCH_CONFIG, OPCODE.PREFETCH_ADDR]);

export function classifyGuestCommand(cmd: readonly bigint[]): GuestCmdAction {
  const { opcode: op, fields } = decodeCommand(cmd);
  if (FORWARD.has(op)) return 'forward';
  if (op === OPCODE.CMD_SYNC) return fields['CS'] === 3n ? 'illegal' : 'sync'; // CS=0b11 reserved
  if (op === OPCODE.CFGI_STE || op === OPCODE.CFGI_STE_RANGE) return 'ste';
  if (NOP.has(op)) return 'nop';
  return 'illegal';
}

/**
 * The vSIDs a CFGI_STE / CFGI_STE_RANGE (CFGI_ALL = RANGE with Range 31) names, restricted to
 * `known` (sorted). Range n covers 2^(n+1) StreamIDs from StreamID aligned down (§4.3.2).
 */
export function steInvalidationTargets(cmd: readonly bigint[], known: readonly number[]): number[] {
  const { opcode, fields } = decodeCommand(cmd);
  const sid = Number(fields['StreamID'] ?? 0n);
  if (opcode === OPCODE.CFGI_STE) return known.filter((v) => v === sid);
  const range = Number(fields['Range'] ?? 0n);
  if (range >= 31) return known.slice();
  const span = 2 ** (range + 1);
  const lo = Math.floor(sid / span) * span;
  return known.filter((v) => v >= lo && v < lo + span);
}
