/**
 * Area host: the Linux-like host layer (IOMMUFD, linux-smmuv3-iommufd.md) over the SMMU. A VMM's
 * sequence with its edges: a nest-parent stage-2 HWPT, a vIOMMU, vDEVICEs (or none), a vEVENTQ of
 * a small depth, nested HWPTs whose guest STE (vSTE) is s1, bypass, abort or carries bits the
 * kernel refuses (§6.4), attach and replace, guest DMA, guest invalidations with commands the
 * kernel accepts, rejects (forbidden opcodes, unknown vSIDs) or must flush around (§6.6), changes
 * of the parent's stage 2 (s2_map / s2_unmap), destroys of busy objects, vEVENTs read back. Every
 * host step answers with an errno; a sequence a real VMM would not issue is answered, not thrown.
 */
import type { Command, FieldMap, Step } from '../../scenario/types.ts';
import type { VSte } from '../../scenario/types.ts';
import type { Draft } from '../draft.ts';
import { addCdTable, addS1Table, addS2Table, genCd, pickAccess, s1Probes } from '../build.ts';
import type { Rng } from '../rng.ts';

/** vSTE dword-0 fields the kernel refuses in a nested HWPT (§6.4: only V, Config, S1Fmt, S1ContextPtr, S1CDMax, S1DSS, S1CIR/COR/CSH, S1STALLD, EATS pass). */
const VSTE_BAD: readonly (readonly [string, bigint])[] = [
  ['STRW', 2n],
  ['MEV', 1n],
  ['SHCFG', 2n],
  ['S2FWB', 1n],
];

export function hostArea(rng: Rng, d: Draft): void {
  d.need('s1', 's2', 'nesting');
  d.smmu.cache_policy = rng.bool(0.5) ? 'max' : 'none';
  const n = rng.int(1, 2);
  const devs: string[] = [];
  for (let i = 0; i < n; i++) {
    const name = `nic${i}`;
    d.devices.push({ name, sid: BigInt(0x10 + 8 * i), vsid: BigInt(rng.edgeInt(0, 0xffff) & 0xffff), bdf: `0${i + 1}:00.0` });
    devs.push(name);
  }
  // two devices with one vSID would be a VMM bug the kernel refuses (vdevice EEXIST): give distinct ones
  if (d.devices.length === 2 && d.devices[0]?.vsid === d.devices[1]?.vsid)
    d.devices[1] = { ...(d.devices[1] as (typeof d.devices)[number]), vsid: ((d.devices[0]?.vsid ?? 0n) + 1n) & 0xffffn };
  d.host = {};
  // Linux sizes a nest parent's stage 2 by the SMMU's IAS (48 bits on the default part; the OAS,
  // or 40 bits if larger with AArch32 tables, §3.4): mappings drawn for another IAS would not fit
  const ias = Math.max(d.oas, d.offers('aarch32') ? 40 : 0);
  const vm = addS2Table(d, rng, 'vm', { nested: true, bits: ias, count: rng.int(1, 3) });
  const gs1 = addS1Table(d, rng, 'gs1', { s2: vm, count: rng.int(1, 3), global: n === 1 });
  const entries = [genCd(rng, d, { tt0: gs1, s2: vm })].map(({ s: _s, ...e }) => e);
  addCdTable(d, 'gcd', entries, { s2: vm });
  const probes = s1Probes(rng, [gs1], false);
  const asid = entries[0]?.asid ?? 0n;
  const dev0 = devs[0] as string;
  d.step({ hwpt_alloc: { name: 's2', device: dev0, nest_parent: rng.bool(0.95), s2_table: 'vm' } });
  d.step({ viommu: { name: 'vi', device: dev0, hwpt: 's2' } });
  for (const dev of devs) if (rng.bool(0.9)) d.step({ vdevice: { viommu: 'vi', device: dev } });
  const evq = rng.bool(0.6);
  if (evq) d.step({ veventq: { name: 'q', viommu: 'vi', depth: rng.edgeInt(1, 64) } });
  let nested = 0;
  const vste = (): VSte => {
    const cfg = rng.weighted<'s1' | 'bypass' | 'abort'>([
      [6, 's1'],
      [1, 'bypass'],
      [1, 'abort'],
    ]);
    const bad = rng.bool(0.1) ? rng.pick(VSTE_BAD) : undefined;
    if (bad !== undefined) d.note(`vSTE with ${bad[0]} set: the kernel refuses it (EINVAL, linux-smmuv3-iommufd.md §6.4)`);
    return {
      config: cfg,
      ...(cfg === 's1' ? { cd_table: 'gcd' } : {}),
      ...(cfg === 's1' && rng.bool(0.2) ? { s1dss: rng.pick(['terminate', 'bypass', 'ssid0'] as const) } : {}),
      ...(bad !== undefined ? { fields: { [bad[0]]: bad[1] } as FieldMap } : {}),
    };
  };
  const attachNested = (dev: string): void => {
    const name = `n${nested++}`;
    d.step({ nested_hwpt: { name, device: dev, pt: 'vi', ste: vste() } });
    d.step({ attach: { device: dev, hwpt: name } });
  };
  for (const dev of devs) attachNested(dev);
  const steps = rng.int(4, 10);
  for (let i = 0; i < steps; i++) {
    const op = rng.weighted<string>([
      [6, 'dma'],
      [3, 'invalidate'],
      [1, 'replace'],
      [1, 'parent'],
      [1, 's2_map'],
      [1, 's2_unmap'],
      [1, 'read'],
      [1, 'destroy'],
    ]);
    const dev = rng.pick(devs);
    if (op === 'dma') {
      // half inside a guest mapping (the translated path through both stages), half at the edges
      const m = rng.bool(0.5) ? rng.pick(gs1.maps) : undefined;
      const iova = m !== undefined ? m.from + rng.range(0n, m.size / 8n - 1n) * 8n : rng.pick(probes);
      d.step({ dma: { device: dev, iova, access: pickAccess(rng) } });
    } else if (op === 'invalidate') {
      const page = gs1.maps[0]?.from ?? 0n;
      const pick = (): Command =>
        rng.weighted<Command>([
          [3, { op: 'TLBI_NH_ASID', asid }],
          [3, { op: 'TLBI_NH_VA', asid, addr: page, leaf: rng.bool() }],
          [2, { op: 'CFGI_CD', device: dev, ssid: 0n, leaf: true }],
          [1, { op: 'CFGI_CD_ALL', device: dev }],
          [1, { op: 'CFGI_STE', device: dev, leaf: true }],
          // the kernel refuses these from a guest (§6.6): the array stops there, entry_num says where
          [1, { op: 'CFGI_ALL' }],
          [1, { op: 'TLBI_EL2_ALL' }],
          [1, { op: 'SYNC' }],
          [1, { op: 'CFGI_STE', sid: BigInt(rng.edgeInt(0, 0xffff)), leaf: true }],
        ]);
      const commands = Array.from({ length: rng.int(1, 4) }, pick);
      d.step({ invalidate: { target: 'vi', commands } });
      d.note('guest invalidations through IOMMU_HWPT_INVALIDATE, forbidden opcodes and unknown vSIDs included (linux-smmuv3-iommufd.md §6.6)');
    } else if (op === 'replace') attachNested(dev);
    else if (op === 'parent') d.step({ attach: { device: dev, hwpt: 's2' } });
    else if (op === 's2_map' || op === 's2_unmap') {
      const m = rng.pick(vm.maps);
      if (m === undefined) continue;
      const s: Step =
        op === 's2_unmap'
          ? { s2_unmap: { hwpt: 's2', ipa: m.from, size: m.size } }
          : { s2_map: { hwpt: 's2', ipa: m.from + m.size, pa: m.out + m.size, size: vm.geo.gBytes, perm: 'rw' } };
      d.step(s);
    } else if (op === 'read' && evq) d.step({ read_vevents: { veventq: 'q' } });
    else if (op === 'destroy') d.step({ destroy: { object: rng.pick(['s2', 'vi', `n${rng.int(0, Math.max(0, nested - 1))}`]) } });
  }
  if (evq) d.step({ read_vevents: { veventq: 'q' } });
  d.note(
    'a VMM over IOMMUFD: nest parent, vIOMMU, vDEVICE, vEVENTQ, nested HWPTs attached and replaced, guest DMA and invalidations (linux-smmuv3-iommufd.md §6)',
  );
}
