import t from 'tap';
import { readFileSync } from 'node:fs';
import { importEvtq } from './evtq.ts';
import { type EventRecord } from './types.ts';

const FIX = new URL('../../test/fixtures/traces/', import.meta.url);
const load = (name: string, opts = {}) => importEvtq(readFileSync(new URL(name, FIX), 'utf8'), opts);
const raws = (name: string): bigint[][] => load(name).records.map((r) => (r as EventRecord).raw);

const A = [0x0000000800000010n, 0x0000020800000000n, 0x1000n, 0n];
const B = [0x0000001000005813n, 0x000011828000002an, 0x0000ffffc0001000n, 0x80042000n];
const C = [0x0000000300000009n, 0n, 0n, 0x40001040n];
const D = [0x0000002000000004n, 0n, 0n, 0n];

t.test('4 dwords per line, with/without 0x, commas, labels; trailing partial record', async (t) => {
  const tr = load('evtq-dwords.txt');
  t.same(
    tr.records.map((r) => (r as EventRecord).raw),
    [A, B, D, [0x0000000300000009n, 0n]],
  );
  t.same(
    tr.records.map((r) => r.lines),
    [[2], [3], [4], [5]],
  );
  t.equal((tr.records[3] as EventRecord).truncated, true);
  t.same(
    tr.diagnostics.map((d) => d.code),
    ['TRUNCATED_RECORD'],
  );
});

t.test('8 little-endian 32-bit words per line', async (t) => {
  t.same(raws('evtq-words32.txt'), [A, B]);
});

t.test('xxd, hexdump -C (with * repeat) and print_hex_dump memory dumps', async (t) => {
  t.same(raws('evtq-xxd.txt'), [A, B]);
  t.same(raws('evtq-hexdump-C.txt'), [D, [0n, 0n, 0n, 0n], A], '* repeats the previous line up to the next offset');
  t.same(raws('evtq-kernel-hexdump.txt'), [C]);
  t.same(load('evtq-kernel-hexdump.txt').diagnostics, []);
});

t.test('plain hexdump 16-bit words, forced word size, gaps and garbage are reported', async (t) => {
  const hd = importEvtq('0000000 0010 0000 0008 0000 0000 0000 0208 0000\n0000010 1000 0000 0000 0000 0000 0000 0000 0000\n0000020\n');
  t.same(
    hd.records.map((r) => (r as EventRecord).raw),
    [A],
  );
  const forced = importEvtq('0x10 0x8 0x0 0x208 0x1000 0x0 0x0 0x0\n', { wordSize: 32 });
  t.same(
    forced.records.map((r) => (r as EventRecord).raw),
    [A],
  );
  const bad = importEvtq('hello world\n00000000: 10 00 00 00 08 00 00 00\n00000040: 00 00 00 00 00 00 00 00\n00000048: 00 00\n', { instance: 'smmu0' });
  t.same(
    bad.diagnostics.map((d) => `${d.line}:${d.code}`),
    ['1:UNPARSEABLE', '2:TRUNCATED_RECORD', '3:GAP', '4:TRUNCATED_RECORD'],
  );
  t.same(bad.instances, ['smmu0']);
});
