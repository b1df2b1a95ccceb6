import t from 'tap';
import { hostLogArchitected, projectCanonical } from './normalise.ts';

const dump = (stage: 's1' | 's2', ipa: string): string[] => [
  'event 0x10 received:',
  '\t0x0000001000000010',
  `\t0x0000${stage === 's2' ? '0188' : '0200'}00000000`,
  '\t0x0000000080001010',
  '\t0x0000000070000000',
  `event: F_TRANSLATION client: 0000:01:00.0 sid: 0x10 ssid: 0 iova: 0x80001010 ipa: ${ipa}`,
  `unpriv data read ${stage} "Input address caused fault" stag: 0`,
];

t.test('host_log: raw dump dwords masked; a stage-1 fault keeps everything but its UNKNOWN IPA', async (t) => {
  t.same(hostLogArchitected(dump('s1', '0x70000000')), [
    'event 0x10 received:',
    '\t<raw>',
    '\t<raw>',
    '\t<raw>',
    '\t<raw>',
    'event: F_TRANSLATION client: 0000:01:00.0 sid: 0x10 ssid: 0 iova: 0x80001010 ipa: UNKNOWN',
    'unpriv data read s1 "Input address caused fault" stag: 0',
  ]);
  t.same(hostLogArchitected(dump('s1', '0')), hostLogArchitected(dump('s1', '0x1234')), 'two stage-1 IPAs compare equal');
});

t.test('host_log: a stage-2 fault keeps its IPA (architected, §7.3.13)', async (t) => {
  const out = hostLogArchitected(dump('s2', '0x70000000'));
  t.equal(out[5], 'event: F_TRANSLATION client: 0000:01:00.0 sid: 0x10 ssid: 0 iova: 0x80001010 ipa: 0x70000000');
  t.not(hostLogArchitected(dump('s2', '0x70000000'))[5], hostLogArchitected(dump('s2', '0x70001000'))[5]);
});

t.test('host_log: other lines, and dword-like lines outside a dump, are untouched', async (t) => {
  const lines = ['arm-smmu-v3: CMD_SYNC timeout at 0x00000005 [hwprod 0x00000006, hwcons 0x00000004]', '\t0x0000000000000001'];
  t.same(hostLogArchitected(lines), lines);
});

t.test('projectCanonical applies it under event-raw only', async (t) => {
  const golden = `scenario: x\nhost_log:\n${dump('s1', '0x70000000')
    .map((l) => `  - ${JSON.stringify(l)}`)
    .join('\n')}\n`;
  t.match(projectCanonical(golden, ['event-raw']), /ipa: UNKNOWN/);
  t.notMatch(projectCanonical(golden, ['illegal-reason']), /UNKNOWN|<raw>/);
});
