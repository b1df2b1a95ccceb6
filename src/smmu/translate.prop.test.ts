// Property tests: random mapping sets for each granule and input size → real tables → every mapped
// address translates to mapping(S2(S1(va))) with the right permissions; every unmapped one faults
// with the right stage, class and IPA. S1-only, S2-only and nested; TLB policy max and none.
import t from 'tap';
import fc from 'fast-check';
import { setup, type Setup } from '../pgtable/fixtures.ts';
import { type PageTableBuilder } from '../pgtable/builder.ts';
import { type Granule, granuleShift } from '../arch/ttd.ts';
import { startLevelS1 } from '../arch/ttd.ts';
import { translate } from './translate.ts';
import type { TranslationResult } from './translate-types.ts';
import { fuzzCount } from '../../test/fuzz-size.ts';

// 40 random mapping sets per property in `npm test`, 1,000 under `npm run fuzz`.
const RUNS = fuzzCount(40, 1000);

interface M {
  va: bigint;
  out: bigint;
  size: bigint;
  ap: number;
}
const L2_BLOCK: Record<Granule, bigint> = { 4096: 1n << 21n, 16384: 1n << 25n, 65536: 1n << 29n };
const IA_RANGE: Record<Granule, [number, number]> = { 4096: [32, 48], 16384: [36, 47], 65536: [32, 48] };

const granuleArb = fc.constantFrom<Granule>(4096, 16384, 65536);

/** Mappings, each inside its own level-2-block-sized slot (so they never overlap). */
function mappingsArb(g: Granule, slots: number, firstOutSlot: number, outSlots: number) {
  const pagesPerBlock = Number(L2_BLOCK[g] / BigInt(g));
  return fc
    .uniqueArray(
      fc.record({
        slot: fc.integer({ min: 0, max: slots - 1 }),
        outSlot: fc.integer({ min: firstOutSlot, max: firstOutSlot + outSlots - 1 }),
        block: fc.boolean(),
        first: fc.integer({ min: 0, max: pagesPerBlock - 4 }),
        n: fc.integer({ min: 1, max: 3 }),
        ap: fc.integer({ min: 0, max: 3 }),
      }),
      { selector: (m) => m.slot, minLength: 1, maxLength: 6 },
    )
    .map((ms) =>
      ms.map((m): M => {
        const blk = L2_BLOCK[g];
        const gb = BigInt(g);
        return m.block
          ? { va: BigInt(m.slot) * blk, out: BigInt(m.outSlot) * blk, size: blk, ap: m.ap }
          : { va: BigInt(m.slot) * blk + BigInt(m.first) * gb, out: BigInt(m.outSlot) * blk + BigInt(m.first) * gb, size: BigInt(m.n) * gb, ap: m.ap };
      }),
    );
}

function lookup(ms: readonly M[], a: bigint): M | undefined {
  return ms.find((m) => a >= m.va && a < m.va + m.size);
}

/** Probe addresses: inside each mapping (first, last, random offset), just outside, and elsewhere. */
function probes(ms: readonly M[], g: Granule, extra: bigint[]): bigint[] {
  const out: bigint[] = [...extra];
  for (const m of ms) out.push(m.va, m.va + m.size - 8n, m.va + m.size / 3n, m.va + m.size, m.va > 0n ? m.va - BigInt(g) : m.va + 0x10n);
  return out.map((a) => a & ~7n);
}

/**
 * An oracle for the tables themselves, independent of the codec the builder and the walker share
 * (src/arch/ttd.ts): a VMSAv8-64 stage-1 walk written from the Arm ARM (D8.3 descriptor formats,
 * D8.2 levels) with raw bit arithmetic, 48-bit OA. Returns the output address and AP[2:1] of the
 * leaf, or undefined for an invalid descriptor. Without it, an encoding error common to builder
 * and walker would translate "correctly" and the property could not see it.
 */
function rawWalk(mem: Setup['mem'], ttb: bigint, granule: Granule, iaBits: number, va: bigint): { pa: bigint; ap: number } | undefined {
  const g = granule === 4096 ? 12 : granule === 16384 ? 14 : 16;
  const stride = g - 3;
  const oaMask = (1n << 48n) - 1n;
  let level = 4 - Math.ceil((iaBits - g) / stride);
  let table = ttb;
  for (;;) {
    const lsb = g + (3 - level) * stride; // lowest VA bit this level indexes
    const width = Math.min(stride, iaBits - lsb);
    const idx = (va >> BigInt(lsb)) & ((1n << BigInt(width)) - 1n);
    const d = mem.read64(table + idx * 8n);
    if (d === undefined || (d & 1n) === 0n) return undefined;
    const isTable = (d & 2n) !== 0n;
    if (level < 3 && isTable) {
      table = d & oaMask & ~((1n << BigInt(g)) - 1n);
      level++;
      continue;
    }
    if (level === 3 && !isTable) return undefined; // 0b01 at level 3 is reserved (invalid)
    const outLsb = BigInt(lsb);
    const oa = d & oaMask & ~((1n << outLsb) - 1n);
    return { pa: oa | (va & ((1n << outLsb) - 1n)), ap: Number((d >> 6n) & 3n) };
  }
}

interface Req {
  write: boolean;
  privileged: boolean;
}
const reqArb = fc.record({ write: fc.boolean(), privileged: fc.boolean() });

function s1Allows(ap: number, r: Req): boolean {
  if (r.privileged) return !r.write || (ap & 2) === 0;
  return (ap & 1) !== 0 && (!r.write || (ap & 2) === 0);
}
function s2Allows(s2ap: number, r: Req): boolean {
  return r.write ? (s2ap & 2) !== 0 : (s2ap & 1) !== 0;
}

function run(s: Setup, a: bigint, r: Req): TranslationResult {
  return translate(s.env, s.cfg, { iova: a, read: !r.write, write: r.write, instruction: false, privileged: r.privileged });
}

const iaArb = (g: Granule) => fc.integer({ min: IA_RANGE[g][0], max: IA_RANGE[g][1] });
const policyArb = fc.constantFrom<'max' | 'none'>('max', 'none');

t.test('S1-only: translations and faults match the mapping set', async (t) => {
  fc.assert(
    fc.property(
      granuleArb
        .chain((g) => fc.tuple(fc.constant(g), iaArb(g), policyArb, reqArb))
        .chain(([g, ia, policy, req]) =>
          fc.tuple(fc.constant(g), fc.constant(ia), fc.constant(policy), fc.constant(req), mappingsArb(g, Number((1n << BigInt(ia)) / L2_BLOCK[g]), 1, 64)),
        ),
      ([g, ia, policy, req, ms]) => {
        const s = setup({ s1: { granule: g, iaBits: ia }, policy });
        for (const m of ms) (s.s1 as PageTableBuilder).map(m.va, m.out, m.size, { ap: m.ap });
        for (const a of probes(ms, g, [])) {
          if (a >= 1n << BigInt(ia)) continue;
          // The tables as the Arm ARM reads them agree with the mapping set.
          const m0 = lookup(ms, a);
          const raw = rawWalk(s.mem, (s.s1 as PageTableBuilder).ttb, g, ia, a);
          if (m0 === undefined ? raw !== undefined : raw?.pa !== m0.out + (a - m0.va) || raw.ap !== m0.ap) return false;
          for (let rep = 0; rep < 2; rep++) {
            const r = run(s, a, req);
            const m = lookup(ms, a);
            if (m === undefined) {
              if (r.ok || r.fault.type !== 'F_TRANSLATION' || r.fault.s2 || r.fault.class !== 'IN') return false;
            } else if (!s1Allows(m.ap, req)) {
              if (r.ok || r.fault.type !== 'F_PERMISSION' || r.fault.s2) return false;
            } else if (!r.ok || r.pa !== m.out + (a - m.va)) return false;
          }
        }
        // Out of the input range.
        const r = run(s, 1n << BigInt(ia), req);
        return !r.ok && r.fault.type === 'F_TRANSLATION' && !r.fault.s2;
      },
    ),
    { numRuns: RUNS, seed: 20261122 },
  );
  t.pass('property held');
});

t.test('S2-only: translations and faults match the mapping set (IPA on faults)', async (t) => {
  fc.assert(
    fc.property(
      granuleArb
        .chain((g) => fc.tuple(fc.constant(g), fc.integer({ min: Math.max(32, IA_RANGE[g][0]), max: 44 }), policyArb, reqArb, fc.boolean()))
        .chain(([g, ia, policy, req, concat]) =>
          fc.tuple(
            fc.constant(g),
            fc.constant(ia),
            fc.constant(policy),
            fc.constant(req),
            mappingsArb(g, Number((1n << BigInt(ia)) / L2_BLOCK[g]), 1, 64),
            fc.constant(concat),
          ),
        ),
      ([g, ia, policy, req, ms, concat]) => {
        let s: Setup;
        try {
          // Concatenated start tables: start one level lower than natural when S2SL0 can encode it.
          s = setup({
            s2: { granule: g, iaBits: ia, startLevel: concat ? startLevelS1(granuleShift(g), ia) + 1 : startLevelS1(granuleShift(g), ia) },
            policy,
            iasBits: 48,
          });
        } catch {
          s = setup({ s2: { granule: g, iaBits: ia }, policy, iasBits: 48 });
        }
        for (const m of ms) (s.s2 as PageTableBuilder).map(m.va, m.out, m.size, { s2ap: m.ap });
        for (const a of probes(ms, g, [1n << BigInt(ia)])) {
          const r = run(s, a, req);
          const m = a < 1n << BigInt(ia) ? lookup(ms, a) : undefined;
          if (m === undefined) {
            if (r.ok || r.fault.type !== 'F_TRANSLATION' || !r.fault.s2 || r.fault.class !== 'IN' || r.fault.ipa !== a) return false;
          } else if (!s2Allows(m.ap, req)) {
            if (r.ok || r.fault.type !== 'F_PERMISSION' || !r.fault.s2 || r.fault.ipa !== a) return false;
          } else if (!r.ok || r.pa !== m.out + (a - m.va)) return false;
        }
        return true;
      },
    ),
    { numRuns: RUNS, seed: 7 },
  );
  t.pass('property held');
});

t.test('nested: PA = S2(S1(va)), faults carry stage, class and IPA', async (t) => {
  fc.assert(
    fc.property(
      fc
        .tuple(granuleArb, granuleArb, policyArb, reqArb)
        .chain(([g1, g2, policy, req]) => fc.tuple(fc.constant(g1), fc.constant(g2), iaArb(g1), fc.constant(policy), fc.constant(req)))
        .chain(([g1, g2, ia1, policy, req]) => {
          // S1 outputs land in IPA slots (of the larger L2 block) from 1 upward; S2 input is 40 bits.
          const big = L2_BLOCK[g1] > L2_BLOCK[g2] ? L2_BLOCK[g1] : L2_BLOCK[g2];
          const outSlots = Number((1n << 40n) / big) - 1;
          return fc.tuple(
            fc.constant(g1),
            fc.constant(g2),
            fc.constant(ia1),
            fc.constant(policy),
            fc.constant(req),
            mappingsArb(g1, Number((1n << BigInt(ia1)) / L2_BLOCK[g1]), 0, 1),
            fc.array(fc.record({ slot: fc.integer({ min: 1, max: Math.min(outSlots, 32) }), mapped: fc.boolean(), s2ap: fc.integer({ min: 0, max: 3 }) }), {
              maxLength: 6,
            }),
            fc.constant(big),
          );
        }),
      ([g1, g2, ia1, policy, req, ms1, s2choice, big]) => {
        const s = setup({ s1: { granule: g1, iaBits: ia1 }, s2: { granule: g2, iaBits: 40 }, policy, iasBits: 48 });
        // Give each S1 mapping its own IPA slot (slot index from s2choice order, else 1 + i).
        const s2maps: Array<M & { s2ap: number }> = [];
        const used = new Set<number>();
        ms1.forEach((m, i) => {
          const c = s2choice[i];
          let slot = c?.slot ?? i + 1;
          while (used.has(slot)) slot++;
          used.add(slot);
          const off = m.va % L2_BLOCK[g1];
          m.out = BigInt(slot) * big + off;
          if (c === undefined || c.mapped)
            s2maps.push({ va: BigInt(slot) * big, out: 0x1_0000_0000n + BigInt(slot) * big, size: big, ap: 0, s2ap: c?.s2ap ?? 3 });
        });
        for (const m of ms1) (s.s1 as PageTableBuilder).map(m.va, m.out, m.size, { ap: m.ap });
        for (const m of s2maps) (s.s2 as PageTableBuilder).map(m.va, m.out, m.size, { s2ap: m.s2ap });
        for (const a of probes(ms1, g1, [])) {
          if (a >= 1n << BigInt(ia1)) continue;
          for (let rep = 0; rep < 2; rep++) {
            const r = run(s, a, req);
            const m1 = lookup(ms1, a);
            if (m1 === undefined) {
              if (r.ok || r.fault.type !== 'F_TRANSLATION' || r.fault.s2 || r.fault.class !== 'IN') return false;
              continue;
            }
            if (!s1Allows(m1.ap, req)) {
              if (r.ok || r.fault.type !== 'F_PERMISSION' || r.fault.s2) return false;
              continue;
            }
            const ipa = m1.out + (a - m1.va);
            const m2 = s2maps.find((m) => ipa >= m.va && ipa < m.va + m.size);
            if (m2 === undefined) {
              if (r.ok || r.fault.type !== 'F_TRANSLATION' || !r.fault.s2 || r.fault.class !== 'IN' || r.fault.ipa !== ipa) return false;
            } else if (!s2Allows(m2.s2ap, req)) {
              if (r.ok || r.fault.type !== 'F_PERMISSION' || !r.fault.s2 || r.fault.class !== 'IN' || r.fault.ipa !== ipa) return false;
            } else if (!r.ok || r.pa !== m2.out + (ipa - m2.va)) return false;
          }
        }
        return true;
      },
    ),
    { numRuns: RUNS, seed: 42 },
  );
  t.pass('property held');
});
