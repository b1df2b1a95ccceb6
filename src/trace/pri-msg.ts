/**
 * The PRI queue lines of the kernel log (reference linux-smmuv3-iommufd.md §7.1, Linux
 * arm_smmu_handle_ppr; Xen prints the same text): a driver without IOPF support logs each PRI
 * page request it cannot serve as
 *   `unexpected PRI request received:`
 *   `\tsid 0x<%08x>.0x<%05x>: [<group>[L]] <un>privileged <R><W><X> access at iova 0x<%016llx>`
 * and, when L is set, answers the group with PRI_RESP (deny). The request fields come from the
 * PRI queue entry (SMMUv3 §8.1): StreamID, SubstreamID (printed 0 when SSV=0, so 0 cannot tell
 * "no PASID" from PASID 0), PRG index, Last, PnU, R/W/X and the page address.
 */

export const PRI_HEADER = 'unexpected PRI request received:';

export interface PriRequest {
  sid: number;
  /** SubstreamID as printed (0 also when the request had no PASID, SSV=0). */
  ssid: number;
  /** Page Request Group index (PRG index, 9 bits). */
  group: number;
  /** L: last request of its group (the driver then sends PRI_RESP). */
  last: boolean;
  privileged: boolean;
  read: boolean;
  write: boolean;
  exec: boolean;
  iova: bigint;
}

// Written from the format string: `%08x` / `%05x` / `%016llx` print at least that many digits.
const REQUEST = /^sid 0x([0-9a-fA-F]{1,8})\.0x([0-9a-fA-F]{1,5}): \[(\d{1,3})(L?)\] (un)?privileged (R?)(W?)(X?) access at iova 0x([0-9a-fA-F]{1,16})$/;

/** Does the message start like the request line (so a malformed one is reported, not dropped)? */
export function looksLikePriRequest(msg: string): boolean {
  return msg.startsWith('sid 0x') && msg.includes(' access at iova ');
}

/** The request line (already trimmed of its tab), or undefined when it does not fit the format. */
export function parsePriRequest(msg: string): PriRequest | undefined {
  const m = REQUEST.exec(msg);
  if (m === null) return undefined;
  const group = Number(m[3]);
  if (group > 0x1ff) return undefined; // PRG index is 9 bits (PRIQ entry dw1[8:0])
  return {
    sid: Number.parseInt(m[1] as string, 16),
    ssid: Number.parseInt(m[2] as string, 16),
    group,
    last: m[4] === 'L',
    privileged: m[5] === undefined,
    read: m[6] === 'R',
    write: m[7] === 'W',
    exec: m[8] === 'X',
    iova: BigInt(`0x${m[9] as string}`),
  };
}

/** `R`, `W`, `X` letters as the kernel prints them ('' when none). */
export function priAccess(r: PriRequest): string {
  return `${r.read ? 'R' : ''}${r.write ? 'W' : ''}${r.exec ? 'X' : ''}`;
}
