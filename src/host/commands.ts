/**
 * The few commands the Linux-like host builds itself (§3.1 of the reference; SMMUv3 §4), as the
 * driver formats them (arm_smmu_cmdq_build_cmd). Field positions are the command codec's
 * (src/arch/command.ts); values are cut to their fields as the driver's FIELD_PREP does.
 * Each command is [dw0, dw1].
 */
import { encodeCommandMasked } from '../arch/command.ts';

export type Cmd = [bigint, bigint];

export function cmdCfgiSte(streamId: number, leaf = true): Cmd {
  return encodeCommandMasked('CFGI_STE', { StreamID: streamId, Leaf: leaf });
}
/** CFGI_CD for one SubstreamID (the command has no SSV: SSID x is CD-table index x, §4.3). */
export function cmdCfgiCd(streamId: number, ssid: number, leaf = true): Cmd {
  return encodeCommandMasked('CFGI_CD', { StreamID: streamId, SubstreamID: ssid, Leaf: leaf });
}
/** CFGI_ALL = CFGI_STE_RANGE with Range 31; the StreamID is ignored (§4.3). */
export function cmdCfgiAll(): Cmd {
  return encodeCommandMasked('CFGI_STE_RANGE', { Range: 31 });
}
export function cmdPrefetchConfig(streamId: number): Cmd {
  return encodeCommandMasked('PREFETCH_CONFIG', { StreamID: streamId });
}
export function cmdTlbiNhAll(v: number): Cmd {
  return encodeCommandMasked('TLBI_NH_ALL', { VMID: v });
}
export function cmdTlbiS12Vmall(v: number): Cmd {
  return encodeCommandMasked('TLBI_S12_VMALL', { VMID: v });
}
export function cmdTlbiEl2All(): Cmd {
  return encodeCommandMasked('TLBI_EL2_ALL', {});
}
export function cmdTlbiNsnhAll(): Cmd {
  return encodeCommandMasked('TLBI_NSNH_ALL', {});
}
/** TLBI_S2_IPA; `range` absent = a non-range (TG=0) invalidation of one granule (§4.4.1.1). */
export function cmdTlbiS2Ipa(v: number, ipa: bigint, leaf: boolean, range?: { num: number; scale: number; tg: number; ttl: number }): Cmd {
  const r = range === undefined ? {} : { NUM: range.num, SCALE: range.scale, TG: range.tg, TTL: range.ttl };
  return encodeCommandMasked('TLBI_S2_IPA', { VMID: v, Address: ipa, Leaf: leaf, ...r });
}
/** ATC_INV of the whole ATC of a stream (Size=52, Address 0), as Linux's full invalidation. */
export function cmdAtcInvAll(streamId: number): Cmd {
  return encodeCommandMasked('ATC_INV', { StreamID: streamId, Size: 52 });
}
/**
 * CMD_SYNC as Linux builds it without MSI polling: CS (0 none, 1 IRQ/MSI, 2 SEV), MSH=ISH,
 * MSIAttr=0xF (inner/outer write-back); with CS=IRQ, MSIAddr[55:2] in dw1.
 */
export function cmdSync(cs: 0 | 1 | 2 = 2, msiAddr = 0n): Cmd {
  return encodeCommandMasked('CMD_SYNC', { CS: cs, MSH: 3, MSIAttr: 0xf, MSIAddr: msiAddr });
}
