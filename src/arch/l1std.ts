/**
 * L1STD, Level 1 Stream Table Descriptor (SMMUv3 §5.1): 8 bytes. Span [4:0] (0 invalid, 1-11 →
 * the L2 array holds 2^(Span-1) STEs, 12-31 reserved and behave as 0), bit 5 RES0,
 * L2Ptr [55:6] (address kept in place; bits L2Ptr[5+(Span-1):0] are treated as zero by the SMMU),
 * bits [63:56] RES0.
 */
import { StructCodec } from './fields.ts';

export const L1STD = new StructCodec('L1STD', 1, [
  { name: 'Span', dword: 0, lo: 0, hi: 4, doc: 'L2 array holds 2^(Span-1) STEs; 0 invalid, 12-31 reserved' },
  { name: 'L2Ptr', dword: 0, lo: 6, hi: 55, addr: true, doc: 'level-2 Stream table address' },
]);

/** Number of STEs in the L2 array for a Span value, or 0 when the descriptor is invalid (§5.1). */
export function l1stdSteCount(span: number): number {
  return span >= 1 && span <= 11 ? 2 ** (span - 1) : 0;
}
