/** 2-level CD tables (§5.2 S1Fmt, §5.3 L1CD, §7.3.9): L1 index = SSID >> split, split 6 (S1Fmt 0b01) or 10 (0b10). */
import t from 'tap';
import { L1CD } from '../arch/cd.ts';
import { installSte } from './boot.ts';
import { cdS1, events, mapPage, mkKit, steS1, table } from './testkit.ts';

function twoLevel(s1fmt: 1 | 2, ssid: number): { pa: bigint | undefined; event: string | undefined } {
  const k = mkKit();
  const split = s1fmt === 1 ? 6 : 10;
  const root = table(k.alloc);
  mapPage(k.mem, k.alloc, root, 0x1000n, 0x5000_0000n, 1);
  const cdmax = 12;
  const l1 = k.alloc.alloc(8 * 2 ** (cdmax - split), 4096);
  const l1Index = ssid >> split;
  const l2Bytes = 64 * 2 ** split;
  const l2 = k.alloc.alloc(l2Bytes, l2Bytes);
  k.mem.write64(l1 + BigInt(l1Index * 8), L1CD.encode({ V: 1, L2Ptr: l2 })[0] ?? 0n);
  // Only the CD at the expected L2 slot is valid; any other slot is V=0 → C_BAD_CD.
  k.mem.writeWords(l2 + BigInt((ssid % 2 ** split) * 64), cdS1(root));
  installSte(k.dev, 1, steS1({ S1ContextPtr: l1, S1CDMax: cdmax, S1Fmt: s1fmt }));
  const r = k.dev.transaction({ sid: 1, ssid, iova: 0x1000n, access: 'read' });
  return { pa: r.kind === 'translated' ? r.pa : undefined, event: events(k.dev)[0]?.name };
}

t.test('§5.2 S1Fmt=0b01: 64 CDs (4KB) per L2 table; SSID 65 → L1CD[1], CD 1', (t) => {
  t.same(twoLevel(1, 65), { pa: 0x5000_0000n, event: undefined });
  t.same(twoLevel(1, 63), { pa: 0x5000_0000n, event: undefined });
  t.end();
});

t.test('§5.2 S1Fmt=0b10: 1024 CDs (64KB) per L2 table; SSID 1025 → L1CD[1], CD 1', (t) => {
  t.same(twoLevel(2, 1025), { pa: 0x5000_0000n, event: undefined });
  t.same(twoLevel(2, 4095), { pa: 0x5000_0000n, event: undefined });
  t.end();
});

t.test('§7.3.9: L1CD.V=0 for the SSID gives C_BAD_SUBSTREAMID (not C_BAD_CD)', (t) => {
  const k = mkKit();
  const l1 = k.alloc.alloc(4096, 4096);
  installSte(k.dev, 1, steS1({ S1ContextPtr: l1, S1CDMax: 12, S1Fmt: 2 }));
  const r = k.dev.transaction({ sid: 1, ssid: 2048, iova: 0x1000n, access: 'read' });
  t.same(r.kind === 'aborted' && r.event, 'C_BAD_SUBSTREAMID');
  const ev = events(k.dev);
  t.same(
    ev.map((e) => [e.name, e.fields['SubstreamID']]),
    [['C_BAD_SUBSTREAMID', 2048n]],
  );
  t.end();
});
