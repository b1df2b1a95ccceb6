/**
 * Area caching: invalidation sequences interleaved with remaps. One stream (stage 1, stage 2 or
 * nested) under `cache_policy: max`; between DMAs its tables are remapped (map/unmap, with and
 * without Linux's TLBI sequence), its STE rewritten, its CD made invalid, and commands of every
 * invalidation scope run with and without CMD_SYNC (§3.21, §4.3, §4.4).
 *
 * Between two full invalidations (CFGI_ALL, TLBI_EL2_ALL where the part has EL2, TLBI_NSNH_ALL, CMD_SYNC) only one
 * structure (one table, the STE or the CD) changes, so the states a cached result may come from
 * form one sequence and the caching-soundness property can compute every permitted result
 * (src/generate/properties.ts): which mixtures of stale entries of different structures the
 * architecture allows is not decided here.
 */
import type { Command, StreamInstall } from '../../scenario/types.ts';
import type { Draft } from '../draft.ts';
import { addCdTable, addDmas, addS1Table, addS2Table, type BuiltTable, genCd, paChooser, ipaChooser } from '../build.ts';
import { type GenMapping, genMappings, probeAddresses } from '../mappings.ts';
import type { Rng } from '../rng.ts';
import { pickSid } from './translate.ts';

/** Where the generated CD table of a stage-1 stream is placed (PA, below the executor's HOST region), so steps can overwrite a CD. */
export const CD_AT = 0x0100_0000n;

/** The full invalidation a driver issues at reset (§4.3.3 CFGI_ALL, §4.4 TLBI_EL2_ALL / TLBI_NSNH_ALL, §4.7 CMD_SYNC). */
export const FULL_INVALIDATION: readonly Command[] = [{ op: 'CFGI_ALL' }, { op: 'TLBI_EL2_ALL' }, { op: 'TLBI_NSNH_ALL' }, { op: 'SYNC' }];
/**
 * The same on a part without the EL2 regime (IDR0.HYP=0, where TLBI_EL2_ALL is ILLEGAL): with no
 * EL2 stream there are no EL2 entries, and TLBI_NSNH_ALL removes every other one (§4.4.2).
 */
export const FULL_INVALIDATION_NO_HYP: readonly Command[] = [{ op: 'CFGI_ALL' }, { op: 'TLBI_NSNH_ALL' }, { op: 'SYNC' }];

export function cachingArea(rng: Rng, d: Draft): void {
  d.smmu.cache_policy = 'max';
  // half the time for a part with EL2 (the driver's reset invalidation includes TLBI_EL2_ALL), half
  // for one without: a target without IDR0.HYP (QEMU) runs these instead of skipping them all
  const hyp = rng.bool(0.5) && d.offers('hyp');
  if (hyp) d.need('hyp');
  const full = hyp ? FULL_INVALIDATION : FULL_INVALIDATION_NO_HYP;
  // the stream kinds the part has (a stage-1-only part: stage 1 only)
  const kind = rng.pick((['s1', 's2', 'nested'] as const).filter((k) => (k === 'nested' ? d.offers('nesting') : d.offers(k))));
  const dev = d.device('dev0', pickSid(rng, []));
  let s2: BuiltTable | undefined;
  let s1: BuiltTable | undefined;
  let asid = 0n;
  const vmid = d.uniqueId('vmid', rng);
  if (kind !== 's1') s2 = addS2Table(d, rng, 'vm', { nested: kind === 'nested', count: rng.int(2, 4) });
  if (kind !== 's2') {
    s1 = addS1Table(d, rng, 'pt', { count: rng.int(1, 3), global: true, ...(s2 !== undefined ? { s2 } : {}) });
    const cd = genCd(rng, d, { tt0: s1, ...(s2 !== undefined ? { s2 } : {}) });
    // no stalls or TBI here: the point is which translation a cached walk returns
    const { s: _s, fields: _f, ...plain } = cd;
    asid = plain.asid ?? 0n;
    const t = addCdTable(d, 'cds', [plain], s2 !== undefined ? { s2 } : {});
    if (kind === 's1') t.at = CD_AT;
  }
  d.need(...(kind === 's1' ? (['s1'] as const) : kind === 's2' ? (['s2'] as const) : (['s1', 's2', 'nesting'] as const)));
  const install: StreamInstall = {
    device: dev,
    config: kind,
    ...(s1 !== undefined ? { cd_table: 'cds' } : {}),
    ...(s2 !== undefined ? { s2_table: 'vm', vmid } : {}),
  };
  d.streams.push(install);
  // the table that remaps: stage 1 when there is one (stage 2 of a nested stream holds the guest tables)
  const edited = s1 ?? (s2 as BuiltTable);
  const live: GenMapping[] = [...edited.maps];
  const seen: GenMapping[] = [...edited.maps];
  const out = edited.geo.stage === 1 && s2 !== undefined ? ipaChooser(rng, s2) : paChooser(rng, d.oas);
  let segment: string | undefined;
  const mutate = (component: string): boolean => {
    if (segment !== undefined && segment !== component) return false;
    segment = component;
    return true;
  };
  const probes = (): bigint[] => probeAddresses(rng, edited.geo, seen);
  // TLB entries of a stage-1 or nested stream are tagged with STE.S2VMID (§5.2 S2VMID)
  const tag = { asid, ...(s2 !== undefined ? { vmid } : {}) };
  /** What a driver does after editing one stage-1 mapping: TLBI_NH_VA of its first page, all levels, CMD_SYNC (§4.4.2). */
  const targeted = (va: bigint): void => {
    if (edited.geo.stage !== 1 || !rng.bool(0.5)) return;
    d.step({ cmdq: { commands: [{ op: 'TLBI_NH_VA', ...tag, addr: va, leaf: false }], sync: true } });
    if (rng.bool(0.7)) d.step({ dma: { device: dev, iova: va, access: rng.pick(['read', 'write'] as const) } });
  };
  const n = rng.int(6, 14);
  for (let i = 0; i < n; i++) {
    const op = rng.weighted<string>([
      [6, 'dma'],
      [2, 'map'],
      [2, 'unmap'],
      [3, 'tlbi'],
      [2, 'full'],
      [1, 'ste'],
      [s1 !== undefined && kind === 's1' ? 1 : 0, 'cd'],
    ]);
    if (op === 'dma') addDmas(d, rng, dev, probes(), 1);
    else if (op === 'full') {
      d.step({ cmdq: { commands: full } });
      segment = undefined;
    } else if (op === 'map' && mutate(`table:${edited.name}`)) {
      const [m] = genMappings(rng, edited.geo, { count: 1, out, avoid: live.map((x) => ({ lo: x.from, hi: x.from + x.size })) });
      if (m === undefined) continue;
      live.push(m);
      seen.push(m);
      const inv = rng.bool(0.4);
      const input = edited.geo.stage === 1 ? { va: m.from } : { ipa: m.from };
      const output = edited.geo.stage === 1 && s2 !== undefined ? { ipa: m.out } : { pa: m.out };
      d.step({
        map: {
          table: edited.name,
          ...input,
          ...output,
          size: m.size,
          perm: m.perm,
          ...(m.af !== undefined ? { af: m.af } : {}),
          ...(inv ? { invalidate: true } : {}),
        },
      });
      if (!inv) targeted(m.from);
    } else if (op === 'unmap' && live.length > 0 && mutate(`table:${edited.name}`)) {
      const m = live.splice(rng.int(0, live.length - 1), 1)[0] as GenMapping;
      const input = edited.geo.stage === 1 ? { va: m.from } : { ipa: m.from };
      const inv = rng.bool(0.4);
      d.step({ unmap: { table: edited.name, ...input, size: m.size, ...(inv ? { invalidate: true } : {}) } });
      if (!inv) targeted(m.from);
    } else if (op === 'ste' && mutate('ste')) {
      const to = rng.pick(['abort', 'bypass', 'back'] as const);
      d.step({ ste: to === 'back' ? install : { device: dev, config: to } });
    } else if (op === 'cd' && mutate('cd')) {
      d.step({ write: { pa: CD_AT, u64: [0n] } });
    } else if (op === 'tlbi') {
      const page = live.length > 0 ? rng.pick(live).from : 0n;
      const scopes: Command[] = [
        { op: 'TLBI_NH_ASID', ...tag },
        { op: 'TLBI_NH_VA', ...tag, addr: page, leaf: rng.bool() },
        { op: 'TLBI_NH_VAA', ...(s2 !== undefined ? { vmid } : {}), addr: page, leaf: rng.bool() },
        { op: 'TLBI_NH_ALL', ...(s2 !== undefined ? { vmid } : {}) },
        { op: 'TLBI_S12_VMALL', vmid },
        { op: 'TLBI_S2_IPA', vmid, addr: page, leaf: rng.bool() },
        { op: 'CFGI_STE', device: dev, leaf: true },
        { op: 'CFGI_CD', device: dev, ssid: 0n, leaf: true },
        { op: 'CFGI_CD_ALL', device: dev },
      ];
      // without stage 2 the stage-2 scopes are ILLEGAL commands (§4.4.3.2, §4.4.3.1): the cmdq area's business, not this one's
      const c = rng.pick(d.offers('s2') ? scopes : scopes.filter((x) => x.op !== 'TLBI_S12_VMALL' && x.op !== 'TLBI_S2_IPA'));
      d.step({ cmdq: { commands: [c], ...(rng.bool(0.7) ? { sync: true } : {}) } });
    }
  }
  addDmas(d, rng, dev, probes(), 1);
  d.note(
    `${kind} stream under cache_policy max: remaps, STE/CD rewrites and invalidations of every scope interleaved with DMA (§3.21 caching, §4.3 CFGI_*, §4.4 TLBI_*)`,
  );
}
