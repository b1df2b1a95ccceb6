import t from 'tap';
import { detectFormat } from './cli.ts';
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
  t.same(
    ev.map((e) => e.raw[2]),
    [0x40100000n, 0x5000n, 0x5004n],
  );
  t.same(
    tr.records.filter((r) => r.kind === 'command').map((r) => (r.kind === 'command' ? r.name : '')),
    ['CFGI_STE', 'CMD_SYNC', 'TLBI_EL3_ALL'],
  );
  t.match(
    tr.records.find((r) => r.kind === 'cmdq_error'),
    { cerror: 1, commandName: 'TLBI_EL3_ALL', lines: [19] },
  );
  t.match(
    tr.records.find((r) => r.kind === 'gerror'),
    { active: 1 },
  );
  t.match(
    tr.records.find((r) => r.kind === 'qemu' && r.name === 'smmu_ptw_page_pte'),
    { args: { stage: '1', level: '3', iova: '0x6000', 'pte@': '0x40043030' } },
  );
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
  t.same(
    p.map((e) => e.collapsed),
    [1, undefined],
  );
});

t.test('collapse keeps distinct transactions apart', async (t) => {
  const mk = (addr: bigint, line: number): EventRecord => ({ kind: 'event', instance: '', lines: [line], raw: [0x0000000800000010n, 0n, addr, 0n] });
  const tr: Trace = {
    format: 'evtq',
    instances: [''],
    diagnostics: [],
    records: [mk(0x1000n, 1), mk(0x1004n, 2), mk(0x2000n, 3), mk(0x2000n, 4), mk(0x1ff8n, 5)],
  };
  t.same(
    events(collapseDuplicates(tr)).map((e) => [e.raw[2], e.collapsed]),
    [
      [0x1000n, 1],
      [0x2000n, undefined],
      [0x2000n, undefined],
      [0x1ff8n, undefined],
    ],
  );
  const withCmd: Trace = { ...tr, records: [mk(0x1000n, 1), { kind: 'command', instance: '', lines: [2], name: 'CMD_SYNC' }, mk(0x1004n, 3)] };
  t.equal(events(collapseDuplicates(withCmd)).length, 2, 'a command between them ends the burst');
});

t.test('QEMU prefixes, decimal SIDs, unknown types and bad lines', async (t) => {
  const tr = load('qemu-propagate.log');
  const ev = events(tr);
  t.equal(ev[0]?.timestamp, '4242@1763780000.000001');
  t.same(ev[2]?.known, ['StreamID']);
  t.same(
    tr.diagnostics.map((d) => `${d.line}:${d.code}`),
    ['5:UNKNOWN_EVENT', '6:UNPARSEABLE'],
  );
  const dec = importQemu('smmuv3_record_event SMMU_EVT_F_TRANS_FORBIDDEN sid=24\n');
  t.same(events(dec)[0]?.raw, [0x0000001800000007n, 0n, 0n, 0n]);
  t.same(parseArgs('a=1, b:0x2 c= d'), { a: '1', b: '0x2', c: 'd' });
});

t.test('every QEMU argument spelling (issue 15 item 5)', async (t) => {
  t.same(parseArgs('addr: 0x20 val: 0x1 size: 0x4(4)'), { addr: '0x20', val: '0x1', size: '0x4' });
  t.same(parseArgs('sid =0x18 iova=0x5000'), { sid: '0x18', iova: '0x5000' });
  t.same(parseArgs('sid = 24, stage 1'), { sid: '24', stage: '1' });
  t.same(parseArgs('sid 8 features:0x1, sid_split:0x8'), { sid: '8', features: '0x1', sid_split: '0x8' });
  t.same(parseArgs('STE addr: 0x40000600'), { addr: '0x40000600', 'STE addr': '0x40000600' });
});

t.test('MMIO lines name the register, Secure bank included', async (t) => {
  const tr = importQemu(
    [
      'smmuv3_write_mmio addr: 0x20 val: 0x1 size: 0x4(4)',
      'smmuv3_read_mmio addr: 0x8020 val: 0x0 size: 0x4(4)',
      'smmuv3_read_mmio addr: 0x7ff0 val: 0x0 size: 0x4(4)',
    ].join('\n'),
  );
  t.same(
    tr.records.map((r) => (r.kind === 'qemu' ? r.args['register'] : 'x')),
    ['CR0', 'S_CR0', undefined],
  );
});

t.test('-d guest_errors event lines become records; the trace line after one adds its StreamID', async (t) => {
  const tr = importQemu(
    [
      'smmuv3-iommu-memory-region-24-1 translation failed for iova=0x5000 (SMMU_EVT_F_TRANSLATION)',
      'smmuv3_record_event SMMU_EVT_F_TRANSLATION sid=0x18',
      'smmuv3-iommu-memory-region-24-1 translation failed for iova=0x6000(SMMU_EVT_F_PERMISSION)',
      'Illegal command type: 255',
    ].join('\n'),
  );
  const ev = events(tr);
  t.equal(ev.length, 2, 'the guest_errors line and its trace line are one event');
  t.same(ev[0]?.raw, [0x0000001800000010n, 0n, 0x5000n, 0n]);
  t.same(ev[0]?.known, ['Type', 'StreamID', 'InputAddr']);
  t.same(ev[0]?.lines, [1, 2]);
  t.same(ev[1]?.raw, [0x13n, 0n, 0x6000n, 0n], 'older QEMU: no space before the parenthesis');
  t.same(ev[1]?.known, ['Type', 'InputAddr']);
  t.match(tr.records[2], { kind: 'cmdq_error', cerror: 1, reason: 'Illegal command type: 255', lines: [4] });
  t.same(tr.diagnostics, []);
});

t.test('-d guest_errors: an event name wrapped onto the next line is joined; a line without one is a partial record, reported', async (t) => {
  const tr = importQemu(
    [
      'smmuv3-iommu-memory-region-24-1 translation failed for iova=0x5000',
      '(SMMU_EVT_F_ACCESS)',
      'smmuv3_record_event SMMU_EVT_F_ACCESS sid=0x18',
      'smmuv3-iommu-memory-region-24-1 translation failed for iova=0x7000',
      'smmuv3_cmdq_opcode <--- CMD_SYNC',
    ].join('\n'),
  );
  const ev = events(tr);
  t.equal(ev.length, 2);
  t.same(ev[0]?.raw, [0x0000001800000012n, 0n, 0x5000n, 0n], 'type from the wrapped tail, StreamID from the trace line');
  t.same(ev[0]?.known, ['Type', 'StreamID', 'InputAddr']);
  t.same(ev[0]?.lines, [1, 2, 3]);
  t.same(ev[1]?.known, ['InputAddr'], 'no event name: only the address is known');
  t.same(ev[1]?.raw, [0n, 0n, 0x7000n, 0n]);
  t.same(
    tr.diagnostics.map((d) => `${d.line}:${d.code}`),
    ['1:LINE_JOINED', '4:PARTIAL_RECORD'],
  );
  t.equal(detectFormat('region translation failed for iova=0x5000\n(SMMU_EVT_F_ACCESS)\n'), 'qemu', 'the wrapped form is recognised as QEMU output');
});
