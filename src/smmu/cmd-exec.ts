/**
 * Execution of a valid, consumed command against the rest of the device (§4.2-4.7): config
 * cache invalidation (CFGI_*), TLB invalidation (TLBI_*), PRI_RESP, RESUME and STALL_TERM.
 * CommandQueue (cmdq.ts) has already made the CERROR_ILL checks; CMD_SYNC and ATC_INV are
 * handled by the queue itself.
 *
 * RES0 policy: when the profile ignores RES0 command fields (cmdRes0 'ignore'), fields that are
 * RES0 in this configuration are treated as zero here, never as a meaning: NUM/SCALE/TG/TTL
 * without IDR3.RIL, SCALE[5] without IDR5.DS, NUM/SCALE/TTL with TG=0 (§4.4.1.1), the VMID of
 * TLBI_NH_* without stage 2 (§4.4.2), IPA bits [55:52] in v3.1-v3.3 (§4.1.6).
 */
import type { DecodedCommand } from '../arch/command.ts';
import { CR2, REG } from '../arch/registers.ts';
import { STE } from '../arch/ste.ts';
import type { ConfigCache } from './cfgcache.ts';
import { cdSplit, l1IndexOf, strtabGeometry } from './config.ts';
import { type SmmuProfile, commandPaBits } from './profile.ts';
import type { RegFile } from './regfile.ts';
import type { StallTable } from './stall.ts';
import type { Tlb, TlbiParams } from './tlb.ts';
import type { TransactionRequest, TransactionResult } from './transaction.ts';

/** How a stalled transaction ended (or was retried). */
export type StallAction = 'retry' | 'terminate' | 'stall_term' | 'requeue';

/** The parts of the device a command acts on. */
export interface CommandTarget {
  readonly profile: SmmuProfile;
  readonly regs: RegFile;
  readonly cfgCache: ConfigCache;
  readonly tlb: Tlb;
  readonly stalls: StallTable<TransactionRequest>;
  readonly priResponses: DecodedCommand[];
  /** Report the end (or retry) of a stalled transaction. */
  completeStall(sid: number, stag: number, action: StallAction, result: TransactionResult): void;
  /** Run a transaction again as though it had just arrived (CMD_RESUME retry, §4.7.1). */
  retry(req: TransactionRequest): TransactionResult;
}

/** TLBI range parameters with the RES0 fields of this profile forced to zero. */
export function tlbiParams(f: Readonly<Record<string, bigint>>, p: SmmuProfile, withAsid: boolean, ipa = false): TlbiParams {
  const num = (k: string): number => Number(f[k] ?? 0n);
  let tg = 0;
  let n = 0;
  let scale = 0;
  let ttl = 0;
  if (p.ril && num('TG') !== 0) {
    tg = num('TG');
    n = num('NUM');
    // SCALE is 5 bits without DS; with DS, values above 39 are treated as 39 (§4.4.1.1).
    scale = p.ds ? Math.min(num('SCALE'), 39) : num('SCALE') & 0x1f;
    ttl = num('TTL');
    // TG=16KB, TTL=0b01 without IDR5.DS is reserved and treated as TTL=0b00: no level hint (§4.4.1.1).
    if (!p.ds && tg === 2 && ttl === 1) ttl = 0;
  }
  return {
    vmid: vmidOf(f, p),
    ...(withAsid ? { asid: num('ASID') } : {}),
    addr: ipa ? BigInt.asUintN(commandPaBits(p), f['Address'] ?? 0n) : (f['Address'] ?? 0n),
    leaf: num('Leaf') === 1,
    tg,
    num: n,
    scale,
    ttl,
  };
}

/** VMID parameter of a stage-1 TLBI: RES0 (zero) without stage 2, entries are then tagged VMID 0 (§4.4.2). */
function vmidOf(f: Readonly<Record<string, bigint>>, p: SmmuProfile): number {
  return p.s2p ? Number(f['VMID'] ?? 0n) : 0;
}

export function executeCommand(d: CommandTarget, cmd: DecodedCommand): void {
  const f = cmd.fields;
  const num = (k: string): number => Number(f[k] ?? 0n);
  const sid = num('StreamID');
  const tlbi = (withAsid: boolean, ipa = false): TlbiParams => tlbiParams(f, d.profile, withAsid, ipa);
  switch (cmd.name) {
    case 'CFGI_STE':
      d.cfgCache.invalidateSte(sid, num('Leaf') === 1, l1IndexOf(strtabGeometry(d.regs), sid));
      return;
    case 'CFGI_STE_RANGE': {
      const g = strtabGeometry(d.regs);
      d.cfgCache.invalidateSteRange(sid, num('Range'), (s) => l1IndexOf(g, s));
      return;
    }
    case 'CFGI_CD': {
      const ssid = num('SubstreamID');
      d.cfgCache.invalidateCd(sid, ssid, num('Leaf') === 1, cdL1Index(d.cfgCache, sid, ssid));
      return;
    }
    case 'CFGI_CD_ALL':
      d.cfgCache.invalidateCdAll(sid);
      return;
    case 'TLBI_NH_ALL':
      d.tlb.tlbiNhAll(vmidOf(f, d.profile));
      return;
    case 'TLBI_NH_ASID':
      d.tlb.tlbiNhAsid(vmidOf(f, d.profile), num('ASID'));
      return;
    case 'TLBI_NH_VA':
      d.tlb.tlbiNhVa(tlbi(true));
      return;
    case 'TLBI_NH_VAA':
      d.tlb.tlbiNhVaa(tlbi(false));
      return;
    case 'TLBI_EL2_ALL':
      d.tlb.tlbiEl2All();
      return;
    case 'TLBI_EL2_ASID':
      d.tlb.tlbiEl2Asid(num('ASID'));
      return;
    // SMMU_CR2.E2H selects which EL2 entries the by-VA forms affect (§4.4.2.8, §4.4.2.9).
    case 'TLBI_EL2_VA':
      d.tlb.tlbiEl2Va(tlbi(true), e2hOf(d.regs));
      return;
    case 'TLBI_EL2_VAA':
      d.tlb.tlbiEl2Vaa(tlbi(false), e2hOf(d.regs));
      return;
    case 'TLBI_S12_VMALL':
      d.tlb.tlbiS12Vmall(num('VMID'));
      return;
    case 'TLBI_S2_IPA':
      d.tlb.tlbiS2Ipa(tlbi(false, true));
      return;
    case 'TLBI_NSNH_ALL':
      d.tlb.tlbiNsnhAll();
      return;
    case 'PRI_RESP':
      if (d.regs.cr0('SMMUEN')) d.priResponses.push(cmd); // IGNORED while SMMUEN=0 (§4.5.2)
      return;
    case 'RESUME':
      resume(d, sid, num('STAG'), num('Ac') === 1, num('Ab') === 1);
      return;
    case 'STALL_TERM':
      // Equivalent to CMD_RESUME(Terminate) with abort for every stall of the StreamID (§4.7.2).
      for (const t of d.stalls.takeAll(sid)) d.completeStall(sid, t.stag, 'stall_term', { kind: 'aborted', reason: 'CMD_STALL_TERM' });
      return;
    default:
      return; // PREFETCH_CONFIG / PREFETCH_ADDR: no architectural effect here
  }
}

function e2hOf(regs: RegFile): boolean {
  return CR2.get([regs.get(REG.CR2)], 'E2H') === 1n;
}

/** L1CD index for CFGI_CD Leaf=0, from the cached STE of the stream (if any). */
function cdL1Index(cache: ConfigCache, sid: number, ssid: number): number | undefined {
  const raw = cache.getSte(sid);
  if (raw === undefined) return undefined;
  const fmt = Number(STE.get(raw, 'S1Fmt'));
  const split = cdSplit(fmt);
  return split === undefined ? undefined : Math.floor(ssid / 2 ** split);
}

function resume(d: CommandTarget, sid: number, stag: number, retry: boolean, abort: boolean): void {
  const t = d.stalls.take(sid, stag);
  if (t === undefined) return; // no matching stalled transaction: no-op (§4.7.1)
  if (retry) {
    d.completeStall(sid, stag, 'retry', d.retry(t.req));
    return;
  }
  // Ac=0: Ab=0 completes with RAZ/WI, Ab=1 aborts; TERM_MODEL=1 always aborts (§4.7.1).
  const raz = !abort && !d.profile.termModel;
  d.completeStall(
    sid,
    stag,
    'terminate',
    raz ? { kind: 'aborted', raz: true, reason: 'CMD_RESUME Ac=0 Ab=0' } : { kind: 'aborted', reason: 'CMD_RESUME Ac=0 Ab=1' },
  );
}
