import t from 'tap';
import { readFileSync } from 'node:fs';
import { importQemu, parseArgs } from './qemu.ts';
import { collapseDuplicates } from './collapse.ts';
import { type EventRecord, type Trace } from './types.ts';

const FIX = new URL('../../test/fixtures/traces/', import.meta.url);
const load = (name: string): Trace => importQemu(readFileSync(new URL(name, FIX), 'utf8'));
const events = (tr: Trace): EventRecord[] => tr.records.filter((r): r is EventRecord => r.kind === 'event');

t.test('QEMU 7.2 log backend: events, commands, CERROR, GERROR, other lines kept', async (t) => {
  const tr = load('qemu-7.2.log');
  const ev = events(tr);
  t.equal(ev.length, 3);
  t.same(ev[0]?.raw, [0x0000001800000004n, 0n, 0x40100000n, 0n]);
  t.same(ev[0]?.known, ['Type', 'StreamID', 'InputAddr']);
  t.same(ev[0]?.lines, [4, 5], 'the translate_abort line adds InputAddr');
  t.same(ev.map((e) => e.raw[2]), [0x40100000n, 0x5000n, 0x5004n]);
  t.same(tr.records.filter((r) => r.kind === 'command').map((r) => (r.kind === 'command' ? r.name : '')), ['CFGI_STE', 'CMD_SYNC', 'TLBI_EL3_ALL']);
  t.match(tr.records.find((r) => r.kind === 'cmdq_error'), { cerror: 1, commandName: 'TLBI_EL3_ALL', lines: [19] });
  t.match(tr.records.find((r) => r.kind === 'gerror'), { active: 1 });
  t.match(tr.records.find((r) => r.kind === 'qemu' && r.name === 'smmu_ptw_page_pte'), { args: { stage: '1', level: '3', iova: '0x6000', 'pte@': '0x40043030' } });
  t.same(tr.diagnostics, []);
});

t.test('per-4-byte duplicates are folded only when asked', async (t) => {
  const tr = load('qemu-7.2.log');
  t.equal(events(tr).length, 3);
  const c = collapseDuplicates(tr);
  const ev = events(c);
  t.equal(ev.length, 2);
  t.equal(ev[1]?.collapsed, 1);
  t.same(ev[1]?.lines, [10, 11, 13, 14]);
  t.equal(events(tr)[1]?.collapsed, undefined, 'input trace untouched');
  const p = events(collapseDuplicates(load('qemu-propagate.log')));
  t.same(p.map((e) => e.collapsed), [1, undefined]);
});

t.test('collapse keeps distinct transactions apart', async (t) => {
  const mk = (addr: bigint, line: number): EventRecord => ({ kind: 'event', instance: '', lines: [line], raw: [0x0000000800000010n, 0n, addr, 0n] });
  const tr: Trace = { format: 'evtq', instances: [''], diagnostics: [], records: [mk(0x1000n, 1), mk(0x1004n, 2), mk(0x2000n, 3), mk(0x2000n, 4), mk(0x1ff8n, 5)] };
  t.same(events(collapseDuplicates(tr)).map((e) => [e.raw[2], e.collapsed]), [[0x1000n, 1], [0x2000n, undefined], [0x2000n, undefined], [0x1ff8n, undefined]]);
  const withCmd: Trace = { ...tr, records: [mk(0x1000n, 1), { kind: 'command', instance: '', lines: [2], name: 'CMD_SYNC' }, mk(0x1004n, 3)] };
  t.equal(events(collapseDuplicates(withCmd)).length, 2, 'a command between them ends the burst');
});

t.test('QEMU prefixes, decimal SIDs, unknown types and bad lines', async (t) => {
  const tr = load('qemu-propagate.log');
  const ev = events(tr);
  t.equal(ev[0]?.timestamp, '4242@1763780000.000001');
  t.same(ev[2]?.known, ['StreamID']);
  t.same(tr.diagnostics.map((d) => `${d.line}:${d.code}`), ['5:UNKNOWN_EVENT', '6:UNPARSEABLE']);
  const dec = importQemu('smmuv3_record_event SMMU_EVT_F_TRANS_FORBIDDEN sid=24\n');
  t.same(events(dec)[0]?.raw, [0x0000001800000007n, 0n, 0n, 0n]);
  t.same(parseArgs('a=1, b:0x2 c= d'), { a: '1', b: '0x2' });
});
