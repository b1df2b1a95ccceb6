/**
 * Totality checks (issue 12 part 6): rules that make every accepted scenario runnable to an
 * answer. What the schema cannot say and the executor could not do is rejected here, located,
 * citing the rule; everything else an SMMU can be asked is run and answered the architected way
 * (C_BAD_STE, C_BAD_SUBSTREAMID, CERROR_ILL, GERROR, aborts), never by an exception.
 *
 *  - `fields:` names and values, and typed keys, must fit the structure they are encoded into
 *    (STE §5.2, CD §5.4, commands §4): an unknown name or a value wider than its field cannot be
 *    written into the structure at all.
 *  - StreamIDs are at most 32 bits and an STE can only be installed inside the stream table
 *    (SMMU_IDR1.SIDSIZE, §6.3.2); SubstreamIDs are at most 20 bits (§3.3.2, PCIe PASID).
 *  - `write_reg` names a register the emulator implements.
 *  - Tables: a geometry the translation regime can describe (VMSAv8-64 start level, §5.2 S2SL0),
 *    placed on a 64-byte boundary; mappings granule-aligned, inside the input range
 *    (va_bits / ipa_bits, or the TTB1 range at the top of the 64-bit VA space), not overlapping
 *    within one table, and bounded in the descriptors they need (LoadCaps.maxLeafDescriptors).
 */
import { CD } from '../arch/cd.ts';
import type { StructCodec } from '../arch/fields.ts';
import { REG } from '../arch/registers.ts';
import { STE } from '../arch/ste.ts';
import { startLevelS2 } from '../arch/ttd.ts';
import { leafCountBound, tableGeometry } from '../pgtable/builder.ts';
import { GRANULE_BYTES, type Granule, type GranuleName, granuleShift } from '../arch/ttd.ts';
import { type SmmuProfile, makeProfile } from '../smmu/profile.ts';
import { profileOverrides } from './profile-block.ts';
import type { LoadCaps } from './caps.ts';
import { commandFields } from './command-fields.ts';
import { type LoadError, type LoadErrorCode, pathString } from './errors.ts';
import type { Locator } from './locate.ts';
import type { Command, FieldMap, Scenario } from './types.ts';
import { stepKind } from './types.ts';

type Path = (string | number)[];
const U32_MAX = 0xffff_ffffn;
const SSID_LIMIT = 1n << 20n;
const U64_TOP = 1n << 64n;

interface Mapping {
  readonly from: bigint;
  readonly size: bigint;
  readonly path: Path;
}

export function checkRunnable(s: Scenario, caps: LoadCaps, file: string, loc: Locator, under: Partial<SmmuProfile> = {}): LoadError[] {
  const errors: LoadError[] = [];
  // The SMMU the scenario runs on: its `smmu:` block over the run-level part (`--profile`), as the
  // executor builds it (engine/exec/profile.ts), so IDs and sizes are checked against that part.
  const prof = makeProfile({ ...under, ...profileOverrides(s.smmu ?? {}, ['smmu'], makeProfile(under)).profile });
  const report = (code: LoadErrorCode, path: Path, message: string): void => {
    const p = loc.locate(path);
    errors.push({ code, file, line: p.line, col: p.col, path: pathString(path), message });
  };
  const fieldsFit = (codec: StructCodec, values: Readonly<Record<string, bigint | number | boolean>>, path: Path, typedKey?: string): void => {
    for (const e of codec.validate(values)) {
      const at = typedKey !== undefined ? [...path, typedKey] : [...path, 'fields', e.field];
      report('BAD_VALUE', at, `${e.message} (${codec.name} field layout, SMMUv3 §${codec.name === 'CD' ? '5.4' : codec.name === 'STE' ? '5.2' : '4'})`);
    }
  };
  const fieldMap = (codec: StructCodec, f: FieldMap | undefined, path: Path): void => {
    if (f !== undefined) fieldsFit(codec, f, path);
  };

  const sidSize = Math.min(prof.sidSize, s.boot?.strtab?.log2size ?? 32);
  const devices = new Map((s.devices ?? []).map((d) => [d.name, d] as const));
  (s.devices ?? []).forEach((d, i) => {
    if (d.sid > U32_MAX) report('BAD_VALUE', ['devices', i, 'sid'], `StreamID 0x${d.sid.toString(16)} is wider than 32 bits (SMMUv3 §3.3.1)`);
    if (d.vsid !== undefined && d.vsid > U32_MAX)
      report('BAD_VALUE', ['devices', i, 'vsid'], `vSID 0x${d.vsid.toString(16)} is wider than 32 bits (SMMUv3 §3.3.1)`);
  });
  const steSid = (x: { device?: string; sid?: bigint }, at: Path): void => {
    const sid = x.sid ?? (x.device !== undefined ? devices.get(x.device)?.sid : undefined);
    if (sid === undefined) return;
    if (sid >= 1n << BigInt(sidSize)) {
      report(
        'BAD_VALUE',
        [...at, x.sid !== undefined ? 'sid' : 'device'],
        `Cannot install an STE for StreamID 0x${sid.toString(16)}: the stream table covers ${sidSize} bits (SMMU_IDR1.SIDSIZE, STRTAB_BASE_CFG.LOG2SIZE; SMMUv3 §6.3.2, §6.3.24); a transaction from it gets C_BAD_STREAMID instead`,
      );
    }
  };
  const ste = (st: { device?: string; sid?: bigint; vmid?: bigint; fields?: FieldMap }, at: Path): void => {
    steSid(st, at);
    if (st.sid !== undefined && st.sid > U32_MAX)
      report('BAD_VALUE', [...at, 'sid'], `StreamID 0x${st.sid.toString(16)} is wider than 32 bits (SMMUv3 §3.3.1)`);
    if (st.vmid !== undefined) fieldsFit(STE, { S2VMID: st.vmid }, at, 'vmid');
    fieldMap(STE, st.fields, at);
  };
  (s.streams ?? []).forEach((st, i) => ste(st, ['streams', i]));
  (s.host?.devices ?? []).forEach((d, i) => {
    if ((d.smmu ?? 0) >= (s.host?.smmus ?? 1))
      report('CONFLICT', ['host', 'devices', i, 'smmu'], `SMMU ${d.smmu} does not exist: host.smmus is ${s.host?.smmus ?? 1}`);
  });
  s.steps.forEach((step, i) => {
    const probe = 'attach' in step ? step.attach.probe : undefined;
    if (probe !== undefined && !devices.has(probe.device))
      report('UNKNOWN_REFERENCE', ['steps', i, 'attach', 'probe', 'device'], `Unknown device "${probe.device}" for the attach probe`);
  });
  if (s.host !== undefined) {
    // The host binds every declared device; Linux's probe refuses a StreamID the SMMU cannot
    // index (arm_smmu_sid_in_range: SID < 2^SIDSIZE), so such a device cannot be part of a host.
    (s.devices ?? []).forEach((d, i) => {
      if (d.sid >= 1n << BigInt(sidSize)) {
        report(
          'BAD_VALUE',
          ['devices', i, 'sid'],
          `StreamID 0x${d.sid.toString(16)} is outside SMMU_IDR1.SIDSIZE=${sidSize} bits, so the host cannot bind device "${d.name}" (SMMUv3 §6.3.2; linux-smmuv3-iommufd.md: arm_smmu_sid_in_range)`,
        );
      }
    });
  }
  const faultNeedsPa = (f: { kind: string; pa?: bigint }, at: Path): void => {
    if (f.kind === 'ext_abort' && f.pa === undefined) report('CONFLICT', at, 'An ext_abort injection needs `pa`: the physical range whose reads abort');
  };
  (s.smmu?.faults ?? []).forEach((f, i) => faultNeedsPa(f, ['smmu', 'faults', i]));
  const aligned8 = (pa: bigint, at: Path): void => {
    if (pa % 8n !== 0n)
      report(
        'BAD_VALUE',
        at,
        `Raw 64-bit writes need an 8-byte aligned pa, got 0x${pa.toString(16)} (SMMU structures are arrays of 64-bit words, SMMUv3 §3.2)`,
      );
  };
  (s.memory?.writes ?? []).forEach((w, i) => aligned8(w.pa, ['memory', 'writes', i, 'pa']));
  checkBoot(s, caps, report, prof);

  const ssid = (v: bigint | undefined, at: Path): void => {
    if (v !== undefined && v >= SSID_LIMIT)
      report('BAD_VALUE', at, `SubstreamID 0x${v.toString(16)} is wider than 20 bits (SMMUv3 §3.3.2: SubstreamIDs are up to 20 bits, the PCIe PASID width)`);
  };
  const command = (c: Command, at: Path): void => {
    if (c.raw !== undefined || c.op === undefined) return;
    const dev = c.device !== undefined ? devices.get(c.device) : undefined;
    const sid = c.sid ?? (dev === undefined ? undefined : dev.vsid !== undefined && dev.vsid > dev.sid ? dev.vsid : dev.sid);
    if (sid !== undefined && sid > U32_MAX) {
      report('BAD_VALUE', [...at, c.sid !== undefined ? 'sid' : 'device'], `StreamID 0x${sid.toString(16)} is wider than 32 bits (SMMUv3 §3.3.1)`);
      return;
    }
    const cf = commandFields({ ...c, op: c.op }, sid);
    for (const p of cf.problems) report('BAD_VALUE', [...at, p.key], `${p.message} (SMMUv3 §4)`);
    fieldsFit(cf.codec, cf.values, at);
  };

  const mem = s.memory ?? {};
  const tables = new Map<string, { stage: 1 | 2; granule: Granule; bits: number; maps: Mapping[] }>();
  let leaves = 0n;
  let leavesAt: Path | undefined;
  const oas = prof.oas;
  const mapping = (table: string, va: bigint, out: bigint | undefined, outKey: string, size: bigint, pageOnly: boolean, at: Path, isMap: boolean): void => {
    const t = tables.get(table);
    if (t === undefined) return; // an unknown name is reported by checkReferences
    const g = BigInt(t.granule);
    const inKey = t.stage === 1 ? 'va' : 'ipa';
    const rule = 'VMSAv8-64: a leaf maps whole granules (Arm ARM D8.3)';
    if (va % g !== 0n)
      report('BAD_VALUE', [...at, inKey], `${inKey} 0x${va.toString(16)} is not aligned to the ${t.granule / 1024}K granule of table "${table}" (${rule})`);
    if (size % g !== 0n)
      report('BAD_VALUE', [...at, 'size'], `size 0x${size.toString(16)} is not a multiple of the ${t.granule / 1024}K granule of table "${table}" (${rule})`);
    if (isMap && out !== undefined && out % g !== 0n) {
      report(
        'BAD_VALUE',
        [...at, outKey],
        `output address 0x${out.toString(16)} is not aligned to the ${t.granule / 1024}K granule of table "${table}" (${rule})`,
      );
    }
    const span = 1n << BigInt(t.bits);
    const end = va + size;
    const low = end <= span;
    const high = t.stage === 1 && va >= U64_TOP - span && end <= U64_TOP;
    if (!low && !high) {
      const range = t.stage === 1 ? `[0, 2^${t.bits}) or [2^64 - 2^${t.bits}, 2^64)` : `[0, 2^${t.bits})`;
      report(
        'BAD_VALUE',
        [...at, inKey],
        `[0x${va.toString(16)}, 0x${end.toString(16)}) is outside the ${t.bits}-bit input range ${range} of table "${table}" (Arm ARM D8.1: input address size)`,
      );
    }
    if (isMap && out !== undefined && out + size > U64_TOP) {
      report('BAD_VALUE', [...at, 'size'], `output range 0x${out.toString(16)} + 0x${size.toString(16)} wraps past 2^64`);
    }
    if (isMap) {
      leaves += leafCountBound(va, out, size, t.granule, oas, pageOnly);
      leavesAt ??= at;
    }
  };
  // A table's address is written into a pointer field no wider than bits [55:x] (fuzzer: an s1
  // table at 0xffff_0000_0000_0000 made the CD encoder throw).
  const pointerFits = (at: bigint | undefined, path: Path, field: string): void => {
    if (at !== undefined && at >= 1n << 56n) report('BAD_VALUE', path, `Table address 0x${at.toString(16)} does not fit the pointer that holds it: ${field}`);
  };
  const declareTable = (stage: 1 | 2, name: string, granule: GranuleName, bits: number, sl0: number | undefined, at: bigint | undefined, path: Path): void => {
    const gb = GRANULE_BYTES[granule];
    const start = sl0 === undefined || stage === 1 ? undefined : startLevelS2(granuleShift(gb), sl0);
    const geo =
      stage === 2 && sl0 !== undefined && start === undefined
        ? `S2SL0=${sl0} has no start level with the ${granule} granule`
        : tableGeometry(stage, gb, bits, start);
    if (typeof geo === 'string') report('BAD_VALUE', [...path, stage === 1 ? 'va_bits' : 'ipa_bits'], `${geo} (SMMUv3 §5.2 S2SL0/S2T0SZ, §5.4 TxSZ)`);
    if (at !== undefined && at % 64n !== 0n)
      report(
        'BAD_VALUE',
        [...path, 'at'],
        `Table address 0x${at.toString(16)} is not 64-byte aligned (SMMUv3 §5.2/§5.4: table pointers hold bits [55:6] at least)`,
      );
    pointerFits(at, [...path, 'at'], stage === 1 ? 'CD.TTB0/TTB1 hold bits [55:4] (SMMUv3 §5.4)' : 'STE.S2TTB holds bits [55:4] (SMMUv3 §5.2)');
    if (!tables.has(name)) tables.set(name, { stage, granule: gb, bits, maps: [] });
  };
  (mem.s2_tables ?? []).forEach((t, i) => declareTable(2, t.name, t.granule, t.ipa_bits, t.sl0, t.at, ['memory', 's2_tables', i]));
  (mem.s1_tables ?? []).forEach((t, i) => declareTable(1, t.name, t.granule, t.va_bits, undefined, t.at, ['memory', 's1_tables', i]));
  (mem.cd_tables ?? []).forEach((t, i) => {
    const at: Path = ['memory', 'cd_tables', i];
    if (t.at !== undefined && t.at % 64n !== 0n)
      report('BAD_VALUE', [...at, 'at'], `Table address 0x${t.at.toString(16)} is not 64-byte aligned (SMMUv3 §5.2 S1ContextPtr holds bits [55:6])`);
    pointerFits(t.at, [...at, 'at'], 'STE.S1ContextPtr holds bits [55:6] (SMMUv3 §5.2)');
    t.entries.forEach((e, j) => {
      const eat: Path = [...at, 'entries', j];
      ssid(e.ssid, [...eat, 'ssid']);
      if (t.s1cdmax !== undefined && e.ssid >= 1n << BigInt(t.s1cdmax) && !(t.s1cdmax === 0 && e.ssid === 0n)) {
        report('BAD_VALUE', [...eat, 'ssid'], `SubstreamID ${e.ssid} has no slot in a CD table of S1CDMax=${t.s1cdmax} (SMMUv3 §5.2 S1CDMax)`);
      }
      if (e.asid !== undefined) fieldsFit(CD, { ASID: e.asid }, eat, 'asid');
      fieldMap(CD, e.fields, eat);
    });
  });
  const staticMaps = (kind: 's1_tables' | 's2_tables'): void => {
    (mem[kind] ?? []).forEach((t, i) => {
      const entries = t.map as readonly { va?: bigint; ipa?: bigint; pa?: bigint; size: bigint; page_only?: boolean }[];
      entries.forEach((m, j) => {
        const at: Path = ['memory', kind, i, 'map', j];
        const va = kind === 's1_tables' ? (m.va ?? 0n) : (m.ipa ?? 0n);
        const out = kind === 's1_tables' ? (m.pa ?? m.ipa) : m.pa;
        mapping(t.name, va, out, m.pa !== undefined ? 'pa' : 'ipa', m.size, m.page_only === true, at, true);
        tables.get(t.name)?.maps.push({ from: va, size: m.size, path: at });
      });
    });
  };
  staticMaps('s2_tables');
  staticMaps('s1_tables');
  for (const [name, t] of tables) {
    const sorted = [...t.maps].sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
    for (let k = 1; k < sorted.length; k++) {
      const prev = sorted[k - 1] as Mapping;
      const cur = sorted[k] as Mapping;
      if (cur.from < prev.from + prev.size) {
        report(
          'CONFLICT',
          cur.path,
          `Mapping at 0x${cur.from.toString(16)} overlaps the mapping at ${pathString(prev.path)} in table "${name}": one input address has one translation (a second map of it would need break-before-make)`,
        );
      }
    }
  }

  // A host s2_map builds stage-2 descriptors too (into its HWPT's table): count its leaves, at the
  // granule of the s2_table its hwpt_alloc named (else 4K, the finest: an upper bound).
  const hwptGranule = new Map<string, Granule>();
  const hwptBits = new Map<string, number>();
  for (const step of s.steps) {
    if ('hwpt_alloc' in step && step.hwpt_alloc.s2_table !== undefined) {
      const t = tables.get(step.hwpt_alloc.s2_table);
      if (t !== undefined) {
        hwptGranule.set(step.hwpt_alloc.name, t.granule);
        hwptBits.set(step.hwpt_alloc.name, t.bits);
      }
    }
  }
  s.steps.forEach((step, i) => {
    const kind = stepKind(step);
    const at: Path = ['steps', i, kind];
    if ('s2_map' in step) {
      const m = step.s2_map;
      leaves += leafCountBound(m.ipa, m.pa, m.size, hwptGranule.get(m.hwpt) ?? 4096, oas, m.page_only === true);
      leavesAt ??= at;
    }
    if ('s2_unmap' in step) {
      // The range lies in the HWPT's IPA space (fuzzer: an unmap of 2^64 - 4K bytes walked 2^25
      // level-0 slots); a 52-bit IPA space is the largest any stage-2 table has (Arm ARM D8.1).
      const m = step.s2_unmap;
      const bits = hwptBits.get(m.hwpt) ?? 52;
      if (m.ipa + m.size > 1n << BigInt(bits))
        report(
          'BAD_VALUE',
          [...at, 'size'],
          `[0x${m.ipa.toString(16)}, 0x${(m.ipa + m.size).toString(16)}) is outside the ${bits}-bit IPA space of HWPT "${m.hwpt}" (Arm ARM D8.1: input address size)`,
        );
    }
    if ('read_mem' in step) {
      const w = BigInt((step.read_mem.width ?? 64) / 8);
      if (step.read_mem.pa % w !== 0n)
        report(
          'BAD_VALUE',
          [...at, 'pa'],
          `A ${step.read_mem.width ?? 64}-bit read needs a ${w}-byte aligned pa, got 0x${step.read_mem.pa.toString(16)} (single-copy atomic accesses, SMMUv3 §3.2)`,
        );
    }
    if ('ste' in step) ste(step.ste, at);
    else if ('dma' in step) {
      ssid(step.dma.ssid, [...at, 'ssid']);
      // Without size the step is one transaction at iova: only a given size can run past 2^64.
      const size = step.dma.size;
      if (size !== undefined && step.dma.iova + BigInt(size) > U64_TOP)
        report(
          'BAD_VALUE',
          [...at, 'size'],
          `A DMA of ${size} bytes at 0x${step.dma.iova.toString(16)} wraps past 2^64 (its last transaction would need an address above 0xffff_ffff_ffff_ffff)`,
        );
    } else if ('resume' in step) {
      ssid(step.resume.ssid, [...at, 'ssid']);
      const stag = step.resume.stag;
      if (stag !== undefined && stag > 0xffffn)
        report(
          'BAD_VALUE',
          [...at, 'stag'],
          `STAG 0x${stag.toString(16)} is wider than 16 bits (CMD_RESUME STAG[15:0], event records STAG[15:0]; SMMUv3 §4.7.1)`,
        );
    } else if ('msi' in step) ssid(step.msi.ssid, [...at, 'ssid']);
    else if ('attach' in step) ssid(step.attach.probe?.ssid, [...at, 'probe', 'ssid']);
    else if ('cmdq' in step) step.cmdq.commands.forEach((c, j) => command(c, [...at, 'commands', j]));
    else if ('invalidate' in step) step.invalidate.commands.forEach((c, j) => command(c, [...at, 'commands', j]));
    else if ('guest_cmdq' in step) (step.guest_cmdq.commands ?? []).forEach((c, j) => command(c, [...at, 'commands', j]));
    if ('cmdq' in step && step.cmdq.index !== undefined) {
      const log2 = s.boot?.cmdq?.log2size ?? s.smmu?.cmdq_log2size ?? 8;
      if (step.cmdq.index >= 2 ** log2)
        report(
          'BAD_VALUE',
          [...at, 'index'],
          `Ring index ${step.cmdq.index} is outside a command queue of 2^${log2} entries (CMDQ_BASE.LOG2SIZE, SMMUv3 §6.3.26)`,
        );
    }
    if ('write' in step) aligned8(step.write.pa, [...at, 'pa']);
    else if ('inject_fault' in step) faultNeedsPa(step.inject_fault, at);
    else if ('vdevice' in step) {
      if (s.host?.uapi !== 'rfc-2023' && step.vdevice.viommu === undefined) {
        report('CONFLICT', at, 'IOMMU_VDEVICE_ALLOC needs a vIOMMU with the current uAPI: give `viommu` (rfc-2023 has no vIOMMU)');
      }
    } else if ('nested_hwpt' in step) fieldMap(STE, step.nested_hwpt.ste.fields, [...at, 'ste']);
    else if ('write_reg' in step) {
      const key = step.write_reg.reg.replace(/^SMMU_/, '');
      if (!(key in REG))
        report(
          'BAD_VALUE',
          [...at, 'reg'],
          `${step.write_reg.reg} is not implemented by the emulated SMMU (no PRI queue, no GATOS), so it cannot be written (SMMUv3 §6.3)`,
        );
    } else if ('map' in step) {
      const m = step.map;
      const t = tables.get(m.table);
      const va = t?.stage === 2 ? m.ipa : m.va;
      if (va !== undefined)
        mapping(m.table, va, t?.stage === 2 ? m.pa : (m.pa ?? m.ipa), m.pa !== undefined ? 'pa' : 'ipa', m.size, m.page_only === true, at, true);
    } else if ('unmap' in step) {
      const m = step.unmap;
      const t = tables.get(m.table);
      const va = t?.stage === 2 ? m.ipa : m.va;
      if (va !== undefined) mapping(m.table, va, undefined, 'pa', m.size, false, at, false);
    }
  });
  if (leaves > BigInt(caps.maxLeafDescriptors)) {
    report(
      'CAP_EXCEEDED',
      leavesAt ?? ['memory'],
      `Mappings need up to ${leaves} leaf descriptors; the cap is ${caps.maxLeafDescriptors} (align va and pa to a block size so blocks can be used, or map less)`,
    );
  }
  return errors;
}

type Report = (code: LoadErrorCode, path: Path, message: string) => void;

/** Memory regions and `boot:` (software's reset programming, SMMUv3 §6.3.23-§6.3.29). */
function checkBoot(s: Scenario, caps: LoadCaps, report: Report, prof: SmmuProfile): void {
  let ram = 0n;
  for (const kind of ['ram', 'unbacked'] as const) {
    (s.memory?.[kind] ?? []).forEach((r, i) => {
      const at: Path = ['memory', kind, i];
      if (r.pa % 4096n !== 0n || r.size % 4096n !== 0n) {
        report(
          'BAD_VALUE',
          at,
          `A ${kind} region is whole 4 KiB pages (the memory model backs pages): pa 0x${r.pa.toString(16)}, size 0x${r.size.toString(16)}`,
        );
      }
      if (r.pa + r.size > U64_TOP) report('BAD_VALUE', [...at, 'size'], 'The region wraps past 2^64');
      if (kind === 'ram') ram += r.size;
    });
  }
  // Guest RAM (guest:) is backed memory too, mapped into the nest parent's stage 2 in 4 KiB pages
  // or blocks (vmm/guest-mem.ts): whole pages, counted with the zero-filled RAM.
  const g = s.guest;
  if (g !== undefined) {
    for (const k of ['ram_ipa', 'ram_pa', 'ram_size'] as const) {
      const v = g[k];
      if (v !== undefined && v % 4096n !== 0n)
        report(
          'BAD_VALUE',
          ['guest', k],
          `Guest RAM is whole 4 KiB pages (the VMM maps it into stage 2 by page): ${k} 0x${v.toString(16)} is not 4 KiB aligned`,
        );
    }
    ram += g.ram_size ?? 0x10_0000n;
  }
  if (ram > BigInt(caps.maxRamBytes)) {
    report(
      'CAP_EXCEEDED',
      s.guest?.ram_size !== undefined && (s.memory?.ram ?? []).length === 0 ? ['guest', 'ram_size'] : ['memory', 'ram'],
      `Zero-filled and guest RAM of 0x${ram.toString(16)} bytes; the cap is 0x${caps.maxRamBytes.toString(16)} (the emulator backs RAM pages)`,
    );
  }
  const b = s.boot;
  const fmt = b?.strtab?.fmt ?? s.smmu?.strtab ?? 'linear';
  if (fmt === '2level' && prof.stLevel !== 1) {
    report(
      'CONFLICT',
      b?.strtab?.fmt !== undefined ? ['boot', 'strtab', 'fmt'] : ['smmu', 'strtab'],
      'A 2-level stream table needs IDR0.ST_LEVEL=0b01 (feature 2lvl_strtab; the SMMU under test, its smmu: block over --profile, has ST_LEVEL=0) (SMMUv3 §6.3.24 FMT)',
    );
  }
  // A queue larger than IDR1.CMDQS/EVENTQS cannot be programmed (§6.3.26, §6.3.29: LOG2SIZE is at
  // most the IDR1 value). Only an explicit size can be too large: the default is capped, as a
  // driver caps its wish (Linux: min(CMDQ_MAX_SZ_SHIFT, IDR1.CMDQS)).
  for (const [q, max, idr] of [
    ['cmdq', prof.cmdqs, 'CMDQS'],
    ['evtq', prof.eventqs, 'EVENTQS'],
  ] as const) {
    const fromBoot = b?.[q]?.log2size;
    const fromSmmu = q === 'cmdq' ? s.smmu?.cmdq_log2size : s.smmu?.evtq_log2size;
    const log2 = fromBoot ?? fromSmmu;
    if (log2 !== undefined && log2 > max) {
      report(
        'BAD_VALUE',
        fromBoot !== undefined ? ['boot', q, 'log2size'] : ['smmu', `${q}_log2size`],
        `A ${q === 'cmdq' ? 'command' : 'event'} queue of 2^${log2} entries is larger than this SMMU allows: SMMU_IDR1.${idr}=${max} (SMMUv3 §6.3.2, §${q === 'cmdq' ? '6.3.26' : '6.3.29'} LOG2SIZE)`,
      );
    }
  }
  if (b === undefined) return;
  const st = b.strtab;
  if (st?.base !== undefined && st.base % 64n !== 0n)
    report('BAD_VALUE', ['boot', 'strtab', 'base'], `STRTAB_BASE.ADDR holds bits [55:6]: 0x${st.base.toString(16)} is not 64-byte aligned (SMMUv3 §6.3.23)`);
  const log2 = st?.log2size;
  const split = st?.split ?? s.smmu?.split ?? 8;
  if (log2 !== undefined) {
    // The table software zeroes: 64 B per STE (linear) or 8 B per L1 descriptor (2-level).
    const bytes = fmt === 'linear' ? 64 * 2 ** log2 : 8 * 2 ** Math.max(0, log2 - split);
    if (bytes > caps.maxRamBytes)
      report(
        'CAP_EXCEEDED',
        ['boot', 'strtab', 'log2size'],
        `A ${fmt} stream table of LOG2SIZE=${log2} is ${bytes} bytes; the cap is ${caps.maxRamBytes} (use a 2-level table)`,
      );
  }
  (st?.l1 ?? []).forEach((d, i) => {
    const at: Path = ['boot', 'strtab', 'l1', i];
    if (fmt !== '2level') report('CONFLICT', at, 'Level-1 descriptors exist only in a 2-level stream table (boot.strtab.fmt: 2level)');
    const entries = 2 ** Math.max(0, Math.min(log2 ?? 32, prof.sidSize) - split);
    if (d.index >= entries)
      report('BAD_VALUE', [...at, 'index'], `L1 index ${d.index} is beyond the ${entries}-entry level-1 table (LOG2SIZE - SPLIT, SMMUv3 §6.3.24)`);
    if (d.l2ptr !== undefined && d.l2ptr % 64n !== 0n)
      report('BAD_VALUE', [...at, 'l2ptr'], `L2Ptr holds bits [55:6]: 0x${d.l2ptr.toString(16)} is not 64-byte aligned (SMMUv3 §5.1)`);
  });
  for (const q of ['cmdq', 'evtq'] as const) {
    const bq = b[q];
    if (bq === undefined) continue;
    const qlog2 = bq.log2size ?? (q === 'cmdq' ? s.smmu?.cmdq_log2size : s.smmu?.evtq_log2size) ?? 8;
    if (bq.base !== undefined && bq.base % 32n !== 0n) {
      report(
        'BAD_VALUE',
        ['boot', q, 'base'],
        `${q === 'cmdq' ? 'CMDQ' : 'EVENTQ'}_BASE.ADDR holds bits [55:5]: 0x${bq.base.toString(16)} is not 32-byte aligned (SMMUv3 §6.3.26)`,
      );
    }
    if (bq.start !== undefined && bq.start >= 2n ** BigInt(qlog2 + 1)) {
      report(
        'BAD_VALUE',
        ['boot', q, 'start'],
        `PROD/CONS start 0x${bq.start.toString(16)} is more than an index and a wrap bit for 2^${qlog2} entries (SMMUv3 §3.5.1)`,
      );
    }
  }
}
