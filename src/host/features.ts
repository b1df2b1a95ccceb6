/**
 * The subset of Linux's arm_smmu_device_hw_probe the host layer needs (reference §5), computed
 * from raw ID registers, including the IIDR errata that remove nesting: MMU-600 (0x483) with
 * Variant < 2, and MMU-700 (0x487, which also forces a CMD_SYNC every 63 commands).
 */
import { IDR0, IDR1, IDR3, IDR5, IIDR, OAS_BITS } from '../arch/registers.ts';
import type { IdRegs } from '../smmu/profile.ts';

export const IIDR_IMPLEMENTER_ARM = 0x43b;
export const IIDR_PRODUCT_MMU600 = 0x483;
export const IIDR_PRODUCT_MMU700 = 0x487;

export interface SmmuFeatures {
  readonly s1p: boolean;
  readonly s2p: boolean;
  /** FEAT_NESTING = S1P && S2P, minus the IIDR errata. */
  readonly nesting: boolean;
  readonly fwb: boolean;
  /** ARM_SMMU_FEAT_2_LVL_CDTAB (IDR0.CD2L). */
  readonly cd2l: boolean;
  readonly ril: boolean;
  readonly ats: boolean;
  readonly hyp: boolean;
  /** FEAT_STALLS (STALL_MODEL=0) and STALL_FORCE (STALL_MODEL=2). */
  readonly stalls: boolean;
  readonly stallForce: boolean;
  readonly attrTypesOvr: boolean;
  readonly vmidBits: number;
  readonly asidBits: number;
  readonly ssidBits: number;
  readonly ias: number;
  readonly oas: number;
  /** IDR5.OAS encoding (also the VTCR.PS / CD.IPS value Linux uses). */
  readonly oasEnc: number;
  readonly httuDirty: boolean;
  /** ARM_SMMU_OPT_CMDQ_FORCE_SYNC (MMU-700 erratum). */
  readonly cmdqForceSync: boolean;
  readonly sev: boolean;
  /** IDR0.MSI and IDR0.COHACC (Linux takes coherency from firmware; assumed to agree). */
  readonly msi: boolean;
  readonly coherent: boolean;
}

/** IDR5.OAS as Linux reads it: an encoding it does not know (0b111, 56 bits) is truncated to 48 bits (0b101). */
export function linuxOasEnc(enc: number): number {
  return enc > 6 ? 5 : enc;
}

const g = (codec: { get(raw: readonly bigint[], n: string): bigint }, v: bigint, n: string): number => Number(codec.get([v], n));

export function probeFeatures(r: IdRegs): SmmuFeatures {
  const s1p = g(IDR0, r.idr0, 'S1P') === 1;
  const s2p = g(IDR0, r.idr0, 'S2P') === 1;
  const ttf = g(IDR0, r.idr0, 'TTF');
  const oasEnc = linuxOasEnc(g(IDR5, r.idr5, 'OAS'));
  const oas = OAS_BITS[oasEnc] ?? 48;
  const ias = Math.max((ttf & 1) !== 0 ? 40 : 0, oas);
  const impl = g(IIDR, r.iidr, 'Implementer');
  const product = g(IIDR, r.iidr, 'ProductID');
  const variant = g(IIDR, r.iidr, 'Variant');
  const revision = g(IIDR, r.iidr, 'Revision');
  let nesting = s1p && s2p;
  let cmdqForceSync = false;
  let sev = g(IDR0, r.idr0, 'SEV') === 1;
  if (impl === IIDR_IMPLEMENTER_ARM) {
    if (product === IIDR_PRODUCT_MMU600) {
      if (variant === 0 && revision <= 2) sev = false;
      if (variant < 2) nesting = false;
    } else if (product === IIDR_PRODUCT_MMU700) {
      nesting = false;
      cmdqForceSync = true;
    }
  }
  const stallModel = g(IDR0, r.idr0, 'STALL_MODEL');
  return {
    s1p,
    s2p,
    nesting,
    fwb: g(IDR3, r.idr3, 'FWB') === 1,
    cd2l: g(IDR0, r.idr0, 'CD2L') === 1,
    ril: g(IDR3, r.idr3, 'RIL') === 1,
    ats: g(IDR0, r.idr0, 'ATS') === 1,
    hyp: g(IDR0, r.idr0, 'HYP') === 1,
    stalls: stallModel === 0,
    stallForce: stallModel === 2,
    attrTypesOvr: g(IDR1, r.idr1, 'ATTR_TYPES_OVR') === 1,
    vmidBits: g(IDR0, r.idr0, 'VMID16') === 1 ? 16 : 8,
    asidBits: g(IDR0, r.idr0, 'ASID16') === 1 ? 16 : 8,
    ssidBits: g(IDR1, r.idr1, 'SSIDSIZE'),
    ias,
    oas,
    oasEnc,
    httuDirty: g(IDR0, r.idr0, 'HTTU') >= 2,
    cmdqForceSync,
    sev,
    msi: g(IDR0, r.idr0, 'MSI') === 1,
    coherent: g(IDR0, r.idr0, 'COHACC') === 1,
  };
}
