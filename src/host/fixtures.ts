/**
 * The KUnit fixtures of arm-smmu-v3-test.c (reference §8) as host builder inputs, shared by the
 * host tests and usable by scenarios as canonical golden STEs/CDs.
 */
import { S1DSS } from './masks.ts';
import {
  type HostFeatures,
  type MasterFlags,
  type S1Config,
  type S2Config,
  makeCdTableSte,
  makeNestedSte,
  makeS1Cd,
  makeS2Ste,
  makeSvaCd,
} from './ste-build.ts';

/** smmu features = STALLS | ATTR_TYPES_OVR. */
export const KUNIT_FEATURES: HostFeatures = { stalls: true, attrTypesOvr: true, e2h: false };
export const KUNIT_CDTAB_DMA = 0xf0f0f0f0f0f0n;
export const KUNIT_CDTAB_DMA_2 = 0x4b4b4b4b4bn;
export const KUNIT_TTBR = 0xdaedbeefdeadbeefn;
export const KUNIT_MAIR = 0xabcdef012345678n;
export const KUNIT_ASID1 = 778;
export const KUNIT_ASID2 = 1997;

export type Feat = { ats?: boolean; stall?: boolean };
const flags = (f: Feat): MasterFlags => ({ ats: f.ats ?? false, stallEnabled: f.stall ?? false });

/** KUnit's fake CD table: S1Fmt 64K-L2 (2), s1cdmax 0xFF which FIELD_PREP masks to 31. */
export function kunitCdTableSte(s1dss: bigint, dma: bigint, feat: Feat): bigint[] {
  return makeCdTableSte(KUNIT_FEATURES, flags(feat), { dma, s1fmt: 2, s1cdmax: 0xff & 0x1f }, s1dss);
}

export const KUNIT_S2: S2Config = {
  vmid: 0,
  vttbr: KUNIT_TTBR,
  vtcr: { ps: 1, tg: 2, sh: 3, orgn: 1, irgn: 2, sl: 3, tsz: 4 },
  s2fwb: false,
};

export function kunitS2Ste(feat: Feat): bigint[] {
  return makeS2Ste(KUNIT_FEATURES, flags(feat), KUNIT_S2);
}

/** KUnit NESTED: the CD-table STE (ATS) with Config forced to 7, MEV set, dw2..dw7 from an S2 STE. */
export function kunitNestedSte(s1dss: bigint, dma: bigint, feat: Feat): bigint[] {
  const s = kunitCdTableSte(s1dss, dma, { ats: true });
  const s2 = kunitS2Ste(feat);
  s[0] = (s[0] ?? 0n) | (7n << 1n);
  s[1] = (s[1] ?? 0n) | (1n << 19n);
  for (let i = 2; i < 8; i++) s[i] = s2[i] ?? 0n;
  return s;
}

export const KUNIT_S1: (asid: number) => S1Config = (asid) => ({
  asid,
  ttbr: KUNIT_TTBR,
  tcr: { ips: 1, tg: 2, sh: 3, orgn: 1, irgn: 2, tsz: 4 },
  mair: KUNIT_MAIR,
});

export function kunitS1Cd(asid: number, feat: Feat = {}): bigint[] {
  return makeS1Cd(flags(feat), KUNIT_S1(asid));
}

export function kunitSvaCd(asid: number): bigint[] {
  return makeSvaCd(flags({}), asid, { pgd: KUNIT_TTBR, tcr: { tsz: 16, tg: 0, irgn: 1, orgn: 1, sh: 3, ips: 5 }, mair: KUNIT_MAIR }, KUNIT_MAIR);
}
export function kunitSvaReleasedCd(asid: number): bigint[] {
  return makeSvaCd(flags({}), asid, undefined, KUNIT_MAIR);
}

export { S1DSS, makeNestedSte };
