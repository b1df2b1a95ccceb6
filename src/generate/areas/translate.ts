/**
 * Areas s1, s2 and nested: one or two devices whose streams translate through random tables of
 * every granule, input size and start level, DMA at the edges of every mapping (first and last
 * bytes, just outside, top of the range, tagged pointers), every access kind and privilege.
 */
import type { Draft } from '../draft.ts';
import { addCdTable, addDmas, addS1Table, addS2Table, type BuiltTable, genCd, s1Probes } from '../build.ts';
import { probeAddresses } from '../mappings.ts';
import type { Rng } from '../rng.ts';
import type { StreamInstall } from '../../scenario/types.ts';

export function pickSid(rng: Rng, used: readonly bigint[]): bigint {
  for (;;) {
    const sid = BigInt(
      rng.weighted<number>([
        [2, 0],
        [2, 0xff],
        [1, 0x100],
        [4, rng.int(1, 0xfe)],
        [1, rng.int(0x101, 0xfff)],
      ]),
    );
    if (!used.includes(sid)) return sid;
  }
}

function devices(d: Draft, rng: Rng, n: number): string[] {
  const names: string[] = [];
  for (let i = 0; i < n; i++)
    names.push(
      d.device(
        `dev${i}`,
        pickSid(
          rng,
          d.devices.map((x) => x.sid),
        ),
      ),
    );
  return names;
}

/** Stage-1 TTB0 (and sometimes TTB1) tables behind a CD table of one or more CDs. */
function s1Setup(d: Draft, rng: Rng, prefix: string, s2: BuiltTable | undefined, global: boolean): { cdName: string; probes: bigint[]; ssids: bigint[] } {
  const tt0 = addS1Table(d, rng, `${prefix}tt0`, { ...(s2 !== undefined ? { s2 } : {}), global });
  const tt1 = rng.bool(0.3) ? addS1Table(d, rng, `${prefix}tt1`, { high: true, ...(s2 !== undefined ? { s2 } : {}), global }) : undefined;
  const ssids = d.substreams && rng.bool(0.3) ? [0n, BigInt(rng.edgeInt(1, 15))] : [0n];
  const entries = ssids.map((ssid) => genCd(rng, d, { tt0, ...(tt1 !== undefined ? { tt1 } : {}), ssid, ...(s2 !== undefined ? { s2 } : {}) }));
  const cdName = `${prefix}cd`;
  addCdTable(d, cdName, entries, s2 !== undefined ? { s2 } : {});
  const tbi = entries.some((e) => e.fields?.['TBI0'] !== undefined || e.fields?.['TBI1'] !== undefined);
  return { cdName, probes: s1Probes(rng, tt1 !== undefined ? [tt0, tt1] : [tt0], tbi), ssids };
}

function steExtras(rng: Rng, d: Draft, s1: boolean, s2: boolean): Partial<StreamInstall> {
  const s2s = s2 && rng.bool(0.1) && (d.offers('stall') || rng.bool(0.3));
  const s2ha = s2 && rng.bool(0.1);
  // on a part without stalls S2S=1 is ILLEGAL (§5.2 S2S: C_BAD_STE), drawn less often
  if (s2s && d.offers('stall')) d.need('stall');
  else if (s2s) d.note('STE.S2S=1 on a part without stalls (IDR0.STALL_MODEL=0b01): ILLEGAL, C_BAD_STE (§5.2 S2S)');
  if (s2ha) d.httu(rng.bool(0.85));
  return {
    ...(s1 && rng.bool(0.25) ? { s1dss: rng.pick(['terminate', 'bypass', 'ssid0'] as const) } : {}),
    ...(s1 && rng.bool(0.1) ? { s1stalld: true } : {}),
    ...(s2s ? { s2s: true } : {}),
    ...(s2 && rng.bool(0.1) ? { s2r: false } : {}),
    ...(s2ha ? { s2ha: true } : {}),
    ...(s2 && rng.bool(0.08) ? { fields: { S2AFFD: 1n } } : {}),
  };
}

export function s1Area(rng: Rng, d: Draft): void {
  d.need('s1');
  d.smmu.cache_policy = rng.bool(0.5) ? 'max' : 'none';
  const devs = devices(d, rng, rng.int(1, 2));
  devs.forEach((dev, i) => {
    const s = s1Setup(d, rng, `d${i}`, undefined, devs.length === 1);
    d.streams.push({ device: dev, config: 's1', cd_table: s.cdName, ...steExtras(rng, d, true, false) });
    addDmas(d, rng, dev, s.probes, rng.int(2, 6), s.ssids.length > 1 ? s.ssids : undefined);
  });
  d.note('stage-1 translation of DMA at the edges of every mapping (§3.3, Arm ARM D8)');
}

export function s2Area(rng: Rng, d: Draft): void {
  d.need('s2');
  d.smmu.cache_policy = rng.bool(0.5) ? 'max' : 'none';
  const devs = devices(d, rng, rng.int(1, 2));
  devs.forEach((dev, i) => {
    const t = addS2Table(d, rng, `d${i}s2`);
    const ps = rng.bool(0.2) ? rng.edgeInt(0, 4) : undefined;
    const ex = steExtras(rng, d, false, true);
    d.streams.push({
      device: dev,
      config: 's2',
      s2_table: t.name,
      vmid: d.uniqueId('vmid', rng),
      ...ex,
      ...(ps !== undefined ? { fields: { ...(ex.fields ?? {}), S2PS: BigInt(ps) } } : {}),
    });
    if (ps !== undefined) d.note(`STE.S2PS=${ps} bounds the stage-2 output (§5.2 S2PS, F_ADDR_SIZE §7.3.14)`);
    addDmas(d, rng, dev, probeAddresses(rng, t.geo, t.maps), rng.int(2, 6));
  });
  d.note('stage-2 translation of DMA at the edges of every mapping (§3.3, Arm ARM D8)');
}

export function nestedArea(rng: Rng, d: Draft): void {
  d.need('s1', 's2', 'nesting');
  d.smmu.cache_policy = rng.bool(0.5) ? 'max' : 'none';
  const devs = devices(d, rng, rng.int(1, 2));
  devs.forEach((dev, i) => {
    const s2 = addS2Table(d, rng, `d${i}s2`, { nested: true, count: rng.int(2, 5) });
    const s = s1Setup(d, rng, `d${i}`, s2, true);
    d.streams.push({
      device: dev,
      config: 'nested',
      cd_table: s.cdName,
      s2_table: s2.name,
      vmid: d.uniqueId('vmid', rng),
      ...steExtras(rng, d, true, true),
    });
    addDmas(d, rng, dev, s.probes, rng.int(2, 6), s.ssids.length > 1 ? s.ssids : undefined);
  });
  d.note('nested translation: stage-1 outputs inside, across and outside the stage-2 mappings (§3.3.2)');
}
