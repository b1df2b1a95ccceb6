/**
 * Helpers of the step kinds' `detail` renderers (define.ts): record values and uAPI outcomes in
 * one line, and the stream's STE and CD decoded from memory as the SMMU would fetch them
 * (SMMUv3 §5.2 STE, §5.4 CD). `explain` only; never part of a golden.
 */
import { CD } from '../../arch/cd.ts';
import { fieldsLine } from '../../arch/explain.ts';
import { REGISTER_CODECS, type RegName } from '../../arch/registers.ts';
import { L1STD } from '../../arch/l1std.ts';
import { STE } from '../../arch/ste.ts';
import { strtabGeometry } from '../../smmu/config.ts';
import { SmmuDevice } from '../../smmu/device.ts';
import type { ObsValue, StepRecord } from '../../scenario/observation.ts';
import type { ExecContext } from '../exec/context.ts';

/** A record value as explain prints it: hex for addresses (bigint), lists in brackets. */
export function show(v: ObsValue | undefined): string {
  if (v === undefined) return '-';
  if (Array.isArray(v)) return `[${v.map((x) => show(x)).join(', ')}]`;
  if (typeof v === 'bigint') return `0x${v.toString(16)}`;
  return String(v);
}

/** `k=v` for the named record fields that are present. */
export function recordLine(r: StepRecord, keys: readonly string[]): string {
  return keys
    .filter((k) => r[k] !== undefined)
    .map((k) => `${k}=${show(r[k])}`)
    .join(' ');
}

/** An IOMMUFD call's outcome: `IOMMU_HWPT_ALLOC: ok id=2` or `IOMMU_HWPT_ALLOC: -EINVAL`. */
export function uapiLine(call: string, r: StepRecord, keys: readonly string[] = []): string {
  const errno = r['errno'];
  const rest = recordLine(r, keys);
  return `${call}: ${errno === 0 || errno === undefined ? 'ok' : `-${show(errno)}`}${rest !== '' ? ` ${rest}` : ''}`;
}

/** Where the SMMU finds the STE of `sid` (SMMU_STRTAB_BASE/_CFG, and the L1STD when 2-level, §3.3.2, §5.1). */
function steAddress(ctx: ExecContext, sid: number): bigint | undefined {
  if (!(ctx.dev instanceof SmmuDevice)) return ctx.steAddrs.get(sid);
  const g = strtabGeometry(ctx.dev.regs);
  if (!g.twoLevel) return sid < 2 ** g.log2size ? g.base + BigInt(sid) * 64n : undefined;
  const desc = ctx.mem.read64(g.base + BigInt(Math.floor(sid / 2 ** g.split)) * 8n);
  if (desc === undefined) return undefined;
  const span = Number(L1STD.get([desc], 'Span'));
  const l2 = sid % 2 ** g.split;
  if (span === 0 || span > 11 || l2 >= 2 ** (span - 1)) return undefined;
  return (L1STD.get([desc], 'L2Ptr') & ~((1n << BigInt(6 + span - 1)) - 1n)) + BigInt(l2) * 64n;
}

/** The STE of `sid` (and, for a stage-1 stream with a linear CD table at a PA, the CD of `ssid`), decoded from memory. */
export function streamLines(ctx: ExecContext, sid: number, ssid = 0): string[] {
  const addr = steAddress(ctx, sid);
  if (addr === undefined) return [`STE of StreamID 0x${sid.toString(16)}: not reachable through the stream table (C_BAD_STREAMID)`];
  const ste = ctx.mem.readWords(addr, 8);
  if (ste === undefined) return [`STE of StreamID 0x${sid.toString(16)} at PA 0x${addr.toString(16)}: unbacked (F_STE_FETCH)`];
  const out = [`STE of StreamID 0x${sid.toString(16)} at PA 0x${addr.toString(16)}: ${fieldsLine(STE, ste)}`];
  const v = STE.decode(ste);
  const config = Number(v['Config'] ?? 0n);
  if (v['V'] !== 1n || (config & 1) === 0) return out;
  const ptr = v['S1ContextPtr'] ?? 0n;
  // A linear CD table (S1Fmt=0) or a single CD (S1CDMax=0): CD[ssid] at S1ContextPtr + 64 * ssid (§5.4).
  if (v['S1Fmt'] !== 0n && v['S1CDMax'] !== 0n) return [...out, `CD table at ${(config & 2) !== 0 ? 'IPA' : 'PA'} 0x${ptr.toString(16)} (2-level)`];
  const cdAddr = ptr + BigInt(64 * (v['S1CDMax'] === 0n ? 0 : ssid));
  let at = `PA 0x${cdAddr.toString(16)}`;
  let pa: bigint | undefined = cdAddr;
  if ((config & 2) !== 0) {
    // With stage 2 on (Config[1]) S1ContextPtr is an IPA, translated by the stream's stage 2 on
    // fetch (§5.2, §3.4.3): through the declared stage-2 table whose root is STE.S2TTB.
    const s2 = [...ctx.tables.s2.values()].find((x) => x.builder.ttb === v['S2TTB']);
    pa = s2 === undefined ? undefined : s2.builder.outputAddress(cdAddr);
    at = `IPA 0x${cdAddr.toString(16)} -> ${pa === undefined ? 'no stage-2 translation (a stage-2 fault, CLASS=CD)' : `PA 0x${pa.toString(16)} (stage 2)`}`;
  }
  const cd = pa === undefined ? undefined : ctx.mem.readWords(pa, 8);
  return [...out, `CD[${ssid}] at ${at}: ${cd === undefined ? (pa === undefined ? 'not fetched' : 'unbacked (F_CD_FETCH)') : fieldsLine(CD, cd)}`];
}

/** Register sections of SMMUv3 §6.3 by name, for the lines below. */
const REG_SECTION: Readonly<Record<string, string>> = {
  IDR0: '6.3.1',
  IDR1: '6.3.2',
  IDR2: '6.3.3',
  IDR3: '6.3.4',
  IDR4: '6.3.5',
  IDR5: '6.3.6',
  IIDR: '6.3.7',
  AIDR: '6.3.8',
  CR0: '6.3.9',
  CR0ACK: '6.3.10',
  CR1: '6.3.11',
  CR2: '6.3.12',
  STATUSR: '6.3.13',
  GBPA: '6.3.14',
  AGBPA: '6.3.15',
  IRQ_CTRL: '6.3.16',
  IRQ_CTRLACK: '6.3.18',
  GERROR: '6.3.19',
  GERRORN: '6.3.20',
  GERROR_IRQ_CFG0: '6.3.21',
  GERROR_IRQ_CFG1: '6.3.22',
  GERROR_IRQ_CFG2: '6.3.23',
  STRTAB_BASE: '6.3.24',
  STRTAB_BASE_CFG: '6.3.25',
  CMDQ_BASE: '6.3.26',
  CMDQ_PROD: '6.3.27',
  CMDQ_CONS: '6.3.28',
  EVENTQ_BASE: '6.3.29',
  EVENTQ_IRQ_CFG0: '6.3.30',
  EVENTQ_IRQ_CFG1: '6.3.31',
  EVENTQ_IRQ_CFG2: '6.3.32',
};

/** `SMMU_CR0 written 0xc (§6.3.9): EVENTQEN=1 CMDQEN=1`: a register value decoded by its fields. */
export function regLine(reg: string, value: ObsValue | undefined, verb: 'written' | 'reads'): string {
  const name = reg.replace(/^SMMU_/, '');
  const codec = REGISTER_CODECS[name as RegName];
  const sec = REG_SECTION[name];
  const v = typeof value === 'bigint' ? value : typeof value === 'number' ? BigInt(value) : undefined;
  const head = `${reg} ${verb} ${show(value)}${sec !== undefined ? ` (§${sec})` : ''}`;
  return codec === undefined || v === undefined ? head : `${head}: ${fieldsLine(codec, [v])}`;
}

/** The STE a `ste` step wrote, decoded from the stream table (§5.2). */
export function steLines(ctx: ExecContext, r: StepRecord): string[] {
  const addr = r['addr'];
  const sid = r['sid'];
  if (typeof addr !== 'bigint') return ['no STE written'];
  const words = ctx.mem.readWords(addr, 8);
  return [
    `STE of StreamID ${show(typeof sid === 'number' ? BigInt(sid) : sid)} written at PA ${show(addr)} (64 bytes, §5.2): ${words === undefined ? 'unbacked' : fieldsLine(STE, words)}`,
  ];
}

/** A map/unmap edit: which translation table, its base and granule, and what was written. */
export function tableLines(ctx: ExecContext, table: string, what: string, r: StepRecord): string[] {
  const s1 = ctx.tables.s1.get(table);
  const s2 = ctx.tables.s2.get(table);
  const b = s1?.builder ?? s2?.builder;
  const kind = s1 !== undefined ? `stage-1 table${s1.s2 !== undefined ? ' (in IPA space, nested)' : ''}` : 'stage-2 table';
  return [
    `${kind} ${table}${b !== undefined ? ` (TTB 0x${b.ttb.toString(16)})` : ''}: ${what} (VMSAv8-64 descriptors, Arm ARM D8.3)${r.result !== 'ok' ? `: ${r.result} ${show(r['reason'])}` : ''}`,
  ];
}
