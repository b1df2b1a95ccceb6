/**
 * Area faults: fault injection (`smmu.faults` at set-up, `inject_fault` steps later) against the
 * structures the SMMU reads and writes, placed at known addresses so an injection can aim at them:
 * an external abort on the stream table (F_STE_FETCH, §7.3.4), the CD (F_CD_FETCH, §7.3.10), the
 * stage-1 root table (F_WALK_EABT, §7.3.12), the data page (the transaction aborts, no event), the
 * event queue (EVENTQ_ABT_ERR, §7.2); command fetches that abort (CERROR_ABT, §7.1) and a queue
 * that stops consuming; an event queue software stops draining until it overflows (§7.4); ATC
 * invalidations that never complete (§4.5.1). Faulting and translating DMA before and after, and
 * the recovery a driver would do (acknowledge GERROR, resubmit).
 */
import type { Command, FaultInjection } from '../../scenario/types.ts';
import type { Draft } from '../draft.ts';
import { addCdTable, addDmas, addS1Table, genCd, s1Probes } from '../build.ts';
import type { Rng } from '../rng.ts';
import { CD_AT } from './caching.ts';
import { pickSid } from './translate.ts';

/** Where this area puts the stage-1 root table, the stream table and the event queue (PA, below the executor's HOST region). */
export const TT_AT = 0x0200_0000n;
const STRTAB_AT = 0x0600_0000n;
const EVTQ_AT = 0x0700_0000n;

type Target = 'strtab' | 'cd' | 'tt' | 'data' | 'evtq';

export function faultsArea(rng: Rng, d: Draft): void {
  d.need('s1');
  d.smmu.cache_policy = rng.bool(0.5) ? 'max' : 'none';
  const evtqLog2 = rng.bool(0.3) ? rng.edgeInt(1, 4) : undefined;
  d.boot = { strtab: { base: STRTAB_AT }, evtq: { base: EVTQ_AT, ...(evtqLog2 !== undefined ? { log2size: evtqLog2 } : {}) } };
  const sid = pickSid(rng, []);
  const dev = d.device('dev0', sid);
  const pt = addS1Table(d, rng, 'pt', { count: rng.int(1, 3), global: true });
  d.s1[d.s1.length - 1] = { ...(d.s1[d.s1.length - 1] as (typeof d.s1)[number]), at: TT_AT };
  const cd = genCd(rng, d, { tt0: pt });
  const { s: _s, ...plain } = cd; // no stalls here: an injected abort is the point
  const t = addCdTable(d, 'cds', [plain]);
  t.at = CD_AT;
  d.streams.push({ device: dev, config: 's1', cd_table: 'cds' });
  const probes = s1Probes(rng, [pt], false);
  const ste = STRTAB_AT + sid * 64n;
  // under cache_policy max at most one structure (STE, CD, table, queue) starts aborting during the
  // run: a cached copy of one and a fresh read of another would mix two states, which the caching
  // property does not enumerate (as in the caching area; data pages are never cached)
  const cached = d.smmu.cache_policy === 'max';
  let structureAborted = false;
  const fault = (during = false): FaultInjection => {
    const kind = rng.weighted<FaultInjection['kind']>([
      [6, 'ext_abort'],
      [2, 'cmdq_fetch_abort'],
      [1, 'cmdq_stall'],
      [2, 'evtq_full'],
      [1, 'atc_inv_timeout'],
    ]);
    if (kind === 'ext_abort') {
      const one = during && cached && structureAborted;
      const at = rng.weighted<Target>([
        [one ? 0 : 2, 'strtab'],
        [one ? 0 : 2, 'cd'],
        [one ? 0 : 3, 'tt'],
        [2, 'data'],
        [one ? 0 : 1, 'evtq'],
      ]);
      if (during && at !== 'data') structureAborted = true;
      const where: Record<Target, [bigint, bigint, string]> = {
        strtab: [ste, 64n, 'the STE (F_STE_FETCH, §7.3.4)'],
        cd: [CD_AT, 64n, 'the CD (F_CD_FETCH, §7.3.10)'],
        tt: [TT_AT, 4096n, 'the stage-1 root table (F_WALK_EABT, §7.3.12)'],
        data: [pt.maps[0]?.out ?? 0x1_0000_0000n, 4096n, 'a data page (the transaction aborts, §3.2)'],
        evtq: [EVTQ_AT, 4096n, 'the event queue (GERROR.EVENTQ_ABT_ERR, §7.2)'],
      };
      const [pa, size, what] = where[at];
      d.note(`external abort on ${what}`);
      return { kind, pa, size };
    }
    if (kind === 'cmdq_fetch_abort') {
      d.note('command fetches abort (CERROR_ABT, GERROR.CMDQ_ERR, §7.1)');
      return { kind, count: rng.edgeInt(1, 3) };
    }
    if (kind === 'cmdq_stall') {
      d.note('the command queue stops consuming (CMD_SYNC never completes, §4.7.3)');
      return { kind, count: rng.edgeInt(1, 3) };
    }
    if (kind === 'evtq_full') {
      d.note('software stops draining the event queue: it fills, then overflows (§7.4 EVTQ_PROD.OVFLG)');
      return { kind };
    }
    d.note('ATC invalidations never complete (CMD_SYNC after CMD_ATC_INV, §4.5.1)');
    d.need('ats');
    return { kind };
  };
  if (rng.bool(0.3)) d.smmu.faults = [fault()];
  const n = rng.int(4, 10);
  for (let i = 0; i < n; i++) {
    const op = rng.weighted<string>([
      [5, 'dma'],
      [3, 'inject'],
      [2, 'cmdq'],
      [1, 'ack'],
      [1, 'read'],
    ]);
    if (op === 'dma') addDmas(d, rng, dev, probes, rng.int(1, 3));
    else if (op === 'inject') d.step({ inject_fault: fault(true) });
    else if (op === 'cmdq') {
      const c = rng.pick<Command>([
        { op: 'CFGI_STE', device: dev, leaf: true },
        { op: 'CFGI_CD', device: dev, ssid: 0n, leaf: true },
        { op: 'TLBI_NH_ASID', asid: plain.asid ?? 0n },
        { op: 'CFGI_ALL' },
        { op: 'ATC_INV', device: dev, addr: 0n, size: 52 },
      ]);
      if (c.op === 'ATC_INV') d.need('ats');
      d.step({ cmdq: { commands: [c], ...(rng.bool(0.8) ? { sync: true } : {}) } });
    } else if (op === 'ack') d.step({ ack_gerror: {} });
    else d.step({ read_reg: { reg: rng.pick(['SMMU_GERROR', 'SMMU_CMDQ_CONS', 'SMMU_EVENTQ_PROD'] as const) } });
  }
  addDmas(d, rng, dev, probes, 1);
}
