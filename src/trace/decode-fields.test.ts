/**
 * `trace decode --fields` (issue 15 item 6): under each record, every field its type has, by
 * architecture name, from the one field table (src/arch/event.ts, src/arch/command.ts) — for
 * every event type the decoder knows; fields the log does not carry say so instead of a value.
 */
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVENTS } from '../arch/event.ts';
import { formatRecordFields } from './decode.ts';
import { runTraceDecode } from './cli.ts';
import { type EventRecord } from './types.ts';

const ev = (raw: bigint[], extra: Partial<EventRecord> = {}): EventRecord => ({ kind: 'event', instance: '', lines: [1], raw, ...extra });
/** Field name of each listing line (the first word). */
const names = (lines: readonly string[]): string[] => lines.map((l) => l.trim().split(/\s+/)[0] ?? '');

t.test('every field of every event type, by architecture name, with its value', async (t) => {
  t.ok(EVENTS.size >= 19, `${EVENTS.size} event types`);
  for (const [type, info] of EVENTS) {
    // All ones: every field non-zero, so a value printed from the wrong bits shows.
    const raw = [(0xffffffff_ffffff00n | BigInt(type)) & 0xffffffff_ffffffffn, 0xffffffff_ffffffffn, 0xffffffff_ffffffffn, 0xffffffff_ffffffffn];
    const lines = formatRecordFields(ev(raw));
    t.same(
      names(lines),
      info.codec.fields.map((f) => f.name),
      `${info.name}: each field of the layout once, in table order`,
    );
    for (const [i, f] of info.codec.fields.entries()) {
      const want = info.codec.get(raw, f.name);
      const line = lines[i] ?? '';
      t.ok(line.includes(` ${want.toString()}`) || line.includes(`0x${want.toString(16)}`), `${info.name}.${f.name} = ${want}: ${line.trim()}`);
    }
  }
  // Fields that depend on no flag: C_BAD_SUBSTREAMID has SubstreamID whatever SSV says; F_TRANSL_FORBIDDEN has RnW.
  t.match(formatRecordFields(ev([0x0000000800005008n, 0n, 0n, 0n])).join('\n'), /SubstreamID\s+dw0\[31:12\]\s+0x5\b/);
  t.match(formatRecordFields(ev([0x0000000800000007n, 0x0000000800000000n, 0x1000n, 0n])).join('\n'), /RnW\s+dw1\[35\]\s+1 \(read\)/);
});

t.test('fields the log does not carry are marked, never shown as 0', async (t) => {
  const trunc = formatRecordFields(ev([0x0000000800000010n, 0x0000020800000000n], { truncated: true }));
  t.match(
    trunc.find((l) => l.includes('InputAddr')),
    /not in the log/,
  );
  t.notMatch(
    trunc.find((l) => l.includes('StreamID')),
    /not in the log/,
  );
  const damaged = formatRecordFields(ev([0x0000000800000010n, 0n, 0x1000n, 0n], { damaged: [1] }));
  t.match(
    damaged.find((l) => l.trim().startsWith('RnW')),
    /not in the log/,
  );
  const known = formatRecordFields(ev([0x0000000800000010n, 0n, 0x1000n, 0n], { known: ['Type', 'StreamID', 'InputAddr'] }));
  t.match(
    known.find((l) => l.trim().startsWith('CLASS')),
    /not in the log/,
  );
  t.match(
    known.find((l) => l.trim().startsWith('InputAddr')),
    /0x1000/,
  );
});

t.test('CMDQ error: the skipped command decoded by its layout', async (t) => {
  const lines = formatRecordFields({ kind: 'cmdq_error', instance: '', lines: [1], cerror: 1, reason: 'Illegal command', command: [0x0000000500000003n, 0n] });
  t.match(lines[0], /command CMD_CFGI_STE:/);
  t.match(lines.join('\n'), /StreamID\s+dw0\[63:32\]\s+0x5/);
});

t.test('trace decode --fields prints them under each record', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'smmu-fields-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, 'x.log');
  writeFileSync(
    log,
    ['event 0x13 received:', '\t0x0000001000005813', '\t0x000011828000002a', '\t0x0000ffffc0001000', '\t0x0000000080042000']
      .map((l) => `[    1.000000] arm-smmu-v3 arm-smmu-v3.0.auto: ${l}`)
      .join('\n'),
  );
  const plain = runTraceDecode([log]);
  const full = runTraceDecode([log, '--fields']);
  t.equal(plain.stdout.split('\n').length, 2, 'one line per record without --fields');
  t.match(full.stdout, /^#1 .*F_PERMISSION[^\n]*\n {4}Type +dw0\[7:0\] +19 \(F_PERMISSION\)\n/);
  t.match(full.stdout, /\n {4}TTRnW +dw1\[44\] +1 \(descriptor read\)/);
  t.match(full.stdout, /\n {4}IPA +dw3\[55:12\] +0x80042000/);
});
