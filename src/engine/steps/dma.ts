/**
 * `dma`: a device moving `size` bytes from `iova`, as the transactions a requester issues.
 * One transaction (no `size`, or a `size` within one 4 KB-aligned page) records: device, [ssid],
 * iova, access; ok: pa; fault: event, recorded, [illegal: the ILLEGAL rule id of a C_BAD_STE/
 * C_BAD_CD]; abort: [event, recorded], [raz: true] (RAZ/WI termination) or silent: true; stall:
 * stag. Several transactions (the range crosses a 4 KB boundary) record: device, [ssid], iova,
 * access, size, transactions, addrs, results, pas (null where not translated), [stags (null where
 * not stalled)], and `result` is ok when every transaction is, else the first result that is not.
 */
import { WalkTrace } from '../../smmu/walk-trace.ts';
import { bool, enumOf, expect, int, name, obj, u64 } from '../../scenario/schema.ts';
import { type U64, type WithExpect, shape } from '../../scenario/types.ts';
import { type Fields, txnFields } from '../exec/context.ts';
import { streamSid } from '../exec/streams.ts';
import { hex } from '../../arch/hex.ts';
import { defineStep } from './define.ts';
import { show, streamLines } from './explain.ts';

export interface DmaStep extends WithExpect {
  readonly device: string;
  readonly ssid?: U64;
  readonly iova: U64;
  readonly access: 'read' | 'write' | 'exec';
  readonly priv?: boolean;
  readonly size?: number;
}
declare module '../../scenario/types.ts' {
  interface StepBodies {
    readonly dma: DmaStep;
  }
}

/** The largest `size` (1 MiB: 256 transactions), so one step's work stays bounded. */
export const DMA_MAX_SIZE = 1 << 20;
const PAGE = 4096n;

/**
 * The requests of a DMA of `size` bytes at `iova`: a PCIe request never crosses a 4 KB boundary
 * (PCIe Base 6.0 §2.2.7), so one per 4 KB-bounded chunk. Splitting further by Max Payload Size /
 * Max Read Request Size is not modelled: it adds requests within the same page, which translate
 * identically. The caller keeps iova + size ≤ 2^64 (validate rejects a wrap).
 */
export function dmaChunks(iova: bigint, size: number): { iova: bigint; bytes: number }[] {
  const out: { iova: bigint; bytes: number }[] = [];
  let a = iova;
  let left = BigInt(size);
  while (left > 0n) {
    const room = PAGE - (a % PAGE);
    const take = left < room ? left : room;
    out.push({ iova: a, bytes: Number(take) });
    a += take;
    left -= take;
  }
  return out;
}

export const dma = defineStep({
  kind: 'dma',
  layer: 'device',
  schema: obj(
    {
      device: name,
      ssid: u64,
      iova: u64,
      access: enumOf(['read', 'write', 'exec']),
      priv: bool('privileged access'),
      size: int(
        1,
        DMA_MAX_SIZE,
        'bytes moved from iova: one transaction per 4 KB-bounded chunk, each translated on its own (omitted: a single transaction at iova)',
      ),
      ...expect,
    },
    ['device', 'iova', 'access'],
    'a DMA from a device: the transactions a requester issues (never across a 4 KB boundary)',
  ),
  shape: shape<DmaStep>()(['device', 'ssid', 'iova', 'access', 'priv', 'size', 'expect'], ['device', 'iova', 'access']),
  example: 'dma: { device: nic, iova: 0x1000, access: read }',
  explain: (b) => `${b.device}${b.ssid !== undefined ? ` ssid ${b.ssid}` : ''} ${b.access} ${hex(b.iova)}${b.size !== undefined ? ` size ${b.size}` : ''}`,
  detail: (d, r, ctx) => {
    const sid = ctx.scenario.devices?.find((x) => x.name === d.device)?.sid;
    const txns = Array.isArray(r['addrs'])
      ? r['addrs'].map(
          (a, i) =>
            `transaction at ${show(a)}: ${show((r['results'] as readonly unknown[] as string[])[i])}${Array.isArray(r['pas']) && r['pas'][i] !== null ? ` -> PA ${show(r['pas'][i])}` : ''}`,
        )
      : [
          `transaction at ${hex(d.iova)} (${d.access}${d.priv === true ? ', privileged' : ''}): ${r.result}${r['pa'] !== undefined ? ` -> PA ${show(r['pa'])}` : ''}${r['event'] !== undefined ? ` ${show(r['event'])}${r['recorded'] === false ? ' (not recorded)' : ''}` : ''}${r['stag'] !== undefined ? ` STAG ${show(r['stag'])}` : ''}`,
        ];
    return [...(sid !== undefined ? streamLines(ctx, Number(sid), d.ssid !== undefined ? Number(d.ssid) : 0) : []), ...txns];
  },
  refs: (b, t, at) => t.ref(t.devices, 'device', b.device, [...at, 'device']),
  run(ctx, d, n, where) {
    const sid = streamSid(ctx.scenario, d, where);
    // assigned in record order (device, [ssid], iova, access): no spreads, a DMA step is the hot path
    const head: Fields = { device: d.device };
    if (d.ssid !== undefined) head['ssid'] = Number(d.ssid);
    head['iova'] = d.iova;
    head['access'] = d.access;
    // Without `size` the step is one transaction at iova (the access is taken to lie in its page).
    const chunks = d.size === undefined ? [{ iova: d.iova, bytes: 0 }] : dmaChunks(d.iova, d.size);
    // SMMUv3 §3.1: each transaction is translated on its own; a fault records one event per
    // transaction (§7.2), so a later chunk may fault after an earlier one translated.
    const outs = chunks.map((c) => {
      const trace = ctx.trace ? new WalkTrace() : undefined;
      const r = ctx.dev.transaction({
        sid,
        iova: c.iova,
        access: d.access,
        ...(d.ssid !== undefined ? { ssid: Number(d.ssid) } : {}),
        ...(d.priv !== undefined ? { privileged: d.priv } : {}),
        ...(trace !== undefined ? { trace } : {}),
      });
      if (trace !== undefined) ctx.walks.push({ step: n, lines: chunks.length > 1 ? [`transaction at ${hex(c.iova)}:`, ...trace.format()] : trace.format() });
      // `resume: { stall: n }` names the first transaction of this step that stalled.
      if (r.kind === 'stalled' && ctx.stalled !== undefined && !ctx.stalled.has(n)) ctx.stalled.set(n, { sid, stag: r.stag });
      return { iova: c.iova, o: txnFields(r) };
    });
    const first = outs[0];
    if (outs.length === 1 && first !== undefined) return { result: first.o.result, fields: Object.assign(head, first.o.fields) };
    const bad = outs.find((x) => x.o.result !== 'ok');
    const stalls = outs.some((x) => x.o.result === 'stall');
    const pick = (k: string) => (x: (typeof outs)[number]) => {
      const v = x.o.fields[k];
      return typeof v === 'bigint' || typeof v === 'number' ? v : null;
    };
    return {
      result: bad?.o.result ?? 'ok',
      fields: {
        ...head,
        size: d.size ?? 0,
        transactions: outs.length,
        addrs: outs.map((x) => x.iova),
        results: outs.map((x) => x.o.result),
        pas: outs.map(pick('pa')),
        ...(stalls ? { stags: outs.map(pick('stag')) } : {}),
      },
    };
  },
});
