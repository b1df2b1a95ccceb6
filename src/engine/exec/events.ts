/**
 * Event queue records → EventRecord (§7.3). Fields appear in one fixed order and only when the
 * record type has them: sid, ssid (null when SSV=0), s2, class, ttrnw, rnw, pnu, ind, stall, stag,
 * input_addr, ipa (only when S2=1), fetch_addr, raw. Single-bit fields are 0/1 numbers (as the
 * record holds them); addresses are bigint.
 */
import { CLASS_NAME, EVENTS, decodeEvent } from '../../arch/event.ts';
import { type StructCodec, hex32 } from '../../arch/fields.ts';
import { EVENTQ_CONS, EVENTQ_PROD, REG } from '../../arch/registers.ts';
import type { EventRecord, ObsValue } from '../../scenario/observation.ts';
import type { ExecContext } from './context.ts';
import { hostEvent } from './host-world.ts';

export function eventRecord(step: number, raw: readonly bigint[]): EventRecord {
  const d = decodeEvent(raw);
  const codec = EVENTS.get(d.type)?.codec;
  const f = d.fields;
  const r: Record<string, ObsValue> = { step, type: d.name === 'UNKNOWN' ? `UNKNOWN_0x${d.type.toString(16)}` : d.name };
  if (has(codec, 'StreamID')) r['sid'] = num(f, 'StreamID');
  if (has(codec, 'SubstreamID')) r['ssid'] = !has(codec, 'SSV') || num(f, 'SSV') === 1 ? num(f, 'SubstreamID') : null;
  if (has(codec, 'S2')) r['s2'] = num(f, 'S2');
  if (has(codec, 'CLASS')) r['class'] = CLASS_NAME[num(f, 'CLASS')] ?? String(num(f, 'CLASS'));
  if (has(codec, 'TTRnW') && num(f, 'CLASS') === 1) r['ttrnw'] = num(f, 'TTRnW');
  for (const [field, k] of FLAGS) if (has(codec, field)) r[k] = num(f, field);
  if (has(codec, 'STAG') && num(f, 'Stall') === 1) r['stag'] = num(f, 'STAG');
  if (has(codec, 'InputAddr')) r['input_addr'] = f['InputAddr'] ?? 0n;
  if (has(codec, 'IPA') && num(f, 'S2') === 1) r['ipa'] = f['IPA'] ?? 0n;
  if (has(codec, 'FetchAddr')) r['fetch_addr'] = f['FetchAddr'] ?? 0n;
  r['raw'] = [BigInt.asUintN(64, raw[0] ?? 0n), BigInt.asUintN(64, raw[1] ?? 0n), BigInt.asUintN(64, raw[2] ?? 0n), BigInt.asUintN(64, raw[3] ?? 0n)];
  return r as EventRecord;
}

/** Single-bit fields recorded as they are, in record order. */
const FLAGS = [
  ['RnW', 'rnw'],
  ['PnU', 'pnu'],
  ['InD', 'ind'],
  ['Stall', 'stall'],
] as const;

/** The record type has the field (an unknown type: only the StreamID/SubstreamID/SSV every record has). */
function has(codec: StructCodec | undefined, f: string): boolean {
  return codec?.has(f) ?? (f === 'StreamID' || f === 'SubstreamID' || f === 'SSV');
}

function num(fields: Readonly<Record<string, bigint>>, f: string): number {
  return Number(fields[f] ?? 0n);
}

/**
 * `inject_fault: { kind: evtq_full }`: from this step on software stops consuming the event
 * queue, so it fills after 2^LOG2SIZE records and later records overflow (SMMUv3 §7.4: discarded,
 * EVENTQ_PROD.OVFLG toggled once, no GERROR). The executor's per-step drain then consumes
 * nothing; `drain_events` steps consume explicitly (drainEventsStep).
 */
export function stopEventConsumer(ctx: ExecContext): void {
  ctx.dev.evtqConsumerStopped = true;
}

/**
 * A `drain_events` step. While the automatic drain is running it has nothing to do (no fields,
 * as before). After `evtq_full` it is the software consumer: it reads every record (they appear
 * in `events` with this step's number), and acknowledges a pending overflow the way Linux does,
 * by copying EVENTQ_PROD.OVFLG into EVENTQ_CONS.OVACKFLG (§6.3.31, §7.4). Fields: records
 * (consumed), overflow (pending when read), prod (EVENTQ_PROD as read, OVFLG in bit 31) and cons
 * (EVENTQ_CONS after the drain and acknowledgement, OVACKFLG in bit 31).
 */
export function drainEventsStep(ctx: ExecContext, step: number): { result: string; fields: Record<string, ObsValue> } {
  const dev = ctx.dev;
  if (!dev.evtqConsumerStopped) return { result: 'ok', fields: {} };
  const prod = dev.readReg(REG.EVENTQ_PROD);
  const overflow = EVENTQ_PROD.get([prod], 'OVFLG') !== EVENTQ_CONS.get([dev.readReg(REG.EVENTQ_CONS)], 'OVACKFLG');
  const recs = dev.drainEvents(true);
  const ex = ctx.explicitDrain;
  for (const r of recs) {
    // Explicit mode: the step that produced the record (the first whose mark counts past it).
    const from = ex === undefined ? step : (ex.marks.find((m) => m.written > ex.consumed)?.step ?? step);
    if (ex !== undefined) ex.consumed++;
    const rec = eventRecord(from, r.raw);
    ctx.events.push(ctx.host !== undefined ? { ...rec, host: hostEvent(ctx.host, r.raw) } : rec);
  }
  if (overflow) {
    const ovflg = EVENTQ_PROD.get([prod], 'OVFLG');
    dev.writeReg(REG.EVENTQ_CONS, EVENTQ_CONS.encode({ OVACKFLG: ovflg }, [dev.readReg(REG.EVENTQ_CONS)])[0] ?? 0n);
  }
  return { result: 'ok', fields: { records: recs.length, overflow, prod: hex32(prod), cons: hex32(dev.readReg(REG.EVENTQ_CONS)) } };
}
