/**
 * Area stall: the stall fault model (§3.12.2). Streams whose faults stall (CD.S=1 at stage 1,
 * STE.S2S=1 at stage 2, or every fault under STALL_MODEL=0b10 stall_force), faulting DMA that
 * stalls, then what software does about it: maps the page and resumes with retry (the retried
 * transaction completes, or stalls again with a new STAG), resumes with abort, resumes a
 * transaction that never stalled or one already resumed, sends CMD_RESUME / CMD_STALL_TERM
 * itself with STAGs and StreamIDs at their edges (§4.7.1, §4.7.2), or terminates the stream's
 * stalls by rewriting its STE. Sometimes the combination is ILLEGAL on purpose: CD.S=1 with
 * STE.S1STALLD=1, or S=0 under stall_force (C_BAD_CD / C_BAD_STE, §5.2, §5.4).
 */
import type { StreamInstall } from '../../scenario/types.ts';
import type { Draft } from '../draft.ts';
import { addCdTable, addS1Table, addS2Table, type BuiltTable, genCd, pickAccess, s1Probes } from '../build.ts';
import { probeAddresses } from '../mappings.ts';
import type { Rng } from '../rng.ts';
import { pickSid } from './translate.ts';

export function stallArea(rng: Rng, d: Draft): void {
  d.need('stall');
  d.smmu.cache_policy = rng.bool(0.5) ? 'max' : 'none';
  const force = rng.bool(0.15);
  if (force) {
    d.smmu.stall_model = 'stall_force';
    d.feature('ats', false); // STALL_MODEL=0b10 is not allowed on a PCI part (IDR0.ATS=1, §6.3.1)
    d.note('STALL_MODEL=0b10: every fault of a stream stalls, CD.S and STE.S2S must be 1 (§3.12.2, §5.2 S2S, §5.4 S)');
  }
  const kind = rng.weighted<'s1' | 's2' | 'nested'>([
    [5, 's1'],
    [2, 's2'],
    [1, 'nested'],
  ]);
  const dev = d.device('dev0', pickSid(rng, []));
  let s2: BuiltTable | undefined;
  let s1: BuiltTable | undefined;
  if (kind !== 's1') {
    d.need('s2');
    s2 = addS2Table(d, rng, 'vm', { nested: kind === 'nested', count: rng.int(1, 3) });
  }
  let cdName: string | undefined;
  if (kind !== 's2') {
    d.need('s1');
    if (kind === 'nested') d.need('nesting');
    s1 = addS1Table(d, rng, 'pt', { count: rng.int(1, 3), global: true, ...(s2 !== undefined ? { s2 } : {}) });
    const cd = genCd(rng, d, { tt0: s1, ...(s2 !== undefined ? { s2 } : {}) });
    // CD.S=1 most of the time (the point of the area); S=0 under stall_force is ILLEGAL (§5.4 S)
    const s = rng.bool(0.85);
    const { s: _s, ...rest } = cd;
    addCdTable(d, 'cds', [{ ...rest, ...(s ? { s: true } : {}) }], s2 !== undefined ? { s2 } : {});
    cdName = 'cds';
    if (!s) d.note('CD.S=0: faults of this CD terminate (or are ILLEGAL under stall_force, §5.4 S)');
  }
  const s1stalld = s1 !== undefined && rng.bool(0.1);
  if (s1stalld) d.note('STE.S1STALLD=1 with CD.S=1 is ILLEGAL (§5.4 S: C_BAD_CD)');
  const install: StreamInstall = {
    device: dev,
    config: kind,
    ...(cdName !== undefined ? { cd_table: cdName } : {}),
    ...(s2 !== undefined ? { s2_table: 'vm', vmid: d.uniqueId('vmid', rng), ...(rng.bool(force ? 0.85 : 0.8) ? { s2s: true } : {}) } : {}),
    ...(s1stalld ? { s1stalld: true } : {}),
    ...(s2 !== undefined && rng.bool(0.1) ? { s2r: false } : {}),
  };
  d.streams.push(install);
  const edited = s1 ?? (s2 as BuiltTable);
  const probes = s1 !== undefined ? s1Probes(rng, [s1], false) : probeAddresses(rng, edited.geo, edited.maps);
  const unmapped = (): bigint => {
    // an address no mapping covers, inside the input range: a translation fault that stalls
    const span = 1n << BigInt(edited.geo.bits);
    for (let k = 0; k < 8; k++) {
      const a = rng.range(0n, span / 4096n - 1n) * 4096n + BigInt(rng.pick([0, 8, 0xff8]));
      if (!edited.maps.some((m) => a >= m.from && a < m.from + m.size)) return a;
    }
    return span - 8n;
  };
  const stalled: { step: number; iova: bigint }[] = [];
  const dmas: number[] = [];
  const mapped = new Set<bigint>();
  const n = rng.int(3, 9);
  for (let i = 0; i < n; i++) {
    const op = rng.weighted<string>([
      [5, 'fault'],
      [2, 'dma'],
      [4, 'resume'],
      [1, 'resume-none'],
      [1, 'raw-resume'],
      [1, 'stall-term'],
      [1, 'ste'],
    ]);
    if (op === 'fault' || op === 'dma') {
      const iova = op === 'fault' ? unmapped() : rng.pick(probes);
      d.step({ dma: { device: dev, iova, access: pickAccess(rng), ...(rng.bool(0.2) ? { priv: rng.bool() } : {}) } });
      dmas.push(d.steps.length);
      if (op === 'fault') stalled.push({ step: d.steps.length, iova });
    } else if (op === 'resume' && stalled.length > 0) {
      const st = rng.pick(stalled);
      const retry = rng.bool(0.65);
      // before a retry, software usually fixes the cause: maps the page (and invalidates)
      if (retry && rng.bool(0.7)) {
        const page = st.iova & ~(edited.geo.gBytes - 1n);
        const input = edited.geo.stage === 1 ? { va: page } : { ipa: page };
        const out = edited.geo.stage === 1 && s2 !== undefined ? { ipa: (s2.maps[0]?.from ?? 0n) & ~(edited.geo.gBytes - 1n) } : { pa: 0x8000_0000n };
        if (!mapped.has(page) && !edited.maps.some((m) => page < m.from + m.size && m.from < page + edited.geo.gBytes)) {
          mapped.add(page);
          d.step({ map: { table: edited.name, ...input, ...out, size: edited.geo.gBytes, perm: 'rw', invalidate: true } });
        }
      }
      d.step({ resume: { stall: st.step, action: retry ? 'retry' : 'abort' } });
      d.note(`CMD_RESUME ${retry ? 'retry' : 'abort'} of a stalled transaction (§4.7.1, §3.12.2)`);
    } else if (op === 'resume-none') {
      // a resume naming a step that did not stall (answered with an error, no command) or a STAG nothing holds
      const ok = dmas.filter((k) => !stalled.some((x) => x.step === k));
      if (ok.length > 0 && rng.bool(0.5)) d.step({ resume: { stall: rng.pick(ok), action: rng.pick(['retry', 'abort'] as const) } });
      else d.step({ resume: { device: dev, stag: BigInt(rng.edgeInt(0, 0xffff)), action: rng.pick(['retry', 'abort'] as const) } });
      d.note('CMD_RESUME for a STAG that is not stalled: ignored (§4.7.1)');
    } else if (op === 'raw-resume') {
      d.step({
        cmdq: {
          commands: [
            {
              op: 'RESUME',
              ...(rng.bool(0.8) ? { device: dev } : { sid: BigInt(rng.edgeInt(0, 0xffff)) }),
              stag: BigInt(rng.edgeInt(0, 0xffff)),
              resp: rng.pick(['retry', 'abort', 'term'] as const),
            },
          ],
          sync: true,
        },
      });
      d.note('CMD_RESUME with every response and STAGs at their edges (§4.7.1)');
    } else if (op === 'stall-term') {
      d.step({ cmdq: { commands: [{ op: 'STALL_TERM', ...(rng.bool(0.8) ? { device: dev } : { sid: BigInt(rng.edgeInt(0, 0xffff)) }) }], sync: true } });
      d.note('CMD_STALL_TERM: every stalled transaction of the StreamID is terminated (§4.7.2)');
    } else if (op === 'ste') {
      d.step({ ste: rng.bool(0.5) ? { device: dev, config: 'abort' } : install });
      d.step({ cmdq: { commands: [{ op: 'CFGI_STE', device: dev, leaf: true }], sync: true } });
    }
  }
  // whatever is still stalled: resumed at the end, the way a driver tears down
  if (stalled.length > 0 && rng.bool(0.5)) d.step({ resume: { stall: (stalled[stalled.length - 1] as { step: number }).step, action: 'abort' } });
  d.note(`${kind} stream with stalling faults (§3.12.2 stall model, §7.3 Stall and STAG)`);
}
