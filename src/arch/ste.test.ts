import t from 'tap';
import { hex64 } from './fields.ts';
import { roundTrips } from './roundtrip.testkit.ts';
import { STE, STE_CONFIG, steConfigName, steEncoding } from './ste.ts';
import { OAS_BITS as PS_BITS } from './registers.ts';
import { TG0_GRANULE as S2TG_GRANULE } from './ttd.ts';

t.test('STE round-trips over every field', async (t) => {
  t.equal(STE.dwords, 8);
  t.equal(STE.fields.length, 78);
  roundTrips(STE);
});

t.test('STE field positions (hand-computed single-field encodings, §5.2)', async (t) => {
  const cases: [string, bigint, number, bigint][] = [
    ['V', 1n, 0, 0x1n],
    ['Config', 7n, 0, 0xen],
    ['S1Fmt', 2n, 0, 0x20n],
    ['S1ContextPtr', 0x00ff_ffff_ffff_ffc0n, 0, 0x00ff_ffff_ffff_ffc0n],
    ['S1CDMax', 31n, 0, 0xf800_0000_0000_0000n],
    ['S1DSS', 2n, 1, 0x2n],
    ['S1CSH', 3n, 1, 0xc0n],
    ['S2HWU62', 1n, 1, 0x800n],
    ['CONT', 0xfn, 1, 0x1_e000n],
    ['MEV', 1n, 1, 0x8_0000n],
    ['SW_RESERVED', 0xfn, 1, 0xf0_0000n],
    ['S1PIE', 1n, 1, 0x100_0000n],
    ['S2FWB', 1n, 1, 0x200_0000n],
    ['S1STALLD', 1n, 1, 0x800_0000n],
    ['EATS', 1n, 1, 0x1000_0000n],
    ['STRW', 2n, 1, 0x8000_0000n],
    ['MemAttr', 0xfn, 1, 0xf_0000_0000n],
    ['ALLOCCFG', 0xfn, 1, 0x1e0_0000_0000n],
    ['SHCFG', 1n, 1, 0x1000_0000_0000n],
    ['INSTCFG', 3n, 1, 0xc_0000_0000_0000n],
    ['S2VMID', 0xffffn, 2, 0xffffn],
    ['S2T0SZ', 0x3fn, 2, 0x3f_0000_0000n],
    ['S2TG', 2n, 2, 0x8000_0000_0000n],
    ['S2PS', 7n, 2, 0x7_0000_0000_0000n],
    ['S2R', 1n, 2, 0x400_0000_0000_0000n],
    ['S2HAFT', 1n, 2, 0x800_0000_0000_0000n],
    ['DPT_VMATCH', 3n, 2, 0xc000_0000_0000_0000n],
    ['S2DS', 1n, 3, 0x8n],
    ['S2TTB', 0x00ff_ffff_ffff_fff0n, 3, 0x00ff_ffff_ffff_fff0n],
    ['S2SKL', 3n, 3, 0x6000_0000_0000_0000n],
    ['PARTID', 0xffffn, 4, 0xffff_0000n],
    ['S_S2TG', 1n, 4, 0x4000_0000_0000n],
    ['MECID', 0xffffn, 4, 0xffff_0000_0000_0000n],
    ['VMSPtr', 0x00ff_ffff_ffff_f000n, 5, 0x00ff_ffff_ffff_f000n],
    ['TL1', 1n, 5, 0x800n],
    ['S_S2TTB', 0x10n, 6, 0x10n],
    ['S_S2SKL', 1n, 6, 0x2000_0000_0000_0000n],
    ['S2POI', 0xfedc_ba98_7654_3210n, 7, 0xfedc_ba98_7654_3210n],
  ];
  for (const [name, value, dw, expect] of cases) {
    const raw = STE.encode({ [name]: value });
    t.equal(hex64(raw[dw] ?? 0n), hex64(expect), `${name} -> dw${dw}`);
    t.equal(
      raw.reduce((a, w, i) => a + (i === dw ? 0n : w), 0n),
      0n,
      `${name} touches only dw${dw}`,
    );
  }
});

t.test('Linux KUnit S2 STE fixture (vtcr ps=1 tg=2 sh=3 orgn=1 irgn=2 sl=3 tsz=4)', async (t) => {
  // Assumptions: VMID 0, S2AA64/S2PTW/S2R set as Linux always does, no ATS/stall.
  // Linux masks vttbr with GENMASK(51,4) before storing it in S2TTB, so 0xdaedbeefdeadbeef
  // becomes 0x000dbeefdeadbee0 (bits [63:52] and [3:0] dropped).
  const raw = STE.encode({
    V: 1,
    Config: STE_CONFIG.S2_TRANS,
    S2T0SZ: 4,
    S2SL0: 3,
    S2IR0: 2,
    S2OR0: 1,
    S2SH0: 3,
    S2TG: 2,
    S2PS: 1,
    S2AA64: 1,
    S2PTW: 1,
    S2R: 1,
    S2TTB: 0xdaedbeefdeadbeefn & 0x000f_ffff_ffff_fff0n,
  });
  // dw2 high word: 4 | 3<<6 | 2<<8 | 1<<10 | 3<<12 | 2<<14 | 1<<16 | 1<<19 | 1<<22 | 1<<26 = 0x0449b6c4
  t.equal(hex64(raw[0] ?? 0n), '0x000000000000000d');
  t.equal(hex64(raw[2] ?? 0n), '0x0449b6c400000000');
  t.equal(hex64(raw[3] ?? 0n), '0x000dbeefdeadbee0');
  const back = STE.decode(raw);
  t.equal(back.S2TTB, 0x000dbeefdeadbee0n);
  t.equal(back.S2TG, 2n);
  t.equal(STE.describe(raw).find((d) => d.spec.name === 'S2TG')?.name, '16KB');
  // The unmasked Linux value does not fit [55:4]: the codec refuses it rather than truncating.
  t.throws(() => STE.encode({ S2TTB: 0xdaedbeefdeadbeefn }), /S2TTB/);
});

t.test('STE helpers and enum names', async (t) => {
  t.equal(steConfigName(0), 'ABORT');
  t.equal(steConfigName(2), 'RESERVED(ABORT)');
  t.equal(steConfigName(7n), 'NESTED');
  t.equal(steConfigName(9), 'UNKNOWN(9)');
  t.same(PS_BITS, [32, 36, 40, 42, 44, 48, 52, 56]);
  t.equal(S2TG_GRANULE[2], 16384);
  t.equal(S2TG_GRANULE[3], undefined);
  const raw = STE.encode({ V: 1, Config: 5, S1DSS: 1, EATS: 3, SHCFG: 1 });
  const names = Object.fromEntries(STE.describe(raw).map((d) => [d.spec.name, d.name]));
  t.equal(names.Config, 'S1_TRANS');
  t.equal(names.S1DSS, 'BYPASS');
  t.equal(names.EATS, 'TRANS_DPT');
  t.equal(names.SHCFG, 'INCOMING');
  // RES0 gaps: S1ContextPtr ends at 55, bits [58:56] are RES0; dw1[43:41] RES0.
  t.equal(hex64(STE.definedMask[0] ?? 0n), '0xf8ffffffffffffff');
  t.equal(hex64(STE.definedMask[1] ?? 0n), '0xfffff1ffffffffff');
});

t.test('steEncoding names an encoding by its table entry (§5.2)', (t) => {
  t.equal(steEncoding('S1DSS', 'SUBSTREAM0'), 2);
  t.equal(steEncoding('STRW', 'EL2'), 2);
  t.equal(steEncoding('S1CSH', 'ISH'), 3);
  t.throws(() => steEncoding('S1DSS', 'SSID0'), /STE\.S1DSS has no encoding named SSID0/);
  t.end();
});
