/**
 * Area el2: stage-1 streams of the EL2 translation regimes (STE.STRW, §5.2; §13.4.1). StreamWorld
 * EL2 (SMMU_CR2.E2H=0) is a one-privilege regime without ASIDs: AP[1] and PXN/UXN do not mean
 * what they mean at EL1, TTB1 is not used, TLB entries are tagged by neither ASID nor VMID; EL2-E2H
 * (CR2.E2H=1) has both VA ranges, ASIDs and two privileges as EL1 does. Beside it sometimes an EL1
 * stream (another TLB namespace). Mappings are remapped and invalidated with the TLBI_EL2_*
 * commands and with the EL1 ones that must not touch EL2 entries (§4.4.2), DMA of every privilege
 * before and after, under cache_policy max or none.
 */
import type { Command } from '../../scenario/types.ts';
import type { Draft } from '../draft.ts';
import { addCdTable, addDmas, addS1Table, genCd, paChooser, s1Probes } from '../build.ts';
import { genMappings } from '../mappings.ts';
import type { Rng } from '../rng.ts';
import { FULL_INVALIDATION } from './caching.ts';
import { pickSid } from './translate.ts';

export function el2Area(rng: Rng, d: Draft): void {
  d.need('s1', 'hyp');
  d.smmu.cache_policy = rng.bool(0.6) ? 'max' : 'none';
  const e2h = rng.bool(0.5);
  if (e2h) {
    d.smmu.e2h = true;
    d.need('e2h');
  }
  const strw = e2h ? 'el2_e2h' : 'el2';
  d.note(`StreamWorld ${e2h ? 'EL2-E2H (SMMU_CR2.E2H=1)' : 'EL2 (SMMU_CR2.E2H=0)'}: STE.STRW=0b10 (§5.2 STRW, §6.3.12 E2H, §13.4.1)`);
  const dev = d.device('dev0', pickSid(rng, []));
  // one EL2 stream: without E2H its entries carry no ASID, so a second EL2 stream with other tables would alias by design
  const tt1 = e2h && rng.bool(0.3);
  const pt = addS1Table(d, rng, 'pt', { count: rng.int(1, 3), global: true });
  const hi = tt1 ? addS1Table(d, rng, 'pt1', { high: true, count: rng.int(1, 2), global: true }) : undefined;
  const cd = genCd(rng, d, { tt0: pt, ...(hi !== undefined ? { tt1: hi } : {}) });
  const { s: _s, ...plain } = cd;
  addCdTable(d, 'cds', [plain]);
  d.streams.push({ device: dev, config: 's1', cd_table: 'cds', strw });
  const asid = plain.asid ?? 0n;
  const tables = hi !== undefined ? [pt, hi] : [pt];
  let probes = s1Probes(rng, tables, plain.fields?.['TBI0'] !== undefined);
  // an EL1 stream beside it, with its own ASID (another translation regime: TLBI_EL2_* must not touch it)
  let el1: string | undefined;
  if (rng.bool(0.35)) {
    el1 = d.device('dev1', pickSid(rng, [BigInt(d.devices[0]?.sid ?? 0n)]));
    const p1 = addS1Table(d, rng, 'q', { count: rng.int(1, 2) });
    const c1 = genCd(rng, d, { tt0: p1 });
    const { s: _s1, ...plain1 } = c1;
    addCdTable(d, 'cds1', [plain1]);
    d.streams.push({ device: el1, config: 's1', cd_table: 'cds1' });
    addDmas(d, rng, el1, s1Probes(rng, [p1], false), 1);
  }
  const live = [...pt.maps];
  const n = rng.int(4, 10);
  for (let i = 0; i < n; i++) {
    const op = rng.weighted<string>([
      [6, 'dma'],
      [2, 'map'],
      [2, 'unmap'],
      [3, 'tlbi'],
      [1, 'full'],
    ]);
    if (op === 'dma') {
      // both privileges: AP[1] is what EL2 (one privilege) and EL2-E2H (two) disagree on
      addDmas(d, rng, dev, probes, 1);
      if (el1 !== undefined && rng.bool(0.3)) addDmas(d, rng, el1, probes, 1);
    } else if (op === 'map') {
      const [m] = genMappings(rng, pt.geo, {
        count: 1,
        out: paChooser(rng, d.oas),
        avoid: live.map((x) => ({ lo: x.from, hi: x.from + x.size })),
        global: true,
      });
      if (m === undefined) continue;
      live.push(m);
      probes = [...probes, m.from, m.from + m.size - 8n];
      d.step({
        map: {
          table: 'pt',
          va: m.from,
          pa: m.out,
          size: m.size,
          perm: m.perm,
          ...(m.af !== undefined ? { af: m.af } : {}),
          ...(rng.bool(0.3) ? { invalidate: true } : {}),
        },
      });
    } else if (op === 'unmap' && live.length > 0) {
      const m = live.splice(rng.int(0, live.length - 1), 1)[0];
      if (m === undefined) continue;
      d.step({ unmap: { table: 'pt', va: m.from, size: m.size, ...(rng.bool(0.3) ? { invalidate: true } : {}) } });
    } else if (op === 'tlbi') {
      const page = live.length > 0 ? rng.pick(live).from : 0n;
      const c = rng.weighted<Command>([
        [3, { op: 'TLBI_EL2_VA', ...(e2h ? { asid } : { asid: BigInt(rng.edgeInt(0, 0xffff)) }), addr: page, leaf: rng.bool() }],
        [2, { op: 'TLBI_EL2_VAA', addr: page, leaf: rng.bool() }],
        [2, { op: 'TLBI_EL2_ASID', asid: rng.bool(0.7) ? asid : BigInt(rng.edgeInt(0, 0xffff)) }],
        [2, { op: 'TLBI_EL2_ALL' }],
        // EL1 invalidations: they do not remove EL2 entries (§4.4.2)
        [1, { op: 'TLBI_NH_VA', asid, addr: page, leaf: false }],
        [1, { op: 'TLBI_NH_ALL' }],
      ]);
      d.step({ cmdq: { commands: [c], ...(rng.bool(0.75) ? { sync: true } : {}) } });
      d.note(`${c.op} on ${strw} entries (§4.4.2${e2h ? '' : ': without E2H the ASID is ignored'})`);
    } else if (op === 'full') d.step({ cmdq: { commands: FULL_INVALIDATION } });
  }
  addDmas(d, rng, dev, probes, 1);
}
