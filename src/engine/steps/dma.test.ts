// A DMA step of N bytes is the sequence of transactions a PCIe requester issues: never across a
// 4 KB boundary (PCIe Base 6.0 §2.2.7), each translated on its own with its own result and event
// record (SMMUv3 §3.12, §7.2) (issue 12 part 3).
import t from 'tap';
import { loadScenarioText } from '../load.ts';
import { executeScenario } from '../execute.ts';
import type { Observation, StepRecord } from '../../scenario/observation.ts';
import { dmaChunks } from './dma.ts';

const scenario = (dma: string, smmu = ''): string => `description: DMA transactions (SMMUv3 §7.2)
tags: [t]
${smmu}devices: [ { name: nic0, sid: 0x10 } ]
memory:
  s1_tables: [ { name: pt0, granule: 4k, va_bits: 48, map: [ { va: 0x1000, pa: 0x8000_1000, size: 4K, perm: rw } ] } ]
  cd_tables: [ { name: cdt0, entries: [ { ssid: 0, asid: 1, tt0: pt0 } ] } ]
streams: [ { device: nic0, config: s1, cd_table: cdt0 } ]
steps:
  - dma: ${dma}
`;

function run(dma: string): Observation {
  const r = loadScenarioText(scenario(dma), { file: 'x.yaml' });
  if (r.scenario === undefined) throw new Error(r.errors.map((e) => e.message).join('; '));
  return executeScenario(r.scenario, { profile: { name: 't', features: [] } });
}

t.test('chunks never cross a 4 KB boundary', async (t) => {
  t.same(dmaChunks(0x1ff8n, 16), [
    { iova: 0x1ff8n, bytes: 8 },
    { iova: 0x2000n, bytes: 8 },
  ]);
  t.same(dmaChunks(0x1800n, 8192), [
    { iova: 0x1800n, bytes: 2048 },
    { iova: 0x2000n, bytes: 4096 },
    { iova: 0x3000n, bytes: 2048 },
  ]);
  t.same(dmaChunks(0x1000n, 4096), [{ iova: 0x1000n, bytes: 4096 }]);
  t.same(dmaChunks(0xffff_ffff_ffff_f000n, 4096), [{ iova: 0xffff_ffff_ffff_f000n, bytes: 4096 }], 'up to 2^64 exactly');
});

t.test('within one page: one transaction, the record as before', async (t) => {
  const s = run('{ device: nic0, iova: 0x1008, access: read, size: 64 }').steps[0] as StepRecord;
  t.equal(s.result, 'ok');
  t.equal(s['pa'], 0x8000_1008n);
  t.notOk('transactions' in s);
});

t.test('without size: one transaction at iova, even at the last byte of a page', async (t) => {
  const o = run('{ device: nic0, iova: 0x1ffc, access: read }');
  const s = o.steps[0] as StepRecord;
  t.equal(s.result, 'ok');
  t.equal(s['pa'], 0x8000_1ffcn);
  t.equal(o.events.length, 0);
});

t.test('across a page boundary: each transaction translated on its own, with its own event', async (t) => {
  const o = run('{ device: nic0, iova: 0x1ff8, access: write, size: 16 }');
  const s = o.steps[0] as StepRecord;
  t.equal(s['size'], 16);
  t.equal(s['transactions'], 2);
  t.same(s['addrs'], [0x1ff8n, 0x2000n]);
  t.same(s['results'], ['ok', 'fault']);
  t.same(s['pas'], [0x8000_1ff8n, null]);
  t.equal(s.result, 'fault', 'the first transaction that is not ok');
  t.equal(o.events.length, 1, 'one record: for the transaction that faulted');
  t.equal(o.events[0]?.type, 'F_TRANSLATION');
  t.equal(o.events[0]?.['input_addr'], 0x2000n);
});

t.test('three pages, two unmapped: one event per faulting transaction', async (t) => {
  const o = run('{ device: nic0, iova: 0xff0, access: read, size: 0x1020 }');
  const s = o.steps[0] as StepRecord;
  t.same(s['addrs'], [0xff0n, 0x1000n, 0x2000n]);
  t.same(s['results'], ['fault', 'ok', 'fault']);
  t.same(s['pas'], [null, 0x8000_1000n, null]);
  t.same(
    o.events.map((e) => e['input_addr']),
    [0xff0n, 0x2000n],
  );
});

t.test('validate: a DMA that wraps past 2^64 is rejected with its location; without size it is one transaction', async (t) => {
  const r = loadScenarioText(scenario("{ device: nic0, iova: '0xffff_ffff_ffff_fff8', access: read, size: 16 }"), { file: 'x.yaml' });
  t.same(
    r.errors.map((e) => `${e.code} ${e.line}:${e.col}`),
    ['BAD_VALUE 9:77'],
  );
  t.match(r.errors[0]?.message, /wraps past 2\^64/);
  const ok = loadScenarioText(scenario("{ device: nic0, iova: '0xffff_ffff_ffff_fffc', access: read }"), { file: 'x.yaml' });
  t.same(ok.errors, []);
});
