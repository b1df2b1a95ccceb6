import t from 'tap';
import { DECODE_USAGE, parseDword, runDecode } from './decode.ts';

const ev = ['0x0000000800000010', '0x0000000800000000', '0x0000000010005024', '0x0'];

t.test('decode event prints the name and every field', async (t) => {
  const r = runDecode(['event', ...ev]);
  t.equal(r.exitCode, 0);
  t.equal(r.stderr, '');
  const lines = r.stdout.split('\n');
  t.equal(lines[0], 'F_TRANSLATION (event 0x10)');
  t.match(r.stdout, /^ {2}StreamID +dw0\[63:32\] +0x8$/m);
  t.match(r.stdout, /^ {2}RnW +dw1\[35\] +1 \(read\)$/m);
  t.match(r.stdout, /^ {2}CLASS +dw1\[41:40\] +0 \(CD\)$/m);
  t.match(r.stdout, /^ {2}InputAddr +dw2\[63:0\] +0x10005024$/m);
  t.match(r.stdout, /^ {2}IPA +dw3\[55:12\] +0x0/m);
  t.notMatch(r.stdout, /FetchAddr|note:/);
  // Every F_TRANSLATION field is listed: header + raw + 14 fields + trailing newline.
  t.equal(lines.length, 2 + 14 + 1);
});

t.test('decode of each kind', async (t) => {
  const cmd = runDecode(['cmd', '0x0fc01046', '0x8000_1230']);
  t.equal(cmd.exitCode, 0);
  t.match(cmd.stdout, /^CMD_SYNC \(command opcode 0x46\)/);
  t.match(cmd.stdout, /CS +dw0\[13:12\] +1 \(SIG_IRQ\)/);
  t.match(cmd.stdout, /MSIAddr +dw1\[55:2\] +0x80001230/);
  const ste = runDecode(['ste', '0xd', '0', '0x0449b6c400000000', '0x000dbeefdeadbee0', '0', '0', '0', '0', '--nonzero']);
  t.match(ste.stdout, /^STE \(V=1, Config=S2_TRANS\)/);
  t.match(ste.stdout, /S2TG +dw2\[47:46\] +2 \(16KB\)/);
  t.match(ste.stdout, /S2TTB +dw3\[55:4\] +0xdbeefdeadbee0/);
  t.notMatch(ste.stdout, /S1ContextPtr/);
  const cd = runDecode(['cd', '0x030ae201c0003684', '0', '0', '0', '0', '0', '0', '0']);
  t.match(cd.stdout, /^CD \(V=1, ASID=778\)/);
  t.match(cd.stdout, /TG1 +dw0\[23:22\] +0 \(RESERVED\)/);
  t.match(runDecode(['l1cd', '0x80001001']).stdout, /L2Ptr +dw0\[55:12\] +0x80001000/);
  t.match(runDecode(['l1std', '0x80001049']).stdout, /Span +dw0\[4:0\] +9/);
  t.match(runDecode(['CMD', '0x99', '0']).stdout, /^UNKNOWN \(reserved opcode: CERROR_ILL\) \(command opcode 0x99\)/);
  t.match(runDecode(['event', '0xe3', '0', '0', '0']).stdout, /^IMPDEF_0xE3 \(event 0xe3\)/);
  t.match(runDecode(['event', '0x30', '0', '0', '0']).stdout, /^UNKNOWN \(reserved event number\) \(event 0x30\)/);
});

t.test('RES0 bits are reported, not hidden', async (t) => {
  const r = runDecode(['event', '0000000500064808', '0', '0', '0']);
  t.equal(r.exitCode, 0);
  t.match(r.stdout, /^C_BAD_SUBSTREAMID/);
  t.match(r.stdout, /note: bits outside every C_BAD_SUBSTREAMID field \(RES0\) are set: dw0=0x0000000000000800/);
});

t.test('bad input: one line on stderr, exit 2', async (t) => {
  const cases: [string[], RegExp][] = [
    [['event', '1', '2'], /event needs 4 dwords, got 2/],
    [['cmd', '1'], /cmd needs 2 dwords, got 1/],
    [['ste', ...ev], /ste needs 8 dwords, got 4/],
    [['l1std', '0xzz'], /cannot parse dword 0 "0xzz"/],
    [['l1cd', '0x1_0000_0000_0000_0000'], /cannot parse dword 0/],
    [['l1cd', '-1'], /unknown option|cannot parse/],
    [['evnt', '1'], /unknown kind "evnt" \(did you mean "event"\?\)/],
    [[], /missing <kind>/],
    [['event', ...ev, '--all'], /unknown option "--all"/],
  ];
  for (const [args, re] of cases) {
    const r = runDecode(args);
    t.equal(r.exitCode, 2, args.join(' '));
    t.equal(r.stdout, '');
    t.match(r.stderr, re);
    t.equal(r.stderr.trimEnd().split('\n').length, 1, 'one line');
  }
  const h = runDecode(['--help']);
  t.equal(h.exitCode, 0);
  t.equal(h.stdout, `${DECODE_USAGE}\n`);
});

t.test('parseDword', async (t) => {
  t.equal(parseDword('0x10'), 16n);
  t.equal(parseDword('0X1_0'), 16n);
  t.equal(parseDword('10'), 10n);
  t.equal(parseDword('ff'), 255n);
  t.equal(parseDword('010'), 16n);
  t.equal(parseDword('0000000800000010'), 0x0000000800000010n);
  t.equal(parseDword('0'), 0n);
  t.equal(parseDword('ffffffffffffffff'), (1n << 64n) - 1n);
  t.equal(parseDword('0x1ffffffffffffffff'), undefined);
  t.equal(parseDword('12g'), undefined);
  t.equal(parseDword('_1'), undefined);
  t.equal(parseDword(''), undefined);
  t.equal(parseDword('0x'), undefined);
});

t.test('decode s1ttd / s2ttd: table, block, page or invalid by bits[1:0], level and granule', async (t) => {
  const page = runDecode(['s1ttd', '0x0040_0000_8000_1743']);
  t.equal(page.exitCode, 0);
  t.match(page.stdout, /^page stage-1 level-3 descriptor, 4K granule\n/);
  t.match(page.stdout, /AF/);
  const table = runDecode(['s2ttd', '0x1000_0003', '--level=1']);
  t.match(table.stdout, /^table stage-2 level-1 descriptor, 4K granule\n/);
  t.match(runDecode(['s2ttd', '0x4000_0401', '--level=2', '--granule=64k']).stdout, /^block stage-2 level-2 descriptor, 64K granule\n/);
  t.match(runDecode(['s1ttd', '0x0']).stdout, /^invalid stage-1 level-3 descriptor.*Translation fault/);
  t.match(runDecode(['s1ttd', '0x1001']).stdout, /^reserved stage-1 level-3/);
  t.match(runDecode(['s1ttd', '1', '--level=7']).stderr, /--level must be 0, 1, 2 or 3/);
  t.match(runDecode(['s1ttd', '1', '--granule=8k']).stderr, /--granule must be 4k, 16k or 64k/);
});
