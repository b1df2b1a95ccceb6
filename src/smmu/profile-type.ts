/**
 * The profile type of the SMMU under test, in a leaf module: `profile.ts` (defaults and register
 * encodings) and `profile-fields.ts` (the ID-register field table) both build on it, so neither has
 * to import the other's type (one home for the type, no import cycle).
 */
import type { GranuleName } from '../arch/ttd.ts';

export interface SmmuProfile {
  readonly name: string;
  // IDR0
  readonly s1p: boolean;
  readonly s2p: boolean;
  /** TTF: 1 AArch32 only, 2 AArch64 only, 3 both. */
  readonly ttf: 1 | 2 | 3;
  readonly cohacc: boolean;
  readonly btm: boolean;
  /** HTTU: 0 none, 1 AF, 2 AF+dirty, 3 AF+dirty+HAFT. */
  readonly httu: 0 | 1 | 2 | 3;
  readonly hyp: boolean;
  readonly ats: boolean;
  readonly asid16: boolean;
  readonly msi: boolean;
  readonly sev: boolean;
  readonly pri: boolean;
  readonly vmid16: boolean;
  readonly cd2l: boolean;
  /** TTENDIAN: 0 mixed, 2 LE only, 3 BE only. */
  readonly ttendian: 0 | 2 | 3;
  /** STALL_MODEL: 0 stall+terminate, 1 terminate only, 2 stall forced. */
  readonly stallModel: 0 | 1 | 2;
  /** TERM_MODEL: 1 = terminated transactions always abort (CD.A must be 1). */
  readonly termModel: boolean;
  /** ST_LEVEL: 0 linear only, 1 2-level supported. */
  readonly stLevel: 0 | 1;
  // IDR1
  readonly sidSize: number;
  readonly ssidSize: number;
  readonly priqs: number;
  readonly eventqs: number;
  readonly cmdqs: number;
  readonly attrTypesOvr: boolean;
  /** IDR1.ATTR_PERMS_OVR: STE.PRIVCFG/INSTCFG (and GBPA's) overrides are honoured; else RES0, incoming used (§5.2). */
  readonly attrPermsOvr: boolean;
  // IDR3
  readonly ril: boolean;
  readonly fwb: boolean;
  readonly stt: boolean;
  readonly bbml: 0 | 1 | 2;
  // IDR5
  readonly oas: 32 | 36 | 40 | 42 | 44 | 48 | 52;
  readonly granules: readonly GranuleName[];
  /** IDR5.DS: 52-bit addresses with 4K/16K granules. */
  readonly ds: boolean;
  /** IDR5.VAX: 0 48-bit VA, 1 52-bit VA. */
  readonly vax: 0 | 1;
  readonly stallMax: number;
  // identification
  readonly iidr: { implementer: number; revision: number; variant: number; productId: number };
  readonly aidr: { major: number; minor: number };
  // IMPLEMENTATION DEFINED behaviour
  /** Non-zero RES0 bits in a command (§4.1.5): 'ill' raises CERROR_ILL, 'ignore' ignores them. */
  readonly cmdRes0: 'ill' | 'ignore';
  /** Reset value of SMMU_GBPA.ABORT (IMPLEMENTATION DEFINED, §6.3.14): true = default-deny while SMMUEN=0. */
  readonly gbpaAbortReset: boolean;
  /** A wired CMD_SYNC completion interrupt exists (asserted for CS=SIG_IRQ regardless of MSIAddress, §4.7.3). */
  readonly wiredIrq: boolean;
  /** Merge identical events when STE.MEV=1 (§7.3.1). Off by default: one transaction, one record. */
  readonly mergeEvents: boolean;
  // fault injection
  /**
   * The CMDQ stops making progress once this many commands have been consumed since reset
   * (bootSmmu's own invalidation batch counts; use `dev.cmdq.stallAfter(n)` to inject relative
   * to now). CONS then stays behind PROD, so a host CMD_SYNC poll times out.
   */
  readonly cmdqStallAt?: number;
  /** StreamIDs whose devices never complete an ATS invalidation (CMD_SYNC → CERROR_ATC_INV_SYNC). */
  readonly atcInvNeverCompletes: readonly number[];
}
