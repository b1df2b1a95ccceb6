import t from 'tap';
import { decodeCommand, encodeCommand } from '../arch/command.ts';
import { cmdAtcInvAll, cmdCfgiCd, cmdCfgiSte, cmdPrefetchConfig, cmdSync, cmdTlbiNhAll, cmdTlbiS12Vmall, cmdTlbiS2Ipa } from './commands.ts';

t.test('host command encodings agree with the command codec', (tt) => {
  tt.same(cmdCfgiSte(0x1234), encodeCommand('CFGI_STE', { StreamID: 0x1234, Leaf: 1 }));
  tt.same(cmdCfgiCd(0x10, 5), encodeCommand('CFGI_CD', { StreamID: 0x10, SubstreamID: 5, Leaf: 1 }));
  tt.same(cmdPrefetchConfig(7), encodeCommand('PREFETCH_CONFIG', { StreamID: 7 }));
  tt.same(cmdTlbiNhAll(9), encodeCommand('TLBI_NH_ALL', { VMID: 9 }));
  tt.same(cmdTlbiS12Vmall(9), encodeCommand('TLBI_S12_VMALL', { VMID: 9 }));
  tt.same(
    cmdTlbiS2Ipa(3, 0x4000_1000n, true, { num: 4, scale: 9, tg: 1, ttl: 3 }),
    encodeCommand('TLBI_S2_IPA', { VMID: 3, Address: 0x4000_1000n, Leaf: 1, NUM: 4, SCALE: 9, TG: 1, TTL: 3 }),
  );
  tt.same(cmdAtcInvAll(0x20), encodeCommand('ATC_INV', { StreamID: 0x20, Size: 52 }));
  tt.same(cmdSync(2), encodeCommand('CMD_SYNC', { CS: 2, MSH: 3, MSIAttr: 0xf }));
  tt.equal(decodeCommand(cmdSync()).name, 'CMD_SYNC');
  tt.end();
});
