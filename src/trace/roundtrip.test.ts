import t from 'tap';
import fc from 'fast-check';
import { formatEventLog, withDmesgPrefix, type LogEra } from '../linux/messages.ts';
import { importDmesg } from './dmesg.ts';
import { crossCheck } from './decode.ts';
import { decodeEventGeneric, encodeEvent } from '../linux/event-view.ts';
import { EVENT_NAMES } from './codec.ts';
import { fieldsFromLogged } from './logged.ts';
import { type EventRecord } from './types.ts';

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const types = Object.keys(EVENT_NAMES).map(Number);

/** Valid-looking records: a real type and fields in range. */
const validEvent = fc
  .record({
    Type: fc.constantFrom(...types).map(BigInt),
    SSV: fc.bigInt({ min: 0n, max: 1n }),
    SubstreamID: fc.bigInt({ min: 0n, max: (1n << 20n) - 1n }),
    StreamID: fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }),
    STAG: fc.bigInt({ min: 0n, max: 0xffffn }),
    Stall: fc.bigInt({ min: 0n, max: 1n }),
    PnU: fc.bigInt({ min: 0n, max: 1n }),
    InD: fc.bigInt({ min: 0n, max: 1n }),
    RnW: fc.bigInt({ min: 0n, max: 1n }),
    S2: fc.bigInt({ min: 0n, max: 1n }),
    CLASS: fc.bigInt({ min: 0n, max: 3n }),
    TTRnW: fc.bigInt({ min: 0n, max: 1n }),
    InputAddr: u64,
    dw3: fc.bigInt({ min: 0n, max: (1n << 56n) - 1n }),
  })
  .map(({ dw3, ...f }) => {
    const raw = encodeEvent(f);
    raw[3] = dw3;
    return raw;
  });
const anyEvent = fc.oneof(validEvent, fc.array(u64, { minLength: 4, maxLength: 4 }));
const client = fc.option(fc.constantFrom('0000:01:00.0', '0002:80:1f.7', 'ffff0000.dma'), { nil: undefined });

t.test('format (both eras) → import gives back the raw records and decoded fields', async (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ raw: anyEvent, client, inst: fc.constantFrom('arm-smmu-v3.0.auto', '2b400000.iommu') }), { minLength: 1, maxLength: 6 }),
      fc.constantFrom<LogEra>('pre-6.14', '6.14+'),
      fc.boolean(),
      (recs, era, stamp) => {
        const lines: string[] = [];
        recs.forEach((r, i) => {
          lines.push(...withDmesgPrefix(formatEventLog(r.raw, { era, client: r.client }), { device: r.inst, ...(stamp ? { timestamp: i + 0.5 } : {}) }));
        });
        const tr = importDmesg(lines.join('\n'));
        const ev = tr.records as EventRecord[];
        if (tr.diagnostics.length !== 0) return false;
        if (crossCheck(tr).length !== 0) return false;
        if (ev.length !== recs.length) return false;
        return recs.every((r, i) => {
          const e = ev[i];
          if (e === undefined || e.kind !== 'event' || e.instance !== r.inst || e.raw.length !== 4) return false;
          if (!e.raw.every((d, k) => d === r.raw[k])) return false;
          if (era === 'pre-6.14') return e.logged === undefined;
          const l = e.logged;
          if (l === undefined || l.client !== (r.client ?? '(unassigned sid)')) return false;
          const g = decodeEventGeneric(r.raw).fields;
          const f = fieldsFromLogged(l);
          return f['StreamID'] === g['StreamID'] && (f['SubstreamID'] ?? 0n) === (g['SSV'] === 1n ? g['SubstreamID'] : 0n);
        });
      },
    ),
    { numRuns: 300 },
  );
  t.pass('300 random logs round-tripped');
});

t.test('round trip survives interleaving with other kernel lines and mail quoting', async (t) => {
  fc.assert(
    fc.property(validEvent, fc.constantFrom('', '> ', '> > ', '| '), (raw, quote) => {
      const lines = withDmesgPrefix(formatEventLog(raw, { era: '6.14+', client: '0000:01:00.0' }), { device: 'smmu.0', timestamp: 1 });
      lines.splice(2, 0, '[    1.000000] nvme nvme0: unrelated');
      const tr = importDmesg(lines.map((l) => quote + l).join('\n'));
      const e = tr.records[0] as EventRecord | undefined;
      return tr.records.length === 1 && e?.raw.every((d, k) => d === raw[k]) === true && crossCheck(tr).length === 0 && e.logged !== undefined;
    }),
    { numRuns: 200 },
  );
  t.pass('200 quoted/interleaved logs round-tripped');
});
