// Canonical golden text, comparison (diff + first divergence), atomic writes, CI detection, obsolete goldens.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { canonicalGolden, scalar } from '../src/golden/canonical.ts';
import { compareGolden, firstDivergence } from '../src/golden/compare.ts';
import { findObsoleteGoldens, isCi, writeGoldenAtomic } from '../src/golden/store.ts';
import type { Observation } from '../src/scenario/observation.ts';

const obs = (over: Partial<Observation> = {}): Observation => ({
  scenario: 'nested/x',
  steps: [
    { result: 'fault', op: 'dma', step: 1 },
    { step: 2, op: 'cmdq', result: 'ok', cerror: 'CERROR_NONE' },
  ],
  events: [{ input_addr: 0x1000n, type: 'F_TRANSLATION', step: 1, s2: true, class: 'TT', raw: [0x10n, 0n, 0x1000n, 0x4000_0000n] }],
  guest_events: [],
  host_log: ['arm-smmu-v3 0000:00:01.0: event 0x10 received:', "it's"],
  cmdq: { cons: '0x00000003', error: 'CERROR_NONE' },
  ...over,
});

t.test('canonical text: fixed section and key order, fixed-width hex, one record per line', async (t) => {
  t.equal(
    canonicalGolden(obs()),
    [
      'scenario: nested/x',
      'steps:',
      '  - { step: 1, op: dma, result: fault }',
      '  - { step: 2, op: cmdq, result: ok, cerror: CERROR_NONE }',
      'events:',
      "  - { step: 1, type: F_TRANSLATION, input_addr: '0x0000000000001000', s2: true, class: TT, raw: ['0x0000000000000010', '0x0000000000000000', '0x0000000000001000', '0x0000000040000000'] }",
      'guest_events: []',
      'host_log:',
      "  - 'arm-smmu-v3 0000:00:01.0: event 0x10 received:'",
      "  - 'it''s'",
      "cmdq: { cons: '0x00000003', error: CERROR_NONE }",
      '',
    ].join('\n'),
  );
  t.equal(scalar('true'), "'true'", 'YAML keywords are quoted');
  t.equal(scalar('a\nb'), '"a\\nb"', 'control characters use double quotes');
  t.equal(scalar(-1n), "'0xffffffffffffffff'", "bigint is 64-bit two's complement");
});

t.test('comparison: match, missing, mismatch with unified diff and first divergence', async (t) => {
  const text = canonicalGolden(obs());
  t.same(compareGolden(text, text, 'golden/x.yaml'), { status: 'match' });
  t.same(compareGolden(text, text.replace(/\n/g, '\r\n'), 'g'), { status: 'match' }, 'CRLF goldens still match');
  t.same(compareGolden(text, undefined, 'g'), { status: 'missing' });
  const changed = canonicalGolden(obs({ events: [{ step: 1, type: 'F_TRANSLATION', input_addr: 0x2000n, s2: true, class: 'TT', raw: [] }] }));
  const c = compareGolden(changed, text, 'golden/x.yaml');
  t.equal(c.status, 'mismatch');
  t.equal(c.summary, 'events[0] (step 1 F_TRANSLATION): field input_addr: expected "0x0000000000001000", got "0x0000000000002000"');
  t.match(c.diff, /^--- golden\/x\.yaml\n\+\+\+ golden\/x\.yaml \(actual\)\n/m);
  t.match(c.diff, /\n-  - \{ step: 1, type: F_TRANSLATION, input_addr: '0x0000000000001000'/);
  t.match(firstDivergence(text, canonicalGolden(obs({ events: [] }))), /^events: expected 1 records, got 0 \(first missing: \{"step":1,"type":"F_TRANSLATION"/);
  t.match(firstDivergence('a: [', text), /not valid YAML/);
});

t.test('a diff too large for jsdiff falls back to the summary (createTwoFilesPatch returns undefined)', async (t) => {
  const many = (salt: string) => ({ host_log: Array.from({ length: 1100 }, (_, i) => `${salt}${i}`) });
  const c = compareGolden(canonicalGolden(obs(many('a'))), canonicalGolden(obs(many('b'))), 'g');
  t.equal(c.status, 'mismatch');
  t.match(c.diff, /^\(outputs too different for a line diff; host_log\[0\]: expected "b0", got "a0"\)/);
});

t.test('CI detection tests the value', async (t) => {
  for (const v of ['true', '1', 'TRUE', 'yes', 'github']) t.equal(isCi({ CI: v }), true, `CI=${v}`);
  for (const v of ['false', '0', '', 'no', undefined]) t.equal(isCi(v === undefined ? {} : { CI: v }), false, `CI=${String(v)}`);
});

t.test('atomic write: an interrupted write keeps the old golden intact and leaves no temp file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'golden-'));
  const path = join(dir, 'a', 'b.yaml');
  writeGoldenAtomic(path, 'old\n');
  t.equal(readFileSync(path, 'utf8'), 'old\n');
  const crashBeforeRename = {
    writeFileSync: (p: string, d: string) => writeFileSync(p, d.slice(0, 3)), // torn write into the temp file
    renameSync: () => {
      throw new Error('simulated crash between temp write and rename');
    },
  };
  t.throws(() => writeGoldenAtomic(path, 'new content\n', crashBeforeRename), /simulated crash/);
  t.equal(readFileSync(path, 'utf8'), 'old\n', 'old golden untouched');
  t.same(readdirSync(join(dir, 'a')), ['b.yaml'], 'temp file removed');
  const crashInWrite = {
    writeFileSync: () => {
      throw new Error('disk full');
    },
    renameSync: () => t.fail('no rename'),
  };
  t.throws(() => writeGoldenAtomic(join(dir, 'a', 'c.yaml'), 'x', crashInWrite), /disk full/);
  t.notOk(existsSync(join(dir, 'a', 'c.yaml')), 'no partial new golden');
});

t.test('obsolete goldens are those without a scenario', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'obs-'));
  mkdirSync(join(dir, 'scenarios', 's1'), { recursive: true });
  mkdirSync(join(dir, 'golden', 's1'), { recursive: true });
  writeFileSync(join(dir, 'scenarios', 's1', 'kept.yaml'), '');
  writeFileSync(join(dir, 'golden', 's1', 'kept.yaml'), '');
  writeFileSync(join(dir, 'golden', 's1', 'gone.yaml'), '');
  writeFileSync(join(dir, 'golden', 's1', '.gone.yaml.1.tmp'), '');
  t.same(findObsoleteGoldens(join(dir, 'golden'), join(dir, 'scenarios')), ['s1/gone']);
});
