/**
 * Area httu: hardware Access flag and dirty state update (§3.13; Arm ARM D8.5), with the
 * descriptors read back. A stage-1 (CD.HA/HD), stage-2 (STE.S2HA/S2HD) or nested stream whose
 * tables sit at known addresses and whose mappings are leaves of the start level, so the
 * generator knows where each leaf descriptor is (src/pgtable/builder.ts descriptorAddress) and a
 * `read_mem` after the DMA shows what the SMMU wrote: AF set by an access to an AF=0 page under
 * HA (instead of F_ACCESS, §7.3.15), nothing written without HA or after a fault. Sometimes on a
 * part without HTTU, where HA/HD are ILLEGAL (C_BAD_CD, C_BAD_STE, §5.2 S2HA, §5.4 HA).
 */
import { granuleShift, levelShift, s1Leaf, s2Leaf } from '../../arch/ttd.ts';
import { leafAttrs } from '../../engine/exec/tables.ts';
import { descriptorAddress } from '../../pgtable/builder.ts';
import type { StreamInstall } from '../../scenario/types.ts';
import type { Draft } from '../draft.ts';
import { addCdTable, genCd, paChooser, pickAccess, type BuiltTable } from '../build.ts';
import { type Geometry, pickGeometry } from '../geometry.ts';
import { type GenMapping, genMappings } from '../mappings.ts';
import type { Rng } from '../rng.ts';
import { TT_AT } from './faults.ts';
import { pickSid } from './translate.ts';

const S2_AT = 0x0400_0000n;

/** A geometry whose largest leaf is at the start level (so a leaf descriptor's address is the root's entry). */
function rootLeafGeometry(rng: Rng, stage: 1 | 2, maxBits: number, minBits = 25): Geometry {
  for (let k = 0; k < 30; k++) {
    const g = pickGeometry(rng, stage, { maxBits, minBits });
    const top = g.leafSizes[g.leafSizes.length - 1] as bigint;
    if (top === 1n << BigInt(levelShift(granuleShift(Number(g.gBytes)), g.start))) return { ...g, leafSizes: [top] };
  }
  // 64KB granule, 29 bits or fewer: one level-3 table of pages
  const g = pickGeometry(rng, stage, { granule: '64k', minBits: Math.max(minBits, 25), maxBits: 29 });
  return { ...g, leafSizes: [g.gBytes] };
}

function table(rng: Rng, d: Draft, stage: 1 | 2, name: string, at: bigint): BuiltTable & { at: bigint } {
  const geo = rootLeafGeometry(rng, stage, stage === 2 ? d.oas : 48);
  if (geo.granule === '16k') d.need('granule_16k');
  if (geo.granule === '64k') d.need('granule_64k');
  const maps = genMappings(rng, geo, {
    count: rng.int(1, 3),
    out: paChooser(rng, d.oas),
    global: true,
  }).map((m): GenMapping => ({ ...m, ...(rng.bool(0.6) ? { af: false } : {}) }));
  // writable-clean leaves (DBM=1, not writable: AP[2]=1 at stage 1, S2AP[1]=0 at stage 2): a write
  // under HD makes them writable (dirty), without HD it is a permission fault (§3.13.3; Arm ARM
  // D8.5.4). The typed map has no DBM, so the leaf descriptor is written raw over the builder's,
  // encoded by the same leaf encoders (arch/ttd.ts) from the same attributes (exec/tables.ts).
  for (const [i, m] of maps.entries()) {
    if (!rng.bool(0.4)) continue;
    const clean: GenMapping = { ...m, perm: m.perm.includes('x') ? 'rx' : 'r' };
    maps[i] = clean;
    const g = Number(geo.gBytes) as 4096 | 16384 | 65536;
    const a = { ...leafAttrs(stage, clean), dbm: true };
    const value = stage === 1 ? s1Leaf(clean.out, geo.start, g, a) : s2Leaf(clean.out, geo.start, g, a);
    d.writes.push({ pa: descriptorAddress(at, geo.start, clean.from, g, geo.start, geo.bits), u64: [value] });
    d.note('writable-clean leaves (DBM=1) written raw: the dirty state update under HD (§3.13.3)');
  }
  if (stage === 1)
    d.s1.push({
      name,
      granule: geo.granule,
      va_bits: geo.bits,
      at,
      map: maps.map((m) => ({
        va: m.from,
        pa: m.out,
        size: m.size,
        perm: m.perm,
        ...(m.af !== undefined ? { af: m.af } : {}),
      })),
    });
  else
    d.s2.push({
      name,
      granule: geo.granule,
      ipa_bits: geo.bits,
      ...(geo.sl0 !== undefined ? { sl0: geo.sl0 } : {}),
      at,
      map: maps.map((m) => ({ ipa: m.from, pa: m.out, size: m.size, perm: m.perm, ...(m.af !== undefined ? { af: m.af } : {}) })),
    });
  return { name, geo, maps, high: false, at };
}

export function httuArea(rng: Rng, d: Draft): void {
  const kind = rng.weighted<'s1' | 's2'>([
    [d.offers('s1') ? 3 : 0, 's1'],
    [d.offers('s2') ? 2 : 0, 's2'],
  ]);
  d.need(kind);
  d.smmu.cache_policy = rng.bool(0.5) ? 'max' : 'none';
  d.httu(rng.bool(0.85));
  const dev = d.device('dev0', pickSid(rng, []));
  const t = table(rng, d, kind === 's1' ? 1 : 2, 'pt', kind === 's1' ? TT_AT : S2_AT);
  let install: StreamInstall;
  if (kind === 's1') {
    const cd = genCd(rng, d, { tt0: t });
    const { s: _s, ...rest } = cd;
    const ha = rng.bool(0.8);
    addCdTable(d, 'cds', [{ ...rest, ...(ha ? { ha: true } : { ha: false }), ...(rng.bool(0.4) ? { hd: true } : {}) }]);
    install = { device: dev, config: 's1', cd_table: 'cds' };
  } else {
    install = {
      device: dev,
      config: 's2',
      s2_table: 'pt',
      vmid: d.uniqueId('vmid', rng),
      ...(rng.bool(0.8) ? { s2ha: true } : {}),
      ...(rng.bool(0.4) ? { s2hd: true } : {}),
    };
  }
  d.streams.push(install);
  d.note(
    `${kind} stream with hardware Access flag${kind === 's1' ? ' (CD.HA/HD)' : ' (STE.S2HA/S2HD)'} updates on AF=0 leaves, descriptors read back (§3.13, Arm ARM D8.5)`,
  );
  const n = rng.int(2, 6);
  for (let i = 0; i < n; i++) {
    const m = rng.pick(t.maps);
    if (m === undefined) break;
    const iova = m.from + rng.range(0n, m.size / 8n - 1n) * 8n;
    d.step({ dma: { device: dev, iova, access: pickAccess(rng), ...(rng.bool(0.3) ? { priv: rng.bool() } : {}) } });
    if (rng.bool(0.7))
      d.step({ read_mem: { pa: descriptorAddress(t.at, t.geo.start, iova, Number(t.geo.gBytes) as 4096 | 16384 | 65536, t.geo.start, t.geo.bits) } });
    // a remap puts AF=0 back; the next access sets it again (§3.13.2: updates are atomic with the walk)
    if (rng.bool(0.15)) {
      const input = kind === 's1' ? { va: m.from } : { ipa: m.from };
      d.step({ unmap: { table: 'pt', ...input, size: m.size, invalidate: true } });
      d.step({ map: { table: 'pt', ...input, pa: m.out, size: m.size, perm: m.perm, af: false, invalidate: true } });
    }
  }
}
