/**
 * Closed vocabularies of the scenario language that come from the architecture: register names
 * (SMMUv3 §6.3), command opcodes (§4), event types (§7.3), CERROR codes (§7.1) and GERROR bits
 * (§6.3.14). The schema turns each into an `enum`, so a typo is a located error with a did-you-mean.
 */
import { COMMAND_NAMES, type CommandName, OPCODE } from '../arch/command.ts';
import { EVENT_NAMES, EVENT_TYPE, type EventName } from '../arch/event.ts';
import { REG, type RegName } from '../arch/registers.ts';

export const REGISTERS = [
  'SMMU_CR0',
  'SMMU_CR1',
  'SMMU_CR2',
  'SMMU_GBPA',
  'SMMU_AGBPA',
  'SMMU_IRQ_CTRL',
  'SMMU_GERRORN',
  'SMMU_GERROR_IRQ_CFG0',
  'SMMU_GERROR_IRQ_CFG1',
  'SMMU_GERROR_IRQ_CFG2',
  'SMMU_STRTAB_BASE',
  'SMMU_STRTAB_BASE_CFG',
  'SMMU_CMDQ_BASE',
  'SMMU_CMDQ_PROD',
  'SMMU_CMDQ_CONS',
  'SMMU_EVENTQ_BASE',
  'SMMU_EVENTQ_PROD',
  'SMMU_EVENTQ_CONS',
  'SMMU_EVENTQ_IRQ_CFG0',
  'SMMU_EVENTQ_IRQ_CFG1',
  'SMMU_EVENTQ_IRQ_CFG2',
  'SMMU_PRIQ_BASE',
  'SMMU_PRIQ_PROD',
  'SMMU_PRIQ_CONS',
  'SMMU_PRIQ_IRQ_CFG0',
  'SMMU_PRIQ_IRQ_CFG1',
  'SMMU_PRIQ_IRQ_CFG2',
  'SMMU_GATOS_CTRL',
  'SMMU_GATOS_SID',
  'SMMU_GATOS_ADDR',
] as const;
export type RegisterName = (typeof REGISTERS)[number];

/** Every register an inline `expect.regs` may read after a step (SMMUv3 §6.3), by architecture name. */
export const READ_REGISTERS = Object.keys(REG).map((k) => `SMMU_${k}`) as readonly `SMMU_${RegName}`[];
export type ReadRegisterName = `SMMU_${RegName}`;

/** errno values a host step reports (0 = success); inline `expect.errno` compares with them. */
export const ERRNOS = [
  0,
  'EINVAL',
  'EOPNOTSUPP',
  'E2BIG',
  'EIO',
  'ETIMEDOUT',
  'ENOENT',
  'EEXIST',
  'EBUSY',
  'ENOSPC',
  'EFAULT',
  'ENODEV',
  'ESPIPE',
  'ENOTTY',
] as const;
export type ErrnoName = (typeof ERRNOS)[number];

/** Commands of the Secure queue and DPT maintenance (opcodes 0x50 and up): not in the scenario language. */
type SecureCommand = `TLBI_S_${string}` | 'TLBI_SNH_ALL' | `DPTI_${string}`;
/**
 * The scenario's command vocabulary: the Non-secure commands of arch/command.ts in opcode order,
 * CMD_SYNC spelled SYNC, and CFGI_ALL (CFGI_STE_RANGE with Range 31, §4.3.3) after CFGI_VMS_PIDM.
 */
export type CommandOp = Exclude<CommandName, SecureCommand | 'CMD_SYNC'> | 'CFGI_ALL' | 'SYNC';
export const COMMAND_OPS: readonly CommandOp[] = COMMAND_NAMES.filter((n) => OPCODE[n] < 0x50).flatMap((n): CommandOp[] =>
  n === 'CMD_SYNC' ? ['SYNC'] : n === 'CFGI_VMS_PIDM' ? [n, 'CFGI_ALL'] : [n as Exclude<CommandName, SecureCommand | 'CMD_SYNC'>],
);

/** The architected event types (arch/event.ts), without the IMPLEMENTATION DEFINED 0xE0-0xEF. */
export type EventType = Exclude<EventName, `IMPDEF_${string}`>;
export const EVENT_TYPES: readonly EventType[] = EVENT_NAMES.filter((n): n is EventType => EVENT_TYPE[n] < 0xe0);

export { CERROR_NAMES as CERRORS, type CerrorName } from '../arch/command.ts';

export const GERRORS = [
  'CMDQ_ERR',
  'EVENTQ_ABT_ERR',
  'PRIQ_ABT_ERR',
  'MSI_CMDQ_ABT_ERR',
  'MSI_EVENTQ_ABT_ERR',
  'MSI_PRIQ_ABT_ERR',
  'MSI_GERROR_ABT_ERR',
  'SFM_ERR',
  'CMDQP_ERR',
  'DPT_ERR',
] as const;
export type GerrorName = (typeof GERRORS)[number];

/** Result kinds a step record may carry (`result:` in goldens and inline `expect`). */
export const RESULT_KINDS = ['ok', 'fault', 'stall', 'abort', 'error'] as const;
export type ResultKind = (typeof RESULT_KINDS)[number];

export const FAULT_KINDS = ['ext_abort', 'cmdq_stall', 'atc_inv_timeout', 'evtq_full', 'cmdq_fetch_abort'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
