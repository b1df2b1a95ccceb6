/**
 * The few commands the Linux-like host builds itself (§3.1 of the reference; SMMUv3 §4), encoded
 * from raw positions so the host does not depend on the command codec's construction API.
 * Common fields: opcode dw0[7:0], SSV dw0[11], SubstreamID dw0[31:12], StreamID dw0[63:32];
 * VMID dw0[47:32], ASID dw0[63:48]. Each command is [dw0, dw1].
 */
export type Cmd = [bigint, bigint];

export const OP = {
  PREFETCH_CONFIG: 0x01,
  CFGI_STE: 0x03,
  CFGI_STE_RANGE: 0x04,
  CFGI_CD: 0x05,
  CFGI_CD_ALL: 0x06,
  TLBI_NH_ALL: 0x10,
  TLBI_NH_ASID: 0x11,
  TLBI_NH_VA: 0x12,
  TLBI_NH_VAA: 0x13,
  TLBI_EL2_ALL: 0x20,
  TLBI_S12_VMALL: 0x28,
  TLBI_S2_IPA: 0x2a,
  TLBI_NSNH_ALL: 0x30,
  ATC_INV: 0x40,
  PRI_RESP: 0x41,
  RESUME: 0x44,
  CMD_SYNC: 0x46,
} as const;

const sid = (s: number): bigint => (BigInt(s) & 0xffff_ffffn) << 32n;
const vmid = (v: number): bigint => (BigInt(v) & 0xffffn) << 32n;

export function opcodeOf(cmd: readonly bigint[]): number {
  return Number((cmd[0] ?? 0n) & 0xffn);
}

export function cmdCfgiSte(streamId: number, leaf = true): Cmd {
  return [BigInt(OP.CFGI_STE) | sid(streamId), leaf ? 1n : 0n];
}
/** CFGI_CD for one SubstreamID (the command has no SSV: SSID x is CD-table index x, §4.3). */
export function cmdCfgiCd(streamId: number, ssid: number, leaf = true): Cmd {
  return [BigInt(OP.CFGI_CD) | ((BigInt(ssid) & 0xfffffn) << 12n) | sid(streamId), leaf ? 1n : 0n];
}
export function cmdPrefetchConfig(streamId: number): Cmd {
  return [BigInt(OP.PREFETCH_CONFIG) | sid(streamId), 0n];
}
export function cmdTlbiNhAll(v: number): Cmd {
  return [BigInt(OP.TLBI_NH_ALL) | vmid(v), 0n];
}
export function cmdTlbiS12Vmall(v: number): Cmd {
  return [BigInt(OP.TLBI_S12_VMALL) | vmid(v), 0n];
}
/**
 * TLBI_S2_IPA: NUM dw0[16:12], SCALE dw0[24:20], VMID; dw1 Leaf[0], TTL[9:8], TG[11:10],
 * Address[55:12]. `range` absent = a non-range (TG=0) invalidation of one granule.
 */
export function cmdTlbiS2Ipa(v: number, ipa: bigint, leaf: boolean, range?: { num: number; scale: number; tg: number; ttl: number }): Cmd {
  let dw0 = BigInt(OP.TLBI_S2_IPA) | vmid(v);
  let dw1 = (ipa & 0x00ff_ffff_ffff_f000n) | (leaf ? 1n : 0n);
  if (range) {
    dw0 |= ((BigInt(range.num) & 0x1fn) << 12n) | ((BigInt(range.scale) & 0x1fn) << 20n);
    dw1 |= ((BigInt(range.ttl) & 3n) << 8n) | ((BigInt(range.tg) & 3n) << 10n);
  }
  return [dw0, dw1];
}
/** ATC_INV of the whole ATC of a stream (Size=52, Address 0), as Linux's full invalidation. */
export function cmdAtcInvAll(streamId: number): Cmd {
  return [BigInt(OP.ATC_INV) | sid(streamId), 52n];
}
/**
 * CMD_SYNC as Linux builds it without MSI polling: CS (0 none, 1 IRQ/MSI, 2 SEV), MSH=ISH,
 * MSIAttr=0xF (inner/outer write-back); with CS=IRQ, MSIAddr[55:2] in dw1.
 */
export function cmdSync(cs: 0 | 1 | 2 = 2, msiAddr = 0n): Cmd {
  return [BigInt(OP.CMD_SYNC) | (BigInt(cs) << 12n) | (3n << 22n) | (0xfn << 24n), msiAddr & 0x00ff_ffff_ffff_fffcn];
}
