/**
 * The rule catalogue behind docs/coverage.md: every architectural rule or behaviour the suite
 * promises to cover, by stable id. A scenario claims rules with `covers: [id, ...]`; the coverage
 * script lists each rule with its scenarios and, separately, the rules nothing covers yet, so
 * gaps are visible instead of hidden (Arm ACS checklists, test262 features.txt).
 */

import { COMMAND_OPS } from './vocab.ts';

export interface Rule {
  /** Stable id, e.g. `event.F_TRANSLATION.s2.TT`, `cmdq.CERROR_ILL.middle`, `linux-10.17`. */
  readonly id: string;
  /** Coverage-map section. */
  readonly area: string;
  readonly title: string;
  /** Where the rule is stated (SMMUv3 section or reference note). */
  readonly source: string;
}

const r = (id: string, area: string, title: string, source: string): Rule => ({ id, area, title, source });

/** Events a transaction or configuration can cause (SMMUv3 §7.3), with stage and CLASS where they apply. */
function eventRules(): Rule[] {
  const out: Rule[] = [];
  const config: Array<[string, string]> = [
    ['C_BAD_STREAMID', '7.3.3'],
    ['F_STE_FETCH', '7.3.4'],
    ['C_BAD_STE', '7.3.5'],
    ['F_STREAM_DISABLED', '7.3.7'],
    ['C_BAD_SUBSTREAMID', '7.3.9'],
    ['F_CD_FETCH', '7.3.10'],
    ['C_BAD_CD', '7.3.11'],
  ];
  for (const [name, sec] of config) out.push(r(`event.${name}`, 'events', `${name} is recorded with its architected fields`, `SMMUv3 §${sec}`));
  out.push(r('event.F_WALK_EABT.s1.TT', 'events', 'F_WALK_EABT on a stage-1 descriptor fetch: S2=0, CLASS=TT, FetchAddr', 'SMMUv3 §7.3.12'));
  out.push(r('event.F_WALK_EABT.s2.IN', 'events', 'F_WALK_EABT on a stage-2 descriptor fetch translating the input IPA: S2=1, CLASS=IN', 'SMMUv3 §7.3.12'));
  out.push(
    r('event.F_WALK_EABT.s2.TT', 'events', 'F_WALK_EABT on a stage-2 descriptor fetch translating a stage-1 table IPA: S2=1, CLASS=TT', 'SMMUv3 §7.3.12'),
  );
  out.push(r('event.F_WALK_EABT.s2.CD', 'events', 'F_WALK_EABT on a stage-2 descriptor fetch translating a CD IPA: S2=1, CLASS=CD', 'SMMUv3 §7.3.12'));
  const faults: Array<[string, string]> = [
    ['F_TRANSLATION', '7.3.13'],
    ['F_ADDR_SIZE', '7.3.14'],
    ['F_ACCESS', '7.3.15'],
    ['F_PERMISSION', '7.3.16'],
  ];
  for (const [name, sec] of faults) {
    out.push(r(`event.${name}.s1.IN`, 'events', `${name} at stage 1 (S2=0, CLASS=IN)`, `SMMUv3 §${sec}`));
    for (const cls of ['CD', 'TT', 'IN']) {
      out.push(
        r(
          `event.${name}.s2.${cls}`,
          'events',
          `${name} at stage 2 with CLASS=${cls} and the IPA of the ${cls === 'CD' ? 'CD' : cls === 'TT' ? 'S1 descriptor' : 'output'}`,
          `SMMUv3 §${sec}`,
        ),
      );
    }
  }
  return out;
}

/** Stream and substream configuration (SMMUv3 §5.2 STE fields Config, S1Fmt, S1ContextPtr, S1CDMax, S1DSS). */
function configRules(): Rule[] {
  const s = 'SMMUv3 §5.2';
  return [
    r('config.STE.Config.abort', 'config', 'STE.Config 0b000: the transaction is aborted and no event is recorded', `${s} Config`),
    r('config.STE.Config.reserved', 'config', 'STE.Config 0b001-0b011 (reserved) behave as 0b000: abort, no event', `${s} Config`),
    r('config.STE.Config.bypass', 'config', 'STE.Config 0b100: both stages bypassed, output address = input address', `${s} Config`),
    r('config.STE.Config.absent-stage', 'config', 'STE.Config enabling a stage the SMMU lacks (IDR0.S1P/S2P == 0) is ILLEGAL: C_BAD_STE', `${s} Config`),
    r('config.STE.ssid.stage1-disabled', 'config', 'A SubstreamID with stage 1 disabled (STE.Config 0b1x0) gives C_BAD_SUBSTREAMID', `${s} S1Fmt`),
    r('config.STE.S1CDMax.zero', 'config', 'SSV=1 with STE.S1CDMax == 0 (substreams disabled) gives C_BAD_SUBSTREAMID', `${s} S1CDMax`),
    r('config.STE.S1CDMax.range', 'config', 'A SubstreamID >= 2^STE.S1CDMax gives C_BAD_SUBSTREAMID', `${s} S1CDMax`),
    r('config.STE.S1DSS.terminate', 'config', 'S1DSS 0b00: a transaction without SubstreamID aborts with F_STREAM_DISABLED', `${s} S1DSS`),
    r('config.STE.S1DSS.bypass', 'config', 'S1DSS 0b01: a transaction without SubstreamID bypasses stage 1 and fetches no CD', `${s} S1DSS`),
    r('config.STE.S1DSS.substream0', 'config', 'S1DSS 0b10: no SubstreamID uses CD 0; SubstreamID 0 with SSV=1 gives F_STREAM_DISABLED', `${s} S1DSS`),
    r('config.STE.S1Fmt.2l-4k', 'config', 'Two-level CD table with 4KB leaf tables (S1Fmt 0b01)', `${s} S1Fmt`),
    r('config.STE.S1Fmt.2l-64k', 'config', 'Two-level CD table with 64KB leaf tables (S1Fmt 0b10)', `${s} S1Fmt`),
    r(
      'config.STE.S2R.unrecorded',
      'config',
      'STE.S2R=0: a stage-2 fault (also on a CD fetch) aborts the transaction without an event record',
      `${s} S2R; SMMUv3 §3.12.1`,
    ),
    r(
      'config.CD.R.unrecorded',
      'config',
      'CD.R=0: a stage-1 fault terminates the transaction (CD.A=1) without an event record, and stage 2 never sees its output',
      'SMMUv3 §5.4 R; §3.12.1, §5.5',
    ),
    r(
      'config.CD.EPDx.half-unchecked',
      'config',
      "With CD.EPDx=1 that half's fields (TxSZ, TGx) are not checked: no C_BAD_CD for them",
      'SMMUv3 §5.4 EPD0/EPD1, §5.4.2',
    ),
    r('config.STE.S1ContextPtr.ipa', 'config', 'With stage 2 enabled, S1ContextPtr and L1CD pointers are IPAs translated by stage 2', `${s} S1ContextPtr`),
  ];
}

function walkRules(): Rule[] {
  const out: Rule[] = [];
  for (const st of ['s1', 's2']) {
    for (const g of ['4k', '16k', '64k'])
      out.push(r(`walk.${st}.granule.${g}`, 'walks', `${st.toUpperCase()} walk with the ${g.toUpperCase()} granule`, 'Arm ARM D8.2; SMMUv3 §5.2/§5.4'));
    out.push(r(`walk.${st}.block`, 'walks', `${st.toUpperCase()} block mapping`, 'Arm ARM D8.3'));
    out.push(r(`walk.${st}.start-level`, 'walks', `${st.toUpperCase()} start level from ${st === 's1' ? 'TxSZ' : 'S2SL0/S2T0SZ'}`, 'Arm ARM D8.2'));
  }
  out.push(r('walk.s2.concatenated', 'walks', 'S2 concatenated start-level tables', 'Arm ARM D8.2.2'));
  out.push(r('walk.s1.ttb1', 'walks', 'TTB1 upper VA range', 'SMMUv3 §5.4; Arm ARM D8.2'));
  out.push(r('walk.s1.tbi', 'walks', 'TBI per TTB0/TTB1', 'SMMUv3 §5.4'));
  out.push(r('walk.s1.epd0', 'walks', 'EPD0: TTB0 walks disabled give F_TRANSLATION', 'SMMUv3 §5.4'));
  out.push(r('walk.s1.epd1', 'walks', 'EPD1: TTB1 walks disabled give F_TRANSLATION', 'SMMUv3 §5.4'));
  out.push(r('walk.s1.affd', 'walks', 'CD.AFFD=1: a stage-1 descriptor with AF=0 translates without an Access flag fault', 'SMMUv3 §5.4 AFFD'));
  out.push(r('walk.s2.affd', 'walks', 'STE.S2AFFD=1: a stage-2 descriptor with AF=0 translates without an Access flag fault', 'SMMUv3 §5.2 S2AFFD'));
  out.push(r('walk.nested.compose', 'walks', 'Nested translation = S2(S1(va)) with combined permissions', 'SMMUv3 §3.3'));
  out.push(r('walk.s1.ttb-align', 'walks', 'TTB0/TTB1 aligned down to the start-table size before use', 'SMMUv3 §5.4 TTB0; Arm ARM AArch64.S1TTBaseAddress'));
  out.push(
    r('walk.s2.ttb-align', 'walks', 'S2TTB aligned down to the concatenated start-table size before use', 'SMMUv3 §5.2 S2TTB; Arm ARM AArch64.S2TTBaseAddress'),
  );
  for (const st of ['s1', 's2']) {
    out.push(
      r(
        `walk.${st}.block-64k-l1`,
        'walks',
        `${st.toUpperCase()} 64KB level-1 block exists iff IDR5.OAS is 52 bits, whatever ${st === 's1' ? 'CD.IPS' : 'STE.S2PS'} says`,
        'Arm ARM AArch64.BlockDescSupported; SMMUv3 §6.3.6',
      ),
    );
  }
  out.push(r('walk.s1.el2-ap1', 'walks', 'StreamWorld any-EL2: AP[1] ignored and treated as 1, PRIV treated as 1', 'SMMUv3 §13.4.1'));
  out.push(
    r(
      'walk.nested.httu-s2-table-page',
      'walks',
      'Nested HTTU: a stage-1 update makes a writable-clean S2 table page writable-dirty',
      'Arm ARM D8.5 RBDJJL; SMMUv3 §3.13.5',
    ),
  );
  return out;
}

/**
 * The Non-secure command opcodes (vocab.ts COMMAND_OPS, its SYNC spelled CMD_SYNC as in §4.7.3),
 * without the EL3 TLBIs and CFGI_VMS_PIDM, which this catalogue does not list.
 */
const OPCODES: readonly string[] = COMMAND_OPS.filter((op) => !op.startsWith('TLBI_EL3_') && op !== 'CFGI_VMS_PIDM').map((op) =>
  op === 'SYNC' ? 'CMD_SYNC' : op,
);

function cmdqRules(): Rule[] {
  const out: Rule[] = [];
  for (const op of OPCODES) {
    out.push(r(`cmd.${op}.valid`, 'cmdq', `${op} accepted and executed`, 'SMMUv3 §4'));
    out.push(r(`cmd.${op}.illegal`, 'cmdq', `${op} with an illegal field or absent feature raises CERROR_ILL`, 'SMMUv3 §4, §7.1'));
  }
  out.push(r('cmd.unknown-opcode', 'cmdq', 'Unknown opcode raises CERROR_ILL', 'SMMUv3 §4.1.3, §7.1'));
  for (const pos of ['first', 'middle', 'last'])
    out.push(r(`cmdq.CERROR_ILL.${pos}`, 'cmdq', `CERROR_ILL at the ${pos} command of a batch: CONS stops there`, 'SMMUv3 §7.1'));
  out.push(r('cmdq.CERROR_ABT', 'cmdq', 'Command fetch abort raises CERROR_ABT', 'SMMUv3 §7.1'));
  out.push(r('cmdq.CERROR_ATC_INV_SYNC', 'cmdq', 'CMD_SYNC after an incomplete ATC_INV raises CERROR_ATC_INV_SYNC', 'SMMUv3 §7.1, §4.7.3'));
  out.push(r('cmdq.recovery', 'cmdq', 'Recovery after slot rewrite and GERRORN ack', 'SMMUv3 §7.1'));
  out.push(r('cmdq.wrap', 'cmdq', 'Ring wrap-around with the wrap bit', 'SMMUv3 §3.5'));
  out.push(r('cmdq.sync-msi', 'cmdq', 'CMD_SYNC completion by MSI write', 'SMMUv3 §4.7.3'));
  out.push(r('cmdq.timeout.host', 'cmdq', 'Host CMD_SYNC poll timeout (-ETIMEDOUT)', 'linux-smmuv3-iommufd.md §3.4'));
  out.push(r('cmdq.timeout.guest', 'cmdq', 'Guest-visible timeout of a forwarded CMD_SYNC', 'linux-smmuv3-iommufd.md §6.6, §6.8'));
  return out;
}

function cachingRules(): Rule[] {
  const out: Rule[] = [];
  const tlbi = OPCODES.filter((op) => op.startsWith('TLBI_'));
  const cfgi = ['CFGI_STE', 'CFGI_STE_RANGE', 'CFGI_ALL', 'CFGI_CD', 'CFGI_CD_ALL'];
  for (const op of [...tlbi, ...cfgi]) {
    out.push(r(`cache.${op}.stale`, 'caching', `Without ${op} the stale entry is still used`, 'SMMUv3 §3.21, §4.3–4.4'));
    out.push(r(`cache.${op}.fresh`, 'caching', `After ${op} the new entry is used`, 'SMMUv3 §3.21, §4.3–4.4'));
  }
  out.push(r('cache.leaf-vs-walk', 'caching', 'Leaf-only TLBI leaves walk-cache entries', 'SMMUv3 §4.4.1'));
  out.push(r('cache.s2ipa-vs-combined', 'caching', 'TLBI_S2_IPA need not remove combined S1+S2 entries', 'SMMUv3 §4.4.3.1'));
  return out;
}

function profileRules(): Rule[] {
  return [
    r('profile.no-s2', 'profiles', 'A part without stage 2', 'SMMUv3 §6.3.1 IDR0.S2P'),
    r('profile.no-ril', 'profiles', 'A part without range invalidation', 'SMMUv3 §6.3.4 IDR3.RIL'),
    r('profile.no-cd2l', 'profiles', 'A part without two-level CD tables', 'SMMUv3 §6.3.1 IDR0.CD2L'),
    r('profile.2lvl-strtab', 'profiles', 'A two-level stream table', 'SMMUv3 §5.1'),
    r('profile.small-queues', 'profiles', 'Small queues: event queue overflow', 'SMMUv3 §7.4'),
    r('profile.term-model', 'profiles', 'A part with TERM_MODEL=1: CD.A=0 is ILLEGAL', 'SMMUv3 §6.3.1 IDR0.TERM_MODEL, §5.4.2'),
    r('regs.CR2.ro-when-enabled', 'registers', 'SMMU_CR2 is read-only while SMMUEN=1: a write is ignored', 'SMMUv3 §6.3.12'),
  ];
}

/** A behaviour from the Linux notes (linux-smmuv3-iommufd.md): id `linux-<id>`, cited at `section`. */
const linux = (id: string, title: string, section: string): Rule => r(`linux-${id}`, 'host', title, `linux-smmuv3-iommufd.md ${section}`);
/** Test idea #n of the Linux notes' §10 list. */
const linux10 = (n: number, title: string): Rule => linux(`10.${n}`, title, `§10 #${n}`);
/** Emulator divergence #n of emulator-models.md §7. */
const emu7 = (n: number, title: string): Rule => r(`emu-7.${n}`, 'emulator', title, `emulator-models.md §7 #${n}`);

const REFERENCE_BEHAVIOURS: Rule[] = [
  linux10(1, 'GET_HW_INFO on a nesting-capable device'),
  linux10(2, 'HWPT_ALLOC NEST_PARENT when IDR0.S1P or S2P is 0 (or MMU-600 r0/r1, MMU-700 IIDR)'),
  linux10(3, 'VIOMMU_ALLOC on a non-parent HWPT / on a parent from another SMMU'),
  linux10(4, 'Nested HWPT with vSTE V=0, then DMA'),
  linux10(5, 'vSTE with a bit outside the allowed dw0/dw1 masks (e.g. MEV, STRW, SHCFG, S2 fields)'),
  linux10(6, 'vSTE Config 6, 7 or 1-3'),
  linux10(7, 'vSTE EATS=2 or 3'),
  linux10(8, 'vSTE Config=4 (bypass), DMA at IOVA X'),
  linux10(9, 'vSTE Config=5, walk via guest CD + guest S1 tables'),
  linux10(10, 'Attach Config=5 nested HWPT without vDEVICE / with PASIDs attached'),
  linux10(11, 'Guest TLBI_NH_VA carrying a foreign VMID'),
  linux10(12, 'Guest TLBI_NSNH_ALL'),
  linux10(13, 'Guest CFGI_CD / CFGI_CD_ALL / ATC_INV with a registered vSID'),
  linux10(14, 'Same with an unknown vSID at index i'),
  linux10(15, 'Forbidden opcode (CFGI_STE, CFGI_ALL, S2/EL2 TLBI, CMD_SYNC, PRI_RESP, RESUME, unknown) at index i'),
  linux10(16, 'Array errors: wrong data_type, entry_num 0, entry_len>16 with non-zero tail, NULL uptr, reserved != 0'),
  linux10(17, '130 valid commands'),
  linux10(18, 'Host CMD_SYNC not completing within 1 s'),
  linux10(19, 'Illegal command reaching the physical CMDQ'),
  linux10(20, 'CONS.ERR=2 (fetch abort) / 3 (ATC invalidation timeout)'),
  linux10(21, "S1 F_TRANSLATION (0x10, S2=0, CLASS=IN) for a vDEVICE'd master with a vEVENTQ"),
  linux10(22, 'S2 fault (S2=1; CLASS CD/TT/IN, IPA filled) on the same master'),
  linux10(23, 'C_BAD_CD (0x0A), C_BAD_SUBSTREAMID (0x08), F_STREAM_DISABLED (0x06), C_BAD_STE (0x04) from guest config'),
  linux10(24, 'vEVENTQ depth N, N+k forwardable faults; or no vEVENTQ'),
  linux('6.6.inv-nested', 'HWPT_INVALIDATE on an SMMUv3 nested HWPT (its domain has no cache_invalidate_user)', '§6.6'),
  linux('6.8.rfc2023-ste-reject', '2023 RFC uAPI: a rejected guest STE returns EINVAL and a C_BAD_STE record with the vSID', '§6.8'),
  linux('9.destroy-busy', 'IOMMU_DESTROY of a nest parent a vIOMMU holds, or of an attached HWPT, is EBUSY', '§9'),
  linux('6.3.vdevice-eexist', 'VDEVICE_ALLOC reusing a virt_id, or a second vDEVICE for one device, is EEXIST', '§6.3'),
  linux('6.3.viommu-type', 'VIOMMU_ALLOC with type DEFAULT, or a type the SMMU does not implement, is EOPNOTSUPP', '§6.3'),
  linux('6.5.attach-other-smmu', 'Attaching a device to a nested HWPT whose vIOMMU is on another SMMU is EINVAL', '§6.5'),
  linux('9.nested-on-nested', 'HWPT_ALLOC with a nested HWPT as pt_id', '§9'),
  linux('6.6.inv-parent', 'HWPT_INVALIDATE on a paging (nest-parent) HWPT', '§6.6, §9'),
  linux('6.6.guest-forward', "A guest TLBI in the vSMMU's CMDQ reaches the SMMU through the vIOMMU invalidation with the vIOMMU VMID", '§6.6'),
  linux10(25, 'Live STE/CD transitions (S1<->S2, S1DSS flip, nested S1DSS-bypass -> S2, ASID change, CD table swap)'),
  emu7(1, 'Event queue full'),
  emu7(2, 'Event queue interrupt'),
  emu7(3, 'CMD_SYNC CS = 0b11'),
  emu7(4, 'Commands for absent features'),
  emu7(5, 'RES0/invalid fields in a known command'),
  emu7(6, 'Command error recovery'),
  emu7(7, 'L1STD Span'),
  emu7(8, 'C_BAD_STREAMID recording'),
  emu7(9, 'STRTAB_BASE_CFG.FMT back to linear'),
  emu7(10, 'Base alignment'),
  emu7(11, 'STE.S1CDMax ≠ 0 when IDR1.SSIDSIZE = 0'),
  emu7(12, 'Illegal encodings that crash emulators'),
  emu7(13, 'Fault priority within one descriptor'),
  emu7(14, 'Hierarchical APTable'),
  emu7(15, 'TBI per TTBx'),
  emu7(16, 'S2 write-only page, read after a write'),
  emu7(17, 'IPA field of S2 faults'),
  emu7(18, 'CLASS and S2 for S1-only walk aborts'),
  emu7(19, 'One transaction, one record'),
  emu7(20, 'Invalidation scope with nesting'),
];

export const RULES: readonly Rule[] = [
  ...eventRules(),
  ...configRules(),
  ...walkRules(),
  ...cmdqRules(),
  ...cachingRules(),
  ...profileRules(),
  ...REFERENCE_BEHAVIOURS,
];

const IDS: ReadonlySet<string> = new Set(RULES.map((x) => x.id));
export function isRuleId(id: string): boolean {
  return IDS.has(id);
}
