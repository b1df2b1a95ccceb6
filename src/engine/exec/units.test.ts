import t from 'tap';
import { decodeCommand } from '../../arch/command.ts';
import { encodeEvent } from '../../arch/event.ts';
import type { Scenario } from '../../scenario/types.ts';
import { encodeScenarioCommand } from './commands.ts';
import { eventRecord } from './events.ts';
import { allocAt, layoutKey } from './layout.ts';
import { execProfile } from './profile.ts';

const S: Scenario = { name: 'x', description: 'x', tags: [], devices: [{ name: 'nic0', sid: 0x42n }], steps: [] };

t.test('commands: SYNC, CFGI_ALL, device StreamID, RESUME resp, unknown parameter', (t) => {
  t.equal(decodeCommand(encodeScenarioCommand(S, { op: 'SYNC' }, 'c')).name, 'CMD_SYNC');
  const all = decodeCommand(encodeScenarioCommand(S, { op: 'CFGI_ALL' }, 'c'));
  t.same([all.name, all.fields['Range']], ['CFGI_STE_RANGE', 31n]);
  const ste = decodeCommand(encodeScenarioCommand(S, { op: 'CFGI_STE', device: 'nic0', leaf: true }, 'c'));
  t.same([ste.fields['StreamID'], ste.fields['Leaf']], [0x42n, 1n]);
  const va = decodeCommand(encodeScenarioCommand(S, { op: 'TLBI_NH_VA', asid: 5n, vmid: 1n, addr: 0x1234n }, 'c'));
  t.same([va.fields['ASID'], va.fields['VMID'], va.fields['Address']], [5n, 1n, 0x1000n]);
  const r = decodeCommand(encodeScenarioCommand(S, { op: 'RESUME', device: 'nic0', stag: 7n, resp: 'abort' }, 'c'));
  t.same([r.fields['Ac'], r.fields['Ab'], r.fields['STAG']], [0n, 1n, 7n]);
  t.same(encodeScenarioCommand(S, { raw: [0xffn, 1n] }, 'c'), [0xffn, 1n]);
  t.throws(() => encodeScenarioCommand(S, { op: 'TLBI_NH_ALL', asid: 1n }, 'step 3 (cmdq) command 1'), /step 3 \(cmdq\) command 1: TLBI_NH_ALL has no ASID/);
  t.throws(() => encodeScenarioCommand(S, { op: 'CFGI_STE', device: 'nope' }, 'c'), /device "nope" is not declared/);
  t.end();
});

t.test('events: fixed field order per type; ssid null without SSV; ipa only with S2=1', (t) => {
  const walk = eventRecord(
    4,
    encodeEvent('F_WALK_EABT', { StreamID: 3, SSV: 1, SubstreamID: 9, S2: 0, CLASS: 1, RnW: 1, InputAddr: 0x1000n, FetchAddr: 0x8000_0008n }),
  );
  t.same(Object.keys(walk), ['step', 'type', 'sid', 'ssid', 's2', 'class', 'rnw', 'pnu', 'ind', 'input_addr', 'fetch_addr', 'raw']);
  t.match(walk, { step: 4, sid: 3, ssid: 9, class: 'TT', fetch_addr: 0x8000_0008n });
  const bad = eventRecord(1, encodeEvent('C_BAD_SUBSTREAMID', { StreamID: 3, SubstreamID: 5 }));
  t.same(Object.keys(bad), ['step', 'type', 'sid', 'ssid', 'raw']);
  t.equal(bad['ssid'], 5);
  const dis = eventRecord(1, encodeEvent('F_STREAM_DISABLED', { StreamID: 3 }));
  t.same(Object.keys(dis), ['step', 'type', 'sid', 'raw']);
  const s2 = eventRecord(2, encodeEvent('F_PERMISSION', { StreamID: 1, S2: 1, CLASS: 1, TTRnW: 0, IPA: 0x4000_0000n, InputAddr: 0x10n }));
  t.match(s2, { s2: 1, class: 'TT', ttrnw: 0, ipa: 0x4000_0000n, ssid: null });
  const s1 = eventRecord(2, encodeEvent('F_ACCESS', { StreamID: 1, S2: 0, CLASS: 2, IPA: 0x4000_0000n }));
  t.equal(s1['ipa'], undefined);
  t.equal(s1['stag'], undefined);
  t.end();
});

t.test('profile: features map to IDR bits, queue sizes and strtab to boot options', (t) => {
  const p = execProfile({
    ...S,
    smmu: {
      oas: 44,
      features: { s2: false, stall: false, granule_64k: false, '2lvl_strtab': true },
      strtab: '2level',
      split: 6,
      cmdq_log2size: 5,
      cache_policy: 'none',
    },
  });
  t.match(p.profile, { oas: 44, s2p: false, stallModel: 1, stLevel: 1, granules: ['4k', '16k'] });
  t.match(p.boot, { strtab: '2level', split: 6, cmdqLog2: 5, evtqLog2: 8 });
  t.equal(p.cachePolicy, 'none');
  t.end();
});

t.test('layout helpers', (t) => {
  const a = allocAt(0x5000n, () => 0x9000n);
  t.same([a(4096), a(4096)], [0x5000n, 0x9000n]);
  t.equal(layoutKey('s2', 'vm-0.a', 'ttb'), 's2_vm_0_a_ttb');
  t.end();
});
