/**
 * Guest STE validation for a nested HWPT (arm_smmu_validate_vste, reference §6.4). The guest
 * supplies dw0/dw1 only. EIO is the errno for bad STE contents.
 */
import { STE } from '../arch/ste.ts';
import { CFG, EATS, LINUX_S1CTXPTR, steMask } from './masks.ts';

/** dw0 bits a guest may set: V, Config, S1Fmt, S1ContextPtr (Linux width [51:6]), S1CDMax. */
export const VSTE_DW0_ALLOWED = steMask('V') | steMask('Config') | steMask('S1Fmt') | LINUX_S1CTXPTR | steMask('S1CDMax');
/** dw1 bits a guest may set: S1DSS, S1CIR, S1COR, S1CSH, S1STALLD, EATS. */
export const VSTE_DW1_ALLOWED = steMask('S1DSS') | steMask('S1CIR') | steMask('S1COR') | steMask('S1CSH') | steMask('S1STALLD') | steMask('EATS');

export type VsteResult =
  | { readonly ok: true; readonly ste: [bigint, bigint]; readonly enableAts: boolean }
  | { readonly ok: false; readonly errno: 'EIO'; readonly reason: string };

export function validateVste(ste: readonly [bigint, bigint] | readonly bigint[]): VsteResult {
  const d0 = BigInt.asUintN(64, ste[0] ?? 0n);
  let d1 = BigInt.asUintN(64, ste[1] ?? 0n);
  // V=0: accepted, both words zeroed; the physical STE becomes abort
  if (STE.get([d0], 'V') === 0n) return { ok: true, ste: [0n, 0n], enableAts: false };
  const bad0 = d0 & ~VSTE_DW0_ALLOWED;
  const bad1 = d1 & ~VSTE_DW1_ALLOWED;
  if (bad0 !== 0n || bad1 !== 0n) {
    const which = bad0 !== 0n ? `dw0 bits 0x${bad0.toString(16)}` : `dw1 bits 0x${bad1.toString(16)}`;
    return { ok: false, errno: 'EIO', reason: `vSTE sets ${which} outside the nesting-allowed mask` };
  }
  const cfg = STE.get([d0], 'Config');
  if (cfg !== CFG.ABORT && cfg !== CFG.BYPASS && cfg !== CFG.S1_TRANS) {
    return { ok: false, errno: 'EIO', reason: `vSTE Config ${cfg} is not abort (0), bypass (4) or S1 (5)` };
  }
  const eats = STE.get([d0, d1], 'EATS');
  d1 &= ~steMask('EATS');
  if (eats !== EATS.ABORT && eats !== EATS.TRANS) {
    return { ok: false, errno: 'EIO', reason: `vSTE EATS ${eats} is not 0 (abort) or 1 (full ATS)` };
  }
  return { ok: true, ste: [d0, d1], enableAts: cfg === CFG.S1_TRANS && eats === EATS.TRANS };
}
