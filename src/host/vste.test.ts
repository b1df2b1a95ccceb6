import t from 'tap';
import { validateVste, VSTE_DW0_ALLOWED, VSTE_DW1_ALLOWED } from './vste.ts';
import { STE } from '../arch/ste.ts';
import { makeNestedSte, makeS2Ste } from './ste-build.ts';
import { KUNIT_FEATURES, KUNIT_S2 } from './fixtures.ts';

const V = 1n;
const cfg = (c: bigint): bigint => c << 1n;

t.test('allowed masks equal the architecture fields (cross-check with the STE codec)', (tt) => {
  const full = (n: string): bigint => {
    const f = STE.field(n);
    return ((1n << BigInt(f.hi - f.lo + 1)) - 1n) << BigInt(f.lo);
  };
  tt.equal(VSTE_DW0_ALLOWED, full('V') | full('Config') | full('S1Fmt') | (full('S1ContextPtr') & ((1n << 52n) - 1n)) | full('S1CDMax'));
  tt.equal(VSTE_DW1_ALLOWED, full('S1DSS') | full('S1CIR') | full('S1COR') | full('S1CSH') | full('S1STALLD') | full('EATS'));
  tt.end();
});

t.test('behaviour 4: V=0 accepted and zeroed; physical STE is abort', (tt) => {
  const r = validateVste([0xffff_0000_0000_00f0n, 0xffffn]);
  tt.ok(r.ok);
  if (r.ok) {
    tt.same(r.ste, [0n, 0n]);
    const phys = makeNestedSte(KUNIT_FEATURES, { ats: false, stallEnabled: false }, KUNIT_S2, r.ste);
    tt.equal(STE.get(phys, 'V'), 1n);
    tt.equal(STE.get(phys, 'Config'), 0n, 'abort');
    tt.same(phys.slice(1), new Array<bigint>(7).fill(0n));
  }
  tt.end();
});

t.test('behaviour 5: bits outside the allowed masks → EIO', (tt) => {
  const base0 = V | cfg(5n) | 0x8000_0000n;
  for (const name of ['MEV', 'STRW', 'SHCFG', 'S2FWB', 'S1MPAM', 'DRE', 'PRIVCFG', 'SW_RESERVED']) {
    const d1 = STE.encode({ [name]: 1 })[1] ?? 0n;
    const r = validateVste([base0, d1]);
    tt.equal(r.ok ? 'ok' : r.errno, 'EIO', `dw1 ${name}`);
  }
  for (const bit of [52n, 55n, 56n, 58n]) {
    const r = validateVste([base0 | (1n << bit), 0n]);
    tt.equal(r.ok ? 'ok' : r.errno, 'EIO', `dw0 bit ${bit}`);
  }
  tt.ok(validateVste([base0 | (0x1fn << 59n) | (2n << 4n), 0xffn | (1n << 27n)]).ok, 'all allowed fields set');
  tt.end();
});

t.test('behaviour 6: Config 1-3, 6, 7 → EIO; 0, 4, 5 accepted', (tt) => {
  for (let c = 0n; c < 8n; c++) {
    const r = validateVste([V | cfg(c), 0n]);
    tt.equal(r.ok, c === 0n || c === 4n || c === 5n, `Config ${c}`);
    if (!r.ok) tt.equal(r.errno, 'EIO');
  }
  tt.end();
});

t.test('behaviour 7: EATS 2/3 → EIO; EATS stripped; enable_ats only for Config=5 EATS=1', (tt) => {
  for (const e of [2n, 3n]) {
    const r = validateVste([V | cfg(5n), e << 28n]);
    tt.equal(r.ok ? 'ok' : r.errno, 'EIO', `EATS ${e}`);
  }
  const r = validateVste([V | cfg(5n), (1n << 28n) | 1n]);
  tt.ok(r.ok);
  if (r.ok) {
    tt.equal(r.ste[1], 1n, 'EATS removed, S1DSS kept');
    tt.equal(r.enableAts, true);
  }
  const b = validateVste([V | cfg(4n), 1n << 28n]);
  tt.equal(b.ok && b.enableAts, false, 'bypass never enables ATS');
  tt.end();
});

t.test('behaviours 8/9: physical STE merge (§6.5)', (tt) => {
  const m = { ats: true, stallEnabled: false };
  const parent = { ...KUNIT_S2, vmid: 7, s2fwb: true };
  const s2 = makeS2Ste(KUNIT_FEATURES, m, parent);
  const byp = validateVste([V | cfg(4n), 0n]);
  tt.ok(byp.ok);
  if (byp.ok) tt.same(makeNestedSte(KUNIT_FEATURES, m, parent, byp.ste), s2, 'bypass vSTE → plain parent S2 STE');
  const g0 = V | cfg(5n) | (2n << 4n) | 0x4000_1000n | (3n << 59n);
  const g1 = 2n | (1n << 2n) | (1n << 4n) | (3n << 6n) | (1n << 27n);
  const s1 = validateVste([g0, g1]);
  tt.ok(s1.ok);
  if (!s1.ok) {
    tt.end();
    return;
  }
  const p = makeNestedSte(KUNIT_FEATURES, m, parent, s1.ste);
  tt.equal(STE.get(p, 'Config'), 7n);
  tt.equal(STE.get(p, 'S1ContextPtr'), 0x4000_1000n);
  tt.equal(STE.get(p, 'S1CDMax'), 3n);
  tt.equal(STE.get(p, 'S1Fmt'), 2n);
  tt.equal(STE.get(p, 'S1DSS'), 2n);
  tt.equal(STE.get(p, 'S1STALLD'), 1n);
  tt.equal(STE.get(p, 'MEV'), 1n);
  tt.equal(STE.get(p, 'EATS'), 1n, 'physical EATS from the host');
  tt.equal(STE.get(p, 'S2FWB'), 1n);
  tt.equal(STE.get(p, 'S2VMID'), 7n);
  tt.same(p.slice(2), s2.slice(2), 'dw2..dw7 from the parent');
  tt.end();
});
