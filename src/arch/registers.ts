/**
 * SMMUv3 Non-secure register map (spec §6.2, §6.3): offsets and one StructCodec per register.
 * Registers are decoded as one dword (32-bit registers use bits [31:0] of it).
 * Page 1 (offset 0x10000) holds the EVENTQ/PRIQ PROD/CONS registers; the page-0 aliases exist
 * only when IDR0/IDR1 say so, so the emulator accepts both (§6.2).
 */
import { StructCodec, type FieldSpec } from './fields.ts';

export const REG = {
  IDR0: 0x00,
  IDR1: 0x04,
  IDR2: 0x08,
  IDR3: 0x0c,
  IDR4: 0x10,
  IDR5: 0x14,
  IIDR: 0x18,
  AIDR: 0x1c,
  CR0: 0x20,
  CR0ACK: 0x24,
  CR1: 0x28,
  CR2: 0x2c,
  STATUSR: 0x40,
  GBPA: 0x44,
  AGBPA: 0x48,
  IRQ_CTRL: 0x50,
  IRQ_CTRLACK: 0x54,
  GERROR: 0x60,
  GERRORN: 0x64,
  GERROR_IRQ_CFG0: 0x68,
  GERROR_IRQ_CFG1: 0x70,
  GERROR_IRQ_CFG2: 0x74,
  STRTAB_BASE: 0x80,
  STRTAB_BASE_CFG: 0x88,
  CMDQ_BASE: 0x90,
  CMDQ_PROD: 0x98,
  CMDQ_CONS: 0x9c,
  EVENTQ_BASE: 0xa0,
  EVENTQ_IRQ_CFG0: 0xb0,
  EVENTQ_IRQ_CFG1: 0xb8,
  EVENTQ_IRQ_CFG2: 0xbc,
  /** Page 1 (§6.2): the architected location of EVENTQ_PROD/CONS. */
  EVENTQ_PROD: 0x100a8,
  EVENTQ_CONS: 0x100ac,
} as const;
export type RegName = keyof typeof REG;

/** Page-0 aliases of the page-1 EVENTQ registers (accepted as the same register). */
export const EVENTQ_PROD_PAGE0 = 0xa8;
export const EVENTQ_CONS_PAGE0 = 0xac;

/** 64-bit registers (accessed as one 64-bit value). */
export const REG64: ReadonlySet<number> = new Set([REG.GERROR_IRQ_CFG0, REG.STRTAB_BASE, REG.CMDQ_BASE, REG.EVENTQ_BASE, REG.EVENTQ_IRQ_CFG0]);

export function regName(offset: number): string | undefined {
  if (offset === EVENTQ_PROD_PAGE0) return 'EVENTQ_PROD';
  if (offset === EVENTQ_CONS_PAGE0) return 'EVENTQ_CONS';
  for (const [k, v] of Object.entries(REG)) if (v === offset) return k;
  return undefined;
}

const f = (name: string, hi: number, lo: number, extra: Partial<FieldSpec> = {}): FieldSpec => ({ name, dword: 0, hi, lo, ...extra });
const reg = (name: string, fields: FieldSpec[]): StructCodec => new StructCodec(name, 1, fields);

export const IDR0 = reg('SMMU_IDR0', [
  f('S2P', 0, 0),
  f('S1P', 1, 1),
  f('TTF', 3, 2, { enum: { 1: 'AArch32', 2: 'AArch64', 3: 'AArch32+AArch64' } }),
  f('COHACC', 4, 4),
  f('BTM', 5, 5),
  f('HTTU', 7, 6, { enum: { 0: 'none', 1: 'AF', 2: 'AF+dirty', 3: 'AF+dirty+HAFT' } }),
  f('DORMHINT', 8, 8),
  f('HYP', 9, 9),
  f('ATS', 10, 10),
  f('NS1ATS', 11, 11),
  f('ASID16', 12, 12),
  f('MSI', 13, 13),
  f('SEV', 14, 14),
  f('ATOS', 15, 15),
  f('PRI', 16, 16),
  f('VMW', 17, 17),
  f('VMID16', 18, 18),
  f('CD2L', 19, 19),
  f('VATOS', 20, 20),
  f('TTENDIAN', 22, 21, { enum: { 0: 'mixed', 2: 'LE', 3: 'BE' } }),
  f('ATSRECERR', 23, 23),
  f('STALL_MODEL', 25, 24, { enum: { 0: 'stall+terminate', 1: 'terminate', 2: 'stall-forced' } }),
  f('TERM_MODEL', 26, 26),
  f('ST_LEVEL', 28, 27, { enum: { 0: 'linear', 1: '2-level' } }),
  f('RME_IMPL', 30, 30),
]);

export const IDR1 = reg('SMMU_IDR1', [
  f('SIDSIZE', 5, 0),
  f('SSIDSIZE', 10, 6),
  f('PRIQS', 15, 11),
  f('EVENTQS', 20, 16),
  f('CMDQS', 25, 21),
  f('ATTR_PERMS_OVR', 26, 26),
  f('ATTR_TYPES_OVR', 27, 27),
  f('REL', 28, 28),
  f('QUEUES_PRESET', 29, 29),
  f('TABLES_PRESET', 30, 30),
  f('ECMDQ', 31, 31),
]);

export const IDR2 = reg('SMMU_IDR2', [f('BA_VATOS', 9, 0)]);

export const IDR3 = reg('SMMU_IDR3', [
  f('HAD', 2, 2),
  f('PBHA', 3, 3),
  f('XNX', 4, 4),
  f('PPS', 5, 5),
  f('MPAM', 7, 7),
  f('FWB', 8, 8),
  f('STT', 9, 9),
  f('RIL', 10, 10),
  f('BBML', 12, 11),
  f('E0PD', 13, 13),
  f('PTWNNC', 14, 14),
  f('DPT', 15, 15),
]);

export const IDR4 = reg('SMMU_IDR4', [f('IMPDEF', 31, 0)]);

export const IDR5 = reg('SMMU_IDR5', [
  f('OAS', 2, 0, { enum: { 0: '32', 1: '36', 2: '40', 3: '42', 4: '44', 5: '48', 6: '52', 7: '56' } }),
  f('GRAN4K', 4, 4),
  f('GRAN16K', 5, 5),
  f('GRAN64K', 6, 6),
  f('DS', 7, 7),
  f('D128', 8, 8),
  f('VAX', 11, 10),
  f('STALL_MAX', 31, 16),
]);

export const IIDR = reg('SMMU_IIDR', [f('Implementer', 11, 0), f('Revision', 15, 12), f('Variant', 19, 16), f('ProductID', 31, 20)]);
export const AIDR = reg('SMMU_AIDR', [f('ArchMinorRev', 3, 0), f('ArchMajorRev', 7, 4)]);

export const CR0 = reg('SMMU_CR0', [
  f('SMMUEN', 0, 0),
  f('PRIQEN', 1, 1),
  f('EVENTQEN', 2, 2),
  f('CMDQEN', 3, 3),
  f('ATSCHK', 4, 4),
  f('VMW', 8, 6),
  f('DPT_WALK_EN', 10, 10),
]);
export const CR0ACK = reg('SMMU_CR0ACK', CR0.fields.slice());
export const CR1 = reg('SMMU_CR1', [
  f('QUEUE_IC', 1, 0),
  f('QUEUE_OC', 3, 2),
  f('QUEUE_SH', 5, 4),
  f('TABLE_IC', 7, 6),
  f('TABLE_OC', 9, 8),
  f('TABLE_SH', 11, 10),
]);
export const CR2 = reg('SMMU_CR2', [f('E2H', 0, 0), f('RECINVSID', 1, 1), f('PTM', 2, 2), f('REC_CFG_ATS', 3, 3)]);

export const GBPA = reg('SMMU_GBPA', [
  f('MemAttr', 3, 0),
  f('MTCFG', 4, 4),
  f('ALLOCCFG', 11, 8),
  f('SHCFG', 13, 12),
  f('PRIVCFG', 17, 16),
  f('INSTCFG', 19, 18),
  f('ABORT', 20, 20),
  f('UPDATE', 31, 31),
]);

export const IRQ_CTRL = reg('SMMU_IRQ_CTRL', [f('GERROR_IRQEN', 0, 0), f('PRIQ_IRQEN', 1, 1), f('EVENTQ_IRQEN', 2, 2)]);
export const IRQ_CTRLACK = reg('SMMU_IRQ_CTRLACK', IRQ_CTRL.fields.slice());

const GERROR_FIELDS = [
  f('CMDQ_ERR', 0, 0),
  f('EVENTQ_ABT_ERR', 2, 2),
  f('PRIQ_ABT_ERR', 3, 3),
  f('MSI_CMDQ_ABT_ERR', 4, 4),
  f('MSI_EVENTQ_ABT_ERR', 5, 5),
  f('MSI_PRIQ_ABT_ERR', 6, 6),
  f('MSI_GERROR_ABT_ERR', 7, 7),
  f('SFM_ERR', 8, 8),
  f('CMDQP_ERR', 9, 9),
  f('DPT_ERR', 10, 10),
];
export const GERROR = reg('SMMU_GERROR', GERROR_FIELDS);
export const GERRORN = reg('SMMU_GERRORN', GERROR_FIELDS.slice());
/** GERROR bit masks, for XOR arithmetic. */
export const GERROR_BIT = {
  CMDQ_ERR: 1n << 0n,
  EVENTQ_ABT_ERR: 1n << 2n,
  MSI_CMDQ_ABT_ERR: 1n << 4n,
  MSI_EVENTQ_ABT_ERR: 1n << 5n,
  MSI_GERROR_ABT_ERR: 1n << 7n,
  SFM_ERR: 1n << 8n,
} as const;

const IRQ_CFG0 = (n: string): StructCodec => reg(n, [f('ADDR', 55, 2, { addr: true })]);
const IRQ_CFG1 = (n: string): StructCodec => reg(n, [f('DATA', 31, 0)]);
const IRQ_CFG2 = (n: string): StructCodec => reg(n, [f('MemAttr', 3, 0), f('SH', 5, 4)]);
export const GERROR_IRQ_CFG0 = IRQ_CFG0('SMMU_GERROR_IRQ_CFG0');
export const GERROR_IRQ_CFG1 = IRQ_CFG1('SMMU_GERROR_IRQ_CFG1');
export const GERROR_IRQ_CFG2 = IRQ_CFG2('SMMU_GERROR_IRQ_CFG2');
export const EVENTQ_IRQ_CFG0 = IRQ_CFG0('SMMU_EVENTQ_IRQ_CFG0');
export const EVENTQ_IRQ_CFG1 = IRQ_CFG1('SMMU_EVENTQ_IRQ_CFG1');
export const EVENTQ_IRQ_CFG2 = IRQ_CFG2('SMMU_EVENTQ_IRQ_CFG2');

export const STRTAB_BASE = reg('SMMU_STRTAB_BASE', [f('ADDR', 55, 6, { addr: true }), f('RA', 62, 62)]);
export const STRTAB_BASE_CFG = reg('SMMU_STRTAB_BASE_CFG', [f('LOG2SIZE', 5, 0), f('SPLIT', 10, 6), f('FMT', 17, 16, { enum: { 0: 'linear', 1: '2-level' } })]);

export const CMDQ_BASE = reg('SMMU_CMDQ_BASE', [f('LOG2SIZE', 4, 0), f('ADDR', 55, 5, { addr: true }), f('RA', 62, 62)]);
/** WR/RD hold index and wrap bit: index in [LOG2SIZE-1:0], wrap at bit LOG2SIZE (§6.3.27). */
export const CMDQ_PROD = reg('SMMU_CMDQ_PROD', [f('WR', 19, 0)]);
export const CMDQ_CONS = reg('SMMU_CMDQ_CONS', [
  f('RD', 19, 0),
  f('ERR', 30, 24, { enum: { 0: 'CERROR_NONE', 1: 'CERROR_ILL', 2: 'CERROR_ABT', 3: 'CERROR_ATC_INV_SYNC' } }),
]);
/** CMDQ_CONS.ERR of a 32-bit CONS value held as a number (as logs and traces carry it). */
export function cmdqConsErr(cons: number): number {
  return Number(CMDQ_CONS.get([BigInt(cons >>> 0)], 'ERR'));
}
export const EVENTQ_BASE = reg('SMMU_EVENTQ_BASE', [f('LOG2SIZE', 4, 0), f('ADDR', 55, 5, { addr: true }), f('WA', 62, 62)]);
export const EVENTQ_PROD = reg('SMMU_EVENTQ_PROD', [f('WR', 19, 0), f('OVFLG', 31, 31)]);
export const EVENTQ_CONS = reg('SMMU_EVENTQ_CONS', [f('RD', 19, 0), f('OVACKFLG', 31, 31)]);

/** Codec per register name (for printing register dumps). */
export const REGISTER_CODECS: Readonly<Record<RegName, StructCodec | undefined>> = {
  IDR0,
  IDR1,
  IDR2,
  IDR3,
  IDR4,
  IDR5,
  IIDR,
  AIDR,
  CR0,
  CR0ACK,
  CR1,
  CR2,
  STATUSR: undefined,
  GBPA,
  AGBPA: undefined,
  IRQ_CTRL,
  IRQ_CTRLACK,
  GERROR,
  GERRORN,
  GERROR_IRQ_CFG0,
  GERROR_IRQ_CFG1,
  GERROR_IRQ_CFG2,
  STRTAB_BASE,
  STRTAB_BASE_CFG,
  CMDQ_BASE,
  CMDQ_PROD,
  CMDQ_CONS,
  EVENTQ_BASE,
  EVENTQ_IRQ_CFG0,
  EVENTQ_IRQ_CFG1,
  EVENTQ_IRQ_CFG2,
  EVENTQ_PROD,
  EVENTQ_CONS,
};

/** IDR5.OAS / CD.IPS / STE.S2PS encoding → address bits (§6.3.6; 0b111 = 56 bits, v3.4+). */
export const OAS_BITS: readonly number[] = [32, 36, 40, 42, 44, 48, 52, 56];
export function oasEncoding(bits: number): number {
  const i = OAS_BITS.indexOf(bits);
  if (i < 0) throw new RangeError(`Cannot encode OAS ${bits}: must be one of ${OAS_BITS.join(', ')}`);
  return i;
}
