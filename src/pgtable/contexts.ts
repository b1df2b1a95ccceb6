/**
 * Build S1Context / S2Context straight from table builders (tests, benches, scenario setup that
 * bypasses CD/STE decoding). The device builds the same contexts from decoded CD/STE fields.
 */
import { S1Context, type S1Fields, S2Context, type S2Fields } from '../smmu/walk-context.ts';
import { type PageTableBuilder } from './builder.ts';
import { sl0ForLevel } from '../arch/ttd.ts';
import { granuleShift } from '../arch/ttd.ts';

export function s1ContextFor(ttb0: PageTableBuilder | undefined, ttb1: PageTableBuilder | undefined, over: Partial<S1Fields> = {}): S1Context {
  const base: S1Fields = {
    asid: 1,
    vmid: 0,
    el2: false,
    t0sz: ttb0 ? 64 - ttb0.iaBits : 25,
    tg0: ttb0?.granule ?? 4096,
    ttb0: ttb0?.ttb ?? 0n,
    epd0: ttb0 === undefined,
    t1sz: ttb1 ? 64 - ttb1.iaBits : 25,
    tg1: ttb1?.granule ?? 4096,
    ttb1: ttb1?.ttb ?? 0n,
    epd1: ttb1 === undefined,
    ipsBits: ttb0?.oaBits ?? ttb1?.oaBits ?? 48,
    // Implemented PA size: the builder's output size unless a test says otherwise.
    oasBits: ttb0?.oaBits ?? ttb1?.oaBits ?? 48,
    tbi0: false,
    tbi1: false,
    affd: false,
    ha: false,
    hd: false,
    wxn: false,
    uwxn: false,
    pan: false,
  };
  return new S1Context({ ...base, ...over });
}

export function s2ContextFor(b: PageTableBuilder, over: Partial<S2Fields> = {}): S2Context {
  const base: S2Fields = {
    vmid: 1,
    ttb: b.ttb,
    t0sz: 64 - b.iaBits,
    sl0: sl0ForLevel(granuleShift(b.granule), b.startLevel),
    tg: b.granule,
    psBits: b.oaBits,
    oasBits: b.oaBits,
    affd: false,
    ptw: false,
    ha: false,
    hd: false,
  };
  return new S2Context({ ...base, ...over });
}
