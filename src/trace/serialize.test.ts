import t from 'tap';
import { parse as parseYaml } from 'yaml';
import { traceToJson, traceToYaml } from './serialize.ts';
import { type Trace } from './types.ts';

t.test('YAML writer: every string reads back as itself (quoting, escapes, reserved words)', async (t) => {
  const tricky = [
    'plain',
    'yes',
    'No',
    'null',
    '~',
    '0x10',
    '12',
    '1e3',
    'a: b',
    'a #b',
    '- x',
    '[x]',
    '{x}',
    'x ',
    ' x',
    '"q"',
    "it's",
    'back\\slash',
    'tab\there',
    'nl\nhere',
    'esc\u001b[31m',
    'del\u007f',
    'c1\u0085',
    'bidi\u202e',
    'bom\ufeff',
    '/smmuv3@2b400000',
    '(unassigned sid)',
    'Mon Jan 13 10:23:45 2025',
    '',
  ];
  const tr: Trace = {
    format: 'dmesg',
    instances: tricky,
    records: tricky.map((s, i) => ({ kind: 'qemu' as const, instance: s, lines: [i + 1], name: s, args: { [s || 'k']: s }, text: s })),
    diagnostics: [{ code: 'X', severity: 'note', line: 1, message: tricky.join('|') }],
  };
  const text = traceToYaml(tr);
  t.same(parseYaml(text), traceToJson(tr));
  t.notOk(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e\ufeff]/.test(text), 'no raw control characters in the output');
  const empty: Trace = { format: 'evtq', instances: [], records: [], diagnostics: [] };
  t.same(parseYaml(traceToYaml(empty)), traceToJson(empty));
});
