import t from 'tap';
import { eventInfo, encodeEvent } from '../arch/event.ts';
import type { FieldInput } from '../arch/fields.ts';
import { installSte } from './boot.ts';
import { type Kit, cdS1, events, mapPage, mkKit, steNested, steS1, steS2, table } from './testkit.ts';

function s1(cd: FieldInput = {}): Kit & { root: bigint } {
  const k = mkKit();
  const root = table(k.alloc);
  mapPage(k.mem, k.alloc, root, 0x1000n, 0x5000_0000n, 1);
  mapPage(k.mem, k.alloc, root, 0x2000n, 0x5000_1000n, 1, 'ro');
  const cdAddr = k.alloc.alloc(64, 64);
  k.mem.writeWords(cdAddr, cdS1(root, cd));
  installSte(k.dev, 1, steS1({ S1ContextPtr: cdAddr }));
  return { ...k, root };
}

t.test('stage-1 translation and a recorded F_PERMISSION (one record per transaction)', (t) => {
  const k = s1();
  t.same(k.dev.transaction({ sid: 1, iova: 0x1008n, access: 'write' }), { kind: 'translated', pa: 0x5000_0008n, stages: 's1' });
  const r = k.dev.transaction({ sid: 1, iova: 0x2010n, access: 'write' });
  t.same(r, { kind: 'aborted', event: 'F_PERMISSION', recorded: true, reason: 'F_PERMISSION at stage 1' });
  const ev = events(k.dev);
  t.equal(ev.length, 1);
  t.same(ev[0]?.fields, eventInfo('F_PERMISSION').codec.decode(encodeEvent('F_PERMISSION', { StreamID: 1, RnW: 0, CLASS: 2, InputAddr: 0x2010n })));
  t.end();
});

t.test('CD.R=0 suppresses recording of stage-1 translation faults; the transaction still aborts', (t) => {
  const k = s1({ R: 0 });
  const r = k.dev.transaction({ sid: 1, iova: 0x9000n, access: 'read' });
  t.same(r.kind === 'aborted' && [r.event, r.recorded], ['F_TRANSLATION', false]);
  t.equal(events(k.dev).length, 0);
  t.end();
});

t.test('F_WALK_EABT is recorded even with CD.R=0', (t) => {
  const k = s1({ R: 0 });
  k.mem.write64(k.root + 8n * 7n, 0x7f00_0000n | 3n);
  const r = k.dev.transaction({ sid: 1, iova: 7n << 30n, access: 'read' });
  t.same(r.kind === 'aborted' && [r.event, r.recorded], ['F_WALK_EABT', true]);
  const ev = events(k.dev);
  t.equal(ev[0]?.fields['FetchAddr'], 0x7f00_0000n, 'FetchAddr = the aborted descriptor');
  t.equal(ev[0]?.fields['CLASS'], 1n, 'CLASS=TT');
  t.end();
});

t.test('CD.A=0: a terminated stage-1 fault completes as RAZ/WI', (t) => {
  const k = s1({ A: 0 });
  const r = k.dev.transaction({ sid: 1, iova: 0x9000n, access: 'read' });
  t.same(r.kind === 'aborted' && [r.event, r.raz], ['F_TRANSLATION', true]);
  t.end();
});

t.test('STE.S2R=0 suppresses stage-2 fault records; S2R=1 records S2=1 CLASS=IN with the IPA', (t) => {
  for (const s2r of [0, 1]) {
    const k = mkKit();
    const s2 = table(k.alloc);
    mapPage(k.mem, k.alloc, s2, 0x4000_0000n, 0x6000_0000n, 2);
    installSte(k.dev, 2, steS2(s2, { S2R: s2r }));
    t.same(k.dev.transaction({ sid: 2, iova: 0x4000_0010n, access: 'read' }), { kind: 'translated', pa: 0x6000_0010n, stages: 's2' });
    const r = k.dev.transaction({ sid: 2, iova: 0x4000_5010n, access: 'read' });
    t.same(r.kind === 'aborted' && [r.event, r.recorded], ['F_TRANSLATION', s2r === 1]);
    const ev = events(k.dev);
    t.equal(ev.length, s2r);
    if (s2r === 1) {
      t.same(
        ev[0]?.fields,
        eventInfo('F_TRANSLATION').codec.decode(
          encodeEvent('F_TRANSLATION', { StreamID: 2, RnW: 1, S2: 1, CLASS: 2, InputAddr: 0x4000_5010n, IPA: 0x4000_5000n }),
        ),
      );
    }
  }
  t.end();
});

t.test('nested translation: CD and S1 tables fetched through stage 2', (t) => {
  const k = mkKit();
  const s2 = table(k.alloc);
  // Guest "IPA space" = identity for the pages the guest tables live in.
  const s1root = table(k.alloc);
  mapPage(k.mem, k.alloc, s1root, 0x1000n, 0x4000_0000n, 1); // allocates L2/L3 right after the root
  const cdPage = k.alloc.alloc(4096, 4096);
  mapPage(k.mem, k.alloc, s2, cdPage, cdPage, 2);
  // Map every S1 table page identity at stage 2 (root + the two it created).
  for (let p = s1root; p < s1root + 0x3000n; p += 0x1000n) mapPage(k.mem, k.alloc, s2, p, p, 2);
  mapPage(k.mem, k.alloc, s2, 0x4000_0000n, 0x6000_0000n, 2);
  k.mem.writeWords(cdPage, cdS1(s1root));
  installSte(k.dev, 3, steNested(s2, { S1ContextPtr: cdPage }));
  t.same(k.dev.transaction({ sid: 3, iova: 0x1004n, access: 'read' }), { kind: 'translated', pa: 0x6000_0004n, stages: 'nested' });
  const r = k.dev.transaction({ sid: 3, iova: 0x5000n, access: 'read' });
  t.equal(r.kind === 'aborted' && r.event, 'F_TRANSLATION');
  t.equal(events(k.dev).length, 1, 'one record');
  t.end();
});

t.test('§3.4: stage 1 bypassed (STE.Config=0b110): an input above the IAS records F_ADDR_SIZE, S2=0, CLASS=IN (no CD.R gate)', (t) => {
  const k = mkKit();
  const root = table(k.alloc);
  mapPage(k.mem, k.alloc, root, 0x4000_0000n, 0x8800_0000n, 2);
  installSte(k.dev, 0x20, steS2(root));
  const iova = 0x1_0000_4000_0000n; // above the 48-bit IAS
  const r = k.dev.transaction({ sid: 0x20, iova, access: 'read' });
  t.same(r.kind === 'aborted' && [r.event, r.recorded], ['F_ADDR_SIZE', true]);
  const got = events(k.dev);
  t.equal(got.length, 1);
  t.same(
    got[0]?.fields,
    eventInfo('F_ADDR_SIZE').codec.decode(encodeEvent('F_ADDR_SIZE', { StreamID: 0x20, SSV: 0, S2: 0, CLASS: 2, RnW: 1, InputAddr: iova })),
  );
  // STE.S2R=0 does not gate it either: it is a stage-1 fault.
  installSte(k.dev, 0x21, steS2(root, { S2R: 0 }));
  const q = k.dev.transaction({ sid: 0x21, iova, access: 'read' });
  t.same(q.kind === 'aborted' && q.recorded, true);
  t.end();
});
