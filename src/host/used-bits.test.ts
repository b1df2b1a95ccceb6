import t from 'tap';
import { STE } from '../arch/ste.ts';
import { CD } from '../arch/cd.ts';
import { cdUsedBits, steUpdateSafeBits, steUsedBits } from './used-bits.ts';

const steBits = (names: string[]): bigint[] => {
  const out = new Array<bigint>(8).fill(0n);
  for (const n of names) {
    const f = STE.field(n);
    let m = ((1n << BigInt(f.hi - f.lo + 1)) - 1n) << BigInt(f.lo);
    if (n === 'S1ContextPtr' || n === 'S2TTB') m &= (1n << 52n) - 1n; // Linux masks stop at bit 51
    out[f.dword] = (out[f.dword] ?? 0n) | m;
  }
  return out;
};
const ste = (fields: Record<string, number>): bigint[] => STE.encode(fields);

t.test('STE used bits per Config (§1.2)', (tt) => {
  tt.same(steUsedBits(ste({ V: 0, Config: 5 })), steBits(['V']), 'V=0: only V');
  tt.same(steUsedBits(ste({ V: 1, Config: 0 })), steBits(['V', 'Config']), 'abort');
  tt.same(steUsedBits(ste({ V: 1, Config: 4 })), steBits(['V', 'Config', 'SHCFG']), 'bypass');
  const s1 = ['V', 'Config', 'S1Fmt', 'S1ContextPtr', 'S1CDMax', 'S1DSS', 'S1CIR', 'S1COR', 'S1CSH', 'S1STALLD', 'STRW', 'EATS', 'MEV', 'S2VMID'];
  tt.same(steUsedBits(ste({ V: 1, Config: 5, S1DSS: 2 })), steBits(s1), 'S1, S1DSS=SSID0');
  tt.same(steUsedBits(ste({ V: 1, Config: 5, S1DSS: 1 })), steBits([...s1, 'SHCFG']), 'S1, S1DSS=bypass adds SHCFG');
  const s2 = [
    'V',
    'Config',
    'S2FWB',
    'EATS',
    'SHCFG',
    'MEV',
    'S2VMID',
    'S2T0SZ',
    'S2SL0',
    'S2IR0',
    'S2OR0',
    'S2SH0',
    'S2TG',
    'S2PS',
    'S2AA64',
    'S2ENDI',
    'S2PTW',
    'S2S',
    'S2R',
    'S2TTB',
  ];
  tt.same(steUsedBits(ste({ V: 1, Config: 6 })), steBits(s2), 'S2');
  tt.same(steUsedBits(ste({ V: 1, Config: 7 })), steBits([...new Set([...s1, ...s2])]), 'nested = union');
  // Linux tests Config bit 0 / bit 1, so the reserved encodings (never written by Linux) follow the bits
  tt.same(steUsedBits(ste({ V: 1, Config: 2 })), steBits(s2), 'Config 0b010 counted as stage 2');
  tt.end();
});

t.test('update-safe bits: MEV always; the EATS TRANS bit unless S1CHK or S2S is involved', (tt) => {
  const mev = 1n << 19n;
  const trans = 1n << 28n;
  const a = ste({ V: 1, Config: 6, EATS: 1 });
  const b = ste({ V: 1, Config: 6, EATS: 0 });
  tt.equal(steUpdateSafeBits(a, b)[1], mev | trans);
  tt.equal(steUpdateSafeBits(b, b)[1], mev | trans, 'no S1CHK/S2S: TRANS bit safe');
  tt.equal(steUpdateSafeBits(ste({ V: 1, Config: 6, EATS: 2 }), a)[1], mev, 'S1CHK');
  tt.equal(steUpdateSafeBits(ste({ V: 1, Config: 6, EATS: 3 }), a)[1], mev, 'EATS 0b11 has the S1CHK bit');
  tt.equal(steUpdateSafeBits(ste({ V: 1, Config: 6, EATS: 1, S2S: 1 }), b)[1], mev, 'S2S');
  tt.end();
});

t.test('CD used bits (§2)', (tt) => {
  const all = (1n << 64n) - 1n;
  tt.same(cdUsedBits(CD.encode({ V: 0, ASID: 5 })), [1n << 31n, 0n, 0n, 0n, 0n, 0n, 0n, 0n]);
  tt.same(cdUsedBits(CD.encode({ V: 1 })), new Array<bigint>(8).fill(all));
  const epd0 = cdUsedBits(CD.encode({ V: 1, EPD0: 1 }));
  tt.equal(epd0[0], all & ~0x3fffn, 'T0SZ/TG0/IR0/OR0/SH0 unused');
  tt.equal(epd0[1], all & ~(((1n << 52n) - 1n) & ~0xfn), 'TTB0 unused');
  tt.end();
});
