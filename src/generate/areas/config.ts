/**
 * Areas ste and cd: the configuration structures. Stream tables linear and 2-level (SPLIT 6, 8,
 * 10; LOG2SIZE at its limits; level-1 descriptors of every Span, §5.1, §6.3.24) with StreamIDs
 * inside, at the top of and beyond the table; STEs of every Config with legal and deliberately
 * ILLEGAL field combinations (§5.2); CD tables linear and 2-level (§5.3) with S1CDMax and
 * SubstreamIDs at their limits, invalid and ILLEGAL CDs (§5.4), S1DSS for substream-less traffic.
 */
import type { CdEntry, FieldMap, StreamInstall } from '../../scenario/types.ts';
import type { Draft } from '../draft.ts';
import { addCdTable, addDmas, addS1Table, addS2Table, type BuiltTable, genCd, s1Probes } from '../build.ts';
import { probeAddresses } from '../mappings.ts';
import type { Rng } from '../rng.ts';

/** STE fields that make an otherwise legal STE ILLEGAL or reserved, and which configs they matter for (§5.2). */
const STE_ILLEGAL: readonly { readonly field: string; readonly values: readonly number[]; readonly for: readonly string[] }[] = [
  { field: 'Config', values: [1, 2, 3], for: ['abort', 'bypass', 's1', 's2', 'nested'] },
  { field: 'S1Fmt', values: [3], for: ['s1', 'nested'] },
  { field: 'S1CDMax', values: [21, 31], for: ['s1', 'nested'] },
  { field: 'S2T0SZ', values: [0, 15, 40, 63], for: ['s2', 'nested'] },
  { field: 'S2SL0', values: [3], for: ['s2', 'nested'] },
  { field: 'S2TG', values: [3], for: ['s2', 'nested'] },
  { field: 'S2PS', values: [6, 7], for: ['s2', 'nested'] },
  { field: 'S2AA64', values: [0], for: ['s2', 'nested'] },
  { field: 'STRW', values: [1, 2, 3], for: ['bypass', 's1', 's2', 'nested'] },
  { field: 'EATS', values: [1, 2, 3], for: ['bypass', 's1', 's2', 'nested'] },
  { field: 'S2ENDI', values: [1], for: ['s2', 'nested'] },
];
/** Legal overrides an STE may carry (§5.2 MTCFG/MemAttr, ALLOCCFG, SHCFG, PRIVCFG, INSTCFG, MEV, DCP). */
const STE_OVERRIDES: readonly (readonly [string, readonly number[]])[] = [
  ['MTCFG', [1]],
  ['MemAttr', [0, 1, 5, 0xf]],
  ['ALLOCCFG', [0, 8, 0xe]],
  ['SHCFG', [0, 1, 2, 3]],
  ['PRIVCFG', [0, 1, 2, 3]],
  ['INSTCFG', [0, 1, 2, 3]],
  ['MEV', [1]],
  ['DCP', [1]],
];

type Cfg = 'abort' | 'bypass' | 's1' | 's2' | 'nested';

function steFields(rng: Rng, d: Draft, cfg: Cfg): FieldMap | undefined {
  const f: Record<string, bigint> = {};
  if (rng.bool(0.3)) {
    const legal = STE_ILLEGAL.filter((x) => x.for.includes(cfg));
    const pick = rng.pick(legal);
    const v = rng.pick(pick.values);
    f[pick.field] = BigInt(v);
    d.note(`STE.${pick.field}=${v} on a ${cfg} stream (§5.2: ILLEGAL or reserved values give C_BAD_STE)`);
  }
  if (rng.bool(0.25)) {
    const [name, values] = rng.pick(STE_OVERRIDES);
    f[name] = BigInt(rng.pick(values));
  }
  return Object.keys(f).length > 0 ? f : undefined;
}

/** One stream of configuration `cfg` with small tables, and the addresses worth sending. */
function stream(rng: Rng, d: Draft, dev: string, i: number, cfg: Cfg): { install: StreamInstall; probes: bigint[]; ssids?: bigint[] } {
  let s2: BuiltTable | undefined;
  let cdName: string | undefined;
  let probes: bigint[] = [rng.bits(rng.pick([12, 32, 48])) & ~7n];
  let ssids: bigint[] | undefined;
  if (cfg === 's2' || cfg === 'nested') {
    d.need('s2');
    s2 = addS2Table(d, rng, `v${i}`, { nested: cfg === 'nested', count: rng.int(1, 3) });
    probes = probeAddresses(rng, s2.geo, s2.maps);
  }
  if (cfg === 's1' || cfg === 'nested') {
    d.need('s1');
    if (cfg === 'nested') d.need('nesting');
    const tt0 = addS1Table(d, rng, `p${i}`, { count: rng.int(1, 2), ...(s2 !== undefined ? { s2 } : {}) });
    cdName = `c${i}`;
    ssids = d.substreams && rng.bool(0.3) ? [0n, 1n] : [0n];
    addCdTable(
      d,
      cdName,
      ssids.map((ssid) => genCd(rng, d, { tt0, ssid, ...(s2 !== undefined ? { s2 } : {}) })),
      s2 !== undefined ? { s2 } : {},
    );
    probes = s1Probes(rng, [tt0], false);
  }
  const fields = steFields(rng, d, cfg);
  const install: StreamInstall = {
    device: dev,
    config: cfg,
    ...(rng.bool(0.08) ? { valid: false } : {}),
    ...(cdName !== undefined ? { cd_table: cdName } : {}),
    ...(s2 !== undefined ? { s2_table: s2.name, vmid: d.uniqueId('vmid', rng) } : {}),
    ...(cdName !== undefined && rng.bool(0.3) ? { s1dss: rng.pick(['terminate', 'bypass', 'ssid0'] as const) } : {}),
    ...(fields !== undefined ? { fields } : {}),
  };
  return { install, probes, ...(ssids !== undefined ? { ssids } : {}) };
}

export function steArea(rng: Rng, d: Draft): void {
  d.smmu.cache_policy = rng.bool(0.5) ? 'max' : 'none';
  const twoLevel = rng.bool(0.5) && d.offers('2lvl_strtab');
  const split = rng.pick([6, 8, 10] as const);
  const log2size = twoLevel ? rng.edgeInt(split, 16) : rng.edgeInt(1, 12);
  if (twoLevel) d.need('2lvl_strtab');
  const top = 2 ** log2size;
  // StreamIDs: 0, the last entry, inside, and beyond the table (C_BAD_STREAMID, §7.3.3)
  const inside = [0, top - 1, rng.int(0, top - 1), ...(twoLevel ? [rng.int(0, 2 ** (log2size - split) - 1) * 2 ** split] : [])];
  const n = rng.int(1, 4);
  const sids: number[] = [];
  for (let k = 0; k < n; k++) {
    const sid = rng.bool(0.8) ? rng.pick(inside) : top + rng.int(0, 3);
    if (!sids.includes(sid) && sid < 2 ** 16) sids.push(sid);
  }
  const installed = sids.filter((sid) => sid < top);
  // raw level-1 descriptors for spans no installed stream uses: Span 0 invalid, others point at zeroed STEs
  const l1: { index: number; span: number }[] = [];
  if (twoLevel && rng.bool(0.4)) {
    const used = new Set(installed.map((sid) => Math.floor(sid / 2 ** split)));
    const entries = 2 ** (log2size - split);
    for (let k = 0; k < 2; k++) {
      const index = rng.edgeInt(0, entries - 1);
      if (used.has(index) || l1.some((x) => x.index === index)) continue;
      l1.push({ index, span: rng.pick([0, 1, split + 1, 12]) });
      if (sids.length < 5) sids.push(index * 2 ** split + rng.pick([0, 1, 2 ** split - 1]));
    }
  }
  d.boot = { strtab: { fmt: twoLevel ? '2level' : 'linear', log2size, ...(twoLevel ? { split } : {}), ...(l1.length > 0 ? { l1 } : {}) } };
  d.note(
    `${twoLevel ? `2-level stream table, SPLIT=${split}` : 'linear stream table'}, LOG2SIZE=${log2size} (§6.3.24), StreamIDs inside, at the top of and beyond it${l1.length > 0 ? ', raw level-1 descriptors (§5.1 Span)' : ''}`,
  );
  sids.forEach((sid, i) => {
    const dev = d.device(`dev${i}`, BigInt(sid));
    if (!installed.includes(sid)) {
      addDmas(d, rng, dev, [0n, 0x1000n], 1);
      return;
    }
    // the configs the part has (a stage-1-only part: abort, bypass and stage 1)
    const cfg = rng.weighted<Cfg>([
      [1, 'abort'],
      [1, 'bypass'],
      [d.offers('s1') ? 3 : 0, 's1'],
      [d.offers('s2') ? 3 : 0, 's2'],
      [d.offers('nesting') ? 2 : 0, 'nested'],
    ]);
    const st = stream(rng, d, dev, i, cfg);
    d.streams.push(st.install);
    addDmas(d, rng, dev, st.probes, rng.int(1, 3), d.substreams ? st.ssids : undefined);
  });
}

export function cdArea(rng: Rng, d: Draft): void {
  d.smmu.cache_policy = rng.bool(0.5) ? 'max' : 'none';
  d.need('s1');
  // a part without SubstreamIDs (IDR1.SSIDSIZE=0, or a source that cannot send them) keeps its own
  // SSIDSIZE (a scenario asking for another is SKIP on a target), one CD, mostly S1CDMax=0 (S1CDMax and
  // S1Fmt are then IGNORED, §5.2), and DMA without a SubstreamID: the CD checks of §5.4 remain
  const subs = d.substreams;
  const ssidsize = subs
    ? rng.weighted<number>([
        [4, 20],
        [1, rng.int(1, 19)],
      ])
    : 0;
  if (subs && ssidsize !== 20) d.smmu.ssidsize = ssidsize;
  const fmt = rng.pick(subs && d.offers('cd2l') ? (['linear', '2l_4k', '2l_64k'] as const) : (['linear'] as const));
  if (fmt !== 'linear') d.need('cd2l');
  const split = fmt === '2l_4k' ? 6 : 10;
  const maxCdmax = fmt === 'linear' ? 10 : Math.min(20, ssidsize + 1);
  const s1cdmax = subs || rng.bool(0.15) ? rng.pick([0, 1, Math.min(split, maxCdmax), Math.min(split + 1, maxCdmax), maxCdmax, rng.int(0, maxCdmax)]) : 0;
  const top = 2 ** s1cdmax;
  const tt0 = addS1Table(d, rng, 'pt', { count: rng.int(1, 2) });
  const want = [0, 1, top - 1, rng.int(0, top - 1), split, 2 ** split].filter((x) => x < top);
  const ssids = [...new Set(want.slice(0, rng.int(1, want.length)))];
  const entries: CdEntry[] = ssids.map((ssid) => {
    const e = genCd(rng, d, { tt0, ssid: BigInt(ssid) });
    const bad = rng.weighted<string>([
      [6, 'none'],
      [1, 'invalid'],
      [1, 'aa32'],
      [1, 't0sz'],
      [1, 'tg0'],
      [1, 'ips'],
      [1, 'endi'],
    ]);
    if (bad === 'none') return e;
    d.note(`CD for SubstreamID ${ssid}: ${bad} (§5.4: an invalid or ILLEGAL CD gives C_BAD_CD)`);
    if (bad === 'invalid') return { ...e, valid: false };
    if (bad === 'aa32') return { ...e, aa64: false };
    if (bad === 't0sz') return { ...e, t0sz: rng.pick([0, 15, 40, 48, 63]) };
    const extra: Record<string, bigint> = bad === 'tg0' ? { TG0: 3n } : bad === 'ips' ? { IPS: BigInt(rng.pick([6, 7])) } : { ENDI: 1n };
    return { ...e, fields: { ...(e.fields ?? {}), ...extra } };
  });
  addCdTable(d, 'cds', entries, { ...(fmt !== 'linear' ? { s1fmt: fmt } : {}), s1cdmax });
  d.note(`${fmt} CD table, S1CDMax=${s1cdmax}, SSIDSIZE=${ssidsize} (§5.2 S1Fmt/S1CDMax, §5.3, §6.3.2)`);
  const dev = d.device('dev0', BigInt(rng.int(0, 0xff)));
  // the STE may claim a different S1CDMax than the table was built for (reads past it, or fewer CDs)
  const steCdmax = rng.bool(0.15) ? rng.edgeInt(0, Math.min(20, ssidsize + 1)) : undefined;
  d.streams.push({
    device: dev,
    config: 's1',
    cd_table: 'cds',
    ...(steCdmax !== undefined ? { s1cdmax: steCdmax } : {}),
    ...(rng.bool(0.5) ? { s1dss: rng.pick(['terminate', 'bypass', 'ssid0'] as const) } : {}),
  });
  const probe = s1Probes(
    rng,
    [tt0],
    entries.some((e) => e.fields?.['TBI0'] !== undefined),
  );
  const ssidChoices = [...ssids.map(BigInt), BigInt(top), BigInt(2 ** ssidsize - 1), BigInt(2 ** ssidsize)].filter((x) => x < 1n << 20n);
  addDmas(d, rng, dev, probe, rng.int(2, 6), subs ? ssidChoices : undefined);
  d.note('DMA with and without SubstreamID, at and beyond S1CDMax and SSIDSIZE (§3.3.2 C_BAD_SUBSTREAMID, §5.2 S1DSS)');
}
