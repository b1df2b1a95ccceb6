/**
 * Command queue entries (SMMUv3 §4): 16 bytes = 2 dwords, opcode in dw0[7:0]. One StructCodec per
 * opcode holding only that command's parameters, so `decode` never shows a field the command
 * does not have and `definedMask` gives the RES0 bits an implementation may check (§4.1.5).
 *
 * Positions: common fields from §4.1.6 (SSec dw0[10], SSV dw0[11], SubstreamID dw0[31:12],
 * StreamID dw0[63:32]); TLBI NUM dw0[16:12], SCALE dw0[25:20], TTL128 dw1[7], TTL dw1[9:8],
 * TG dw1[11:10] from §4.4.1.1; VMID dw0[47:32] / ASID dw0[63:48] from the §4.4.2.2 figure.
 * The Markdown spec lacks the other figures: RESUME Ac dw0[12] / Ab dw0[13] / STAG dw1[15:0],
 * CMD_SYNC CS/MSH/MSIAttr/MSIData/MSIAddr, ATC_INV Global/Size, PRI_RESP PRGIndex/Resp and
 * CFGI Leaf/Range follow Linux and QEMU (errata "positions the text cannot confirm").
 * PREFETCH_ADDR Size dw1[4:0] is Linux's; Stride dw1[9:5] and NS dw1[10] are unconfirmed.
 *
 * SCALE is declared 6 bits wide ([25:20], IDR5.DS=1 layout); with DS=0 bit 25 is RES0 and the
 * consumer must check it, not the codec.
 * Address fields keep the address in place: VA Address [63:12], IPA/PA Address [55:12]
 * (TLBI_S2_IPA), MSIAddr [55:2].
 */
import { SH_NAMES as SH } from './encodings.ts';
import { type FieldInput, type FieldSpec, StructCodec } from './fields.ts';
import { decodeTagged, tagOf } from './tagged.ts';
import type { Granule } from './ttd.ts';

export type CommandName =
  | 'PREFETCH_CONFIG'
  | 'PREFETCH_ADDR'
  | 'CFGI_STE'
  | 'CFGI_STE_RANGE'
  | 'CFGI_CD'
  | 'CFGI_CD_ALL'
  | 'CFGI_VMS_PIDM'
  | 'TLBI_NH_ALL'
  | 'TLBI_NH_ASID'
  | 'TLBI_NH_VA'
  | 'TLBI_NH_VAA'
  | 'TLBI_EL3_ALL'
  | 'TLBI_EL3_VA'
  | 'TLBI_EL2_ALL'
  | 'TLBI_EL2_ASID'
  | 'TLBI_EL2_VA'
  | 'TLBI_EL2_VAA'
  | 'TLBI_S12_VMALL'
  | 'TLBI_S2_IPA'
  | 'TLBI_NSNH_ALL'
  | 'ATC_INV'
  | 'PRI_RESP'
  | 'RESUME'
  | 'STALL_TERM'
  | 'CMD_SYNC'
  | 'TLBI_S_EL2_ALL'
  | 'TLBI_S_EL2_ASID'
  | 'TLBI_S_EL2_VA'
  | 'TLBI_S_EL2_VAA'
  | 'TLBI_S_S12_VMALL'
  | 'TLBI_S_S2_IPA'
  | 'TLBI_SNH_ALL'
  | 'DPTI_ALL'
  | 'DPTI_PA';

export const OPCODE: Readonly<Record<CommandName, number>> = {
  PREFETCH_CONFIG: 0x01,
  PREFETCH_ADDR: 0x02,
  CFGI_STE: 0x03,
  CFGI_STE_RANGE: 0x04,
  CFGI_CD: 0x05,
  CFGI_CD_ALL: 0x06,
  CFGI_VMS_PIDM: 0x07,
  TLBI_NH_ALL: 0x10,
  TLBI_NH_ASID: 0x11,
  TLBI_NH_VA: 0x12,
  TLBI_NH_VAA: 0x13,
  TLBI_EL3_ALL: 0x18,
  TLBI_EL3_VA: 0x1a,
  TLBI_EL2_ALL: 0x20,
  TLBI_EL2_ASID: 0x21,
  TLBI_EL2_VA: 0x22,
  TLBI_EL2_VAA: 0x23,
  TLBI_S12_VMALL: 0x28,
  TLBI_S2_IPA: 0x2a,
  TLBI_NSNH_ALL: 0x30,
  ATC_INV: 0x40,
  PRI_RESP: 0x41,
  RESUME: 0x44,
  STALL_TERM: 0x45,
  CMD_SYNC: 0x46,
  TLBI_S_EL2_ALL: 0x50,
  TLBI_S_EL2_ASID: 0x51,
  TLBI_S_EL2_VA: 0x52,
  TLBI_S_EL2_VAA: 0x53,
  TLBI_S_S12_VMALL: 0x58,
  TLBI_S_S2_IPA: 0x5a,
  TLBI_SNH_ALL: 0x60,
  DPTI_ALL: 0x70,
  DPTI_PA: 0x73,
};

/** CMDQ_CONS.ERR codes (§7.1). CMD_SYNC is CERROR_ATC_INV_SYNC's victim, not a separate code. */
export const CERROR = { NONE: 0, ILL: 1, ABT: 2, ATC_INV_SYNC: 3 } as const;
/** The CERROR names, by code. */
export const CERROR_NAMES = ['CERROR_NONE', 'CERROR_ILL', 'CERROR_ABT', 'CERROR_ATC_INV_SYNC'] as const;
export type CerrorName = (typeof CERROR_NAMES)[number];
export const CERROR_NAME: Readonly<Record<number, CerrorName>> = { ...CERROR_NAMES };

const TG: Readonly<Record<number, string>> = { 0: 'ANY(non-range)', 1: '4KB', 2: '16KB', 3: '64KB' };
/** The granule a TLBI TG field (or TTL[3:2] hint) names (§4.4.1.1); 0 names none (non-range). */
export const TLBI_TG_GRANULE: Readonly<Record<number, Granule | undefined>> = { 1: 4096, 2: 16384, 3: 65536 };

// Field builders: one place per parameter position.
const OPC: FieldSpec = { name: 'Opcode', dword: 0, lo: 0, hi: 7 };
const SSEC: FieldSpec = { name: 'SSec', dword: 0, lo: 10, hi: 10, enum: { 0: 'NS', 1: 'S' }, doc: 'StreamID is Secure' };
const SSV: FieldSpec = { name: 'SSV', dword: 0, lo: 11, hi: 11, doc: 'SubstreamID valid' };
const SSID: FieldSpec = { name: 'SubstreamID', dword: 0, lo: 12, hi: 31 };
const SID: FieldSpec = { name: 'StreamID', dword: 0, lo: 32, hi: 63 };
const VMID: FieldSpec = { name: 'VMID', dword: 0, lo: 32, hi: 47 };
const ASID: FieldSpec = { name: 'ASID', dword: 0, lo: 48, hi: 63 };
const NUM: FieldSpec = { name: 'NUM', dword: 0, lo: 12, hi: 16, doc: 'range: (NUM+1) * 2^SCALE granules' };
const SCALE: FieldSpec = { name: 'SCALE', dword: 0, lo: 20, hi: 25, doc: 'bit 25 RES0 unless IDR5.DS=1' };
const LEAF: FieldSpec = { name: 'Leaf', dword: 1, lo: 0, hi: 0, doc: 'last level only' };
const TTL128: FieldSpec = { name: 'TTL128', dword: 1, lo: 7, hi: 7 };
const TTL: FieldSpec = { name: 'TTL', dword: 1, lo: 8, hi: 9, doc: 'level hint' };
const TGF: FieldSpec = { name: 'TG', dword: 1, lo: 10, hi: 11, enum: TG, doc: 'granule; 0 = non-range' };
const VA: FieldSpec = { name: 'Address', dword: 1, lo: 12, hi: 63, addr: true, doc: 'VA[63:12]' };
const IPA: FieldSpec = { name: 'Address', dword: 1, lo: 12, hi: 55, addr: true, doc: 'IPA[55:12]' };
/** Fields of an address-based TLBI (§4.4.1.1). */
const tlbiAddr = (addr: FieldSpec): FieldSpec[] => [NUM, SCALE, LEAF, TTL128, TTL, TGF, addr];

const LAYOUTS: Readonly<Record<CommandName, readonly FieldSpec[]>> = {
  PREFETCH_CONFIG: [SSEC, SSV, SSID, SID],
  PREFETCH_ADDR: [
    SSEC,
    SSV,
    SSID,
    SID,
    { name: 'Size', dword: 1, lo: 0, hi: 4, doc: '2^Size translations' },
    { name: 'Stride', dword: 1, lo: 5, hi: 9, doc: 'stride 2^(12+Stride) bytes (position unconfirmed)' },
    { name: 'NS', dword: 1, lo: 10, hi: 10, doc: 'Secure stage 2 input NS (position unconfirmed)' },
    VA,
  ],
  CFGI_STE: [SSEC, SID, LEAF],
  CFGI_STE_RANGE: [SSEC, SID, { name: 'Range', dword: 1, lo: 0, hi: 4, enum: { 31: 'ALL' }, doc: '2^(Range+1) StreamIDs; 31 = CFGI_ALL' }],
  CFGI_CD: [SSEC, SSID, SID, LEAF],
  CFGI_CD_ALL: [SSEC, SID],
  CFGI_VMS_PIDM: [SSEC, VMID],
  TLBI_NH_ALL: [VMID],
  TLBI_NH_ASID: [VMID, ASID],
  TLBI_NH_VA: [VMID, ASID, ...tlbiAddr(VA)],
  TLBI_NH_VAA: [VMID, ...tlbiAddr(VA)],
  TLBI_EL3_ALL: [],
  TLBI_EL3_VA: tlbiAddr(VA),
  TLBI_EL2_ALL: [],
  TLBI_EL2_ASID: [ASID],
  TLBI_EL2_VA: [ASID, ...tlbiAddr(VA)],
  TLBI_EL2_VAA: tlbiAddr(VA),
  TLBI_S12_VMALL: [VMID],
  TLBI_S2_IPA: [VMID, ...tlbiAddr(IPA)],
  TLBI_NSNH_ALL: [],
  ATC_INV: [
    { name: 'Global', dword: 0, lo: 9, hi: 9, doc: 'all PASIDs (IGNORED when SSV=0)' },
    SSV,
    SSID,
    SID,
    { name: 'Size', dword: 1, lo: 0, hi: 5, doc: 'span 2^Size 4KB pages; 52 = all' },
    VA,
  ],
  PRI_RESP: [
    SSV,
    SSID,
    SID,
    { name: 'PRGIndex', dword: 1, lo: 0, hi: 8 },
    { name: 'Resp', dword: 1, lo: 12, hi: 13, enum: { 0: 'ResponseFailure', 1: 'InvalidRequest', 2: 'Success', 3: 'RESERVED' } },
  ],
  RESUME: [
    SSEC,
    { name: 'Ac', dword: 0, lo: 12, hi: 12, enum: { 0: 'TERMINATE', 1: 'RETRY' }, doc: 'Action' },
    { name: 'Ab', dword: 0, lo: 13, hi: 13, enum: { 0: 'RAZ/WI', 1: 'ABORT' }, doc: 'Abort (when Ac=0)' },
    SID,
    { name: 'STAG', dword: 1, lo: 0, hi: 15 },
  ],
  STALL_TERM: [SSEC, SID],
  CMD_SYNC: [
    { name: 'CS', dword: 0, lo: 12, hi: 13, enum: { 0: 'SIG_NONE', 1: 'SIG_IRQ', 2: 'SIG_SEV', 3: 'RESERVED' }, doc: 'completion signal' },
    { name: 'MSH', dword: 0, lo: 22, hi: 23, enum: SH },
    { name: 'MSIAttr', dword: 0, lo: 24, hi: 27, doc: 'STE.MemAttr encoding' },
    { name: 'MSIData', dword: 0, lo: 32, hi: 63 },
    { name: 'MSIAddr', dword: 1, lo: 2, hi: 55, addr: true },
  ],
  // Secure-queue commands: "encoded similarly" to their Non-secure forms (§4.4.2.11-14, 4.4.3.3-4).
  TLBI_S_EL2_ALL: [],
  TLBI_S_EL2_ASID: [ASID],
  TLBI_S_EL2_VA: [ASID, ...tlbiAddr(VA)],
  TLBI_S_EL2_VAA: tlbiAddr(VA),
  TLBI_S_S12_VMALL: [VMID],
  TLBI_S_S2_IPA: [VMID, ...tlbiAddr(IPA)], // NS parameter position not in the text; not decoded
  TLBI_SNH_ALL: [],
  // DPT maintenance (§4.6): figures missing, parameters not decoded.
  DPTI_ALL: [],
  DPTI_PA: [],
};

export interface CommandInfo {
  readonly name: CommandName;
  readonly opcode: number;
  readonly codec: StructCodec;
}

export const COMMAND_NAMES = Object.keys(OPCODE) as CommandName[];

export const COMMANDS: ReadonlyMap<number, CommandInfo> = new Map(
  COMMAND_NAMES.map((name) => {
    const opcode = OPCODE[name];
    const opc: FieldSpec = { ...OPC, enum: { [opcode]: name } };
    return [opcode, { name, opcode, codec: new StructCodec(`CMD_${name.replace(/^CMD_/, '')}`, 2, [opc, ...LAYOUTS[name]]) }] as const;
  }),
);

/** Codec used for unknown opcodes: only Opcode. */
export const UNKNOWN_COMMAND = new StructCodec('CMD_UNKNOWN', 2, [OPC]);

export function commandInfo(name: CommandName): CommandInfo {
  const info = COMMANDS.get(OPCODE[name]);
  if (info === undefined) throw new Error(`No codec for command ${name}`);
  return info;
}

export interface DecodedCommand {
  opcode: number;
  name: CommandName | 'UNKNOWN';
  fields: Record<string, bigint>;
}

/** The Opcode field, dw0[7:0]. */
export const commandOpcode: (raw: readonly bigint[]) => number = tagOf;

/** The StructCodec of an opcode (reserved opcodes: Opcode only). */
export function commandCodec(opcode: number): StructCodec {
  return COMMANDS.get(opcode)?.codec ?? UNKNOWN_COMMAND;
}

/** Decode a 2-dword command; reserved opcodes decode as UNKNOWN with only Opcode. Never throws. */
export function decodeCommand(raw: readonly bigint[]): DecodedCommand {
  const d = decodeTagged(raw, COMMANDS, UNKNOWN_COMMAND);
  return { opcode: d.tag, name: d.name, fields: d.fields };
}

/**
 * Encode a command by name, each value cut to its field (StructCodec.encodeMasked): for drivers
 * formatting commands from values they already hold in range. Opcode is set from the name.
 */
export function encodeCommandMasked(name: CommandName, fields: FieldInput): [bigint, bigint] {
  const info = commandInfo(name);
  const out = info.codec.encodeMasked({ ...fields, Opcode: info.opcode });
  return [out[0] ?? 0n, out[1] ?? 0n];
}

/** Encode a command by name; Opcode is set from the name (an explicit Opcode field is overridden). */
export function encodeCommand(name: CommandName, fields: FieldInput): [bigint, bigint] {
  const info = commandInfo(name);
  const out = info.codec.encode({ ...fields, Opcode: info.opcode });
  return [out[0] ?? 0n, out[1] ?? 0n];
}
