import t from 'tap';
import { encodeCommand } from '../arch/command.ts';
import { eventInfo, encodeEvent } from '../arch/event.ts';
import { installSte, submitCommands } from './boot.ts';
import type { SmmuProfile } from './profile.ts';
import { StallTable } from './stall.ts';
import { type Kit, cdS1, events, mapPage, mkKit, steNested, steS1, steS2, table } from './testkit.ts';
import type { FieldInput } from '../arch/fields.ts';

/** SID 1: S1 with CD.S=1; VA 0x1000 mapped, 0x2000 not. */
function stallKit(profile: Partial<SmmuProfile> = {}, cd: FieldInput = { S: 1 }, evtqLog2 = 6): Kit & { root: bigint } {
  const k = mkKit({ profile, boot: { evtqLog2 } });
  const root = table(k.alloc);
  mapPage(k.mem, k.alloc, root, 0x1000n, 0x5000_0000n, 1);
  const cdAddr = k.alloc.alloc(64, 64);
  k.mem.writeWords(cdAddr, cdS1(root, cd));
  installSte(k.dev, 1, steS1({ S1ContextPtr: cdAddr }));
  installSte(k.dev, 2, steS1({ S1ContextPtr: cdAddr }));
  return { ...k, root };
}

const resume = (sid: number, stag: number, ac: number, ab: number): bigint[] => encodeCommand('RESUME', { StreamID: sid, STAG: stag, Ac: ac, Ab: ab });

t.test('a stallable fault with CD.S=1 is held: Stall=1 and a deterministic STAG in the record', (t) => {
  const k = stallKit();
  t.same(k.dev.transaction({ sid: 1, iova: 0x2000n, access: 'read' }), { kind: 'stalled', stag: 0 });
  t.same(k.dev.transaction({ sid: 1, iova: 0x3000n, access: 'write' }), { kind: 'stalled', stag: 1 });
  const ev = events(k.dev);
  t.equal(ev.length, 2);
  t.same(
    ev[0]?.fields,
    eventInfo('F_TRANSLATION').codec.decode(encodeEvent('F_TRANSLATION', { StreamID: 1, Stall: 1, STAG: 0, RnW: 1, CLASS: 2, InputAddr: 0x2000n })),
  );
  t.equal(ev[1]?.fields['STAG'], 1n);
  t.end();
});

t.test('RESUME Ac=1 retries (re-walks); Ac=0 Ab=0 → RAZ/WI; Ac=0 Ab=1 → abort (errata row 4)', (t) => {
  const k = stallKit();
  for (let i = 0; i < 3; i++) k.dev.transaction({ sid: 1, iova: 0x2000n, access: 'read' });
  mapPage(k.mem, k.alloc, k.root, 0x2000n, 0x5000_8000n, 1);
  const r = submitCommands(k.dev, [resume(1, 0, 1, 0), resume(1, 1, 0, 0), resume(1, 2, 0, 1), encodeCommand('CMD_SYNC', {})]);
  t.equal(r.error, 'CERROR_NONE');
  t.same(k.dev.stallCompletions, [
    { sid: 1, stag: 0, action: 'retry', result: { kind: 'translated', pa: 0x5000_8000n, stages: 's1' } },
    { sid: 1, stag: 1, action: 'terminate', result: { kind: 'aborted', raz: true, reason: 'CMD_RESUME Ac=0 Ab=0' } },
    { sid: 1, stag: 2, action: 'terminate', result: { kind: 'aborted', reason: 'CMD_RESUME Ac=0 Ab=1' } },
  ]);
  t.equal(k.dev.stalls.size, 0);
  t.end();
});

t.test('TERM_MODEL=1: Ab is ignored, termination always aborts', (t) => {
  const k = stallKit({ termModel: true });
  k.dev.transaction({ sid: 1, iova: 0x2000n, access: 'read' });
  submitCommands(k.dev, [resume(1, 0, 0, 0)]);
  t.same(k.dev.stallCompletions[0]?.result, { kind: 'aborted', reason: 'CMD_RESUME Ac=0 Ab=1' });
  t.end();
});

t.test('RESUME with no matching (StreamID, STAG) is a no-op; STALL_TERM ends every stall of the SID', (t) => {
  const k = stallKit();
  k.dev.transaction({ sid: 1, iova: 0x2000n, access: 'read' });
  k.dev.transaction({ sid: 2, iova: 0x2000n, access: 'read' });
  k.dev.transaction({ sid: 1, iova: 0x3000n, access: 'read' });
  t.equal(submitCommands(k.dev, [resume(2, 0, 1, 0), resume(1, 9, 1, 0)]).error, 'CERROR_NONE');
  t.equal(k.dev.stallCompletions.length, 0, 'wrong SID / unknown STAG: nothing happens');
  submitCommands(k.dev, [encodeCommand('STALL_TERM', { StreamID: 1 })]);
  t.same(
    k.dev.stallCompletions.map((c) => [c.sid, c.stag, c.action, c.result.kind]),
    [
      [1, 0, 'stall_term', 'aborted'],
      [1, 2, 'stall_term', 'aborted'],
    ],
  );
  t.same(
    k.dev.stalls.list().map((s) => [s.sid, s.stag]),
    [[2, 1]],
  );
  t.end();
});

t.test('non-stallable faults are not held even with CD.S=1 (F_WALK_EABT)', (t) => {
  const k = stallKit();
  k.mem.write64(k.root + 8n * 5n, 0x7f00_0000n | 3n); // L1 entry 5 → unbacked table
  const r = k.dev.transaction({ sid: 1, iova: 5n << 30n, access: 'read' });
  t.same(r.kind === 'aborted' && r.event, 'F_WALK_EABT');
  t.end();
});

t.test('STE.S2S=1 stalls stage-2 faults', (t) => {
  const k = mkKit();
  const s2 = table(k.alloc);
  installSte(k.dev, 3, steS2(s2, { S2S: 1 }));
  t.same(k.dev.transaction({ sid: 3, iova: 0x4000_0000n, access: 'read' }), { kind: 'stalled', stag: 0 });
  t.equal(events(k.dev)[0]?.fields['S2'], 1n);
  t.end();
});

t.test('STALL_MODEL=0b10 (stall forced): CD.S=1 required, faults stall', (t) => {
  const k = stallKit({ stallModel: 2 });
  t.same(k.dev.transaction({ sid: 1, iova: 0x2000n, access: 'read' }), { kind: 'stalled', stag: 0 });
  t.end();
});

t.test('§7.2.1: a stall whose record cannot be written (queue full) stays stalled and is retried once the queue is writable', (t) => {
  const k = stallKit({}, { S: 1 }, 1); // 2-entry event queue
  const r = [0, 1, 2].map((i) => k.dev.transaction({ sid: 1, iova: 0x2000n + BigInt(i * 0x1000), access: 'read' }));
  t.same(r[2], { kind: 'stalled', stag: 2 });
  t.equal(k.dev.unrecordedStalls, 1);
  t.notOk(k.dev.eventq.overflowPending(), 'stall records never overflow');
  const first = events(k.dev);
  t.same(
    first.map((e) => e.fields['STAG']),
    [0n, 1n],
  );
  t.same(
    k.dev.stallCompletions.map((c) => [c.stag, c.action, c.result]),
    [[2, 'requeue', { kind: 'stalled', stag: 3 }]],
    'retried as new: stalls again with a new STAG',
  );
  t.same(
    events(k.dev).map((e) => [e.fields['STAG'], e.fields['InputAddr']]),
    [[3n, 0x4000n]],
  );
  t.equal(k.dev.unrecordedStalls, 0);
  t.end();
});

t.test('§7.2.1: a stall retried after the queue becomes writable succeeds without an event when the mapping was fixed', (t) => {
  const k = stallKit();
  k.dev.writeReg(0x20, k.dev.readReg(0x20) & ~0b100n); // EVENTQEN=0
  t.same(k.dev.transaction({ sid: 1, iova: 0x2000n, access: 'read' }), { kind: 'stalled', stag: 0 });
  t.equal(k.dev.unrecordedStalls, 1);
  mapPage(k.mem, k.alloc, k.root, 0x2000n, 0x5000_9000n, 1);
  k.dev.writeReg(0x20, k.dev.readReg(0x20) | 0b100n); // EVENTQEN=1
  t.same(k.dev.stallCompletions, [{ sid: 1, stag: 0, action: 'requeue', result: { kind: 'translated', pa: 0x5000_9000n, stages: 's1' } }]);
  t.same(events(k.dev), [], 'no record: the transaction completed');
  t.equal(k.dev.stalls.size, 0);
  t.end();
});

t.test('§3.12.2.3: a stage-2 Translation fault on a nested CD fetch stalls with STE.S2S=1', (t) => {
  const k = mkKit();
  const s2 = table(k.alloc);
  installSte(k.dev, 4, steNested(s2, { S2S: 1, S1ContextPtr: 0x4000_0000n }));
  const r = k.dev.transaction({ sid: 4, iova: 0x1000n, access: 'write' });
  t.same(r, { kind: 'stalled', stag: 0 });
  const ev = events(k.dev);
  t.same(
    ev.map((e) => [e.name, e.fields['Stall'], e.fields['STAG'], e.fields['S2'], e.fields['CLASS'], e.fields['IPA'], e.fields['RnW']]),
    [['F_TRANSLATION', 1n, 0n, 1n, 0n, 0x4000_0000n, 0n]],
  );
  const noStall = mkKit();
  installSte(noStall.dev, 4, steNested(table(noStall.alloc), { S1ContextPtr: 0x4000_0000n }));
  t.same(noStall.dev.transaction({ sid: 4, iova: 0x1000n, access: 'write' }).kind, 'aborted', 'S2S=0: terminated');
  t.end();
});

t.test('StallTable: STAGs skip tags still in use', (t) => {
  const s = new StallTable<string>();
  t.equal(s.hold(1, 'a'), 0);
  t.equal(s.hold(1, 'b'), 1);
  t.equal(s.take(1, 0)?.req, 'a');
  t.equal(s.take(2, 1), undefined, 'wrong SID');
  t.end();
});

t.test('beyond IDR5.STALL_MAX outstanding stalls, a stallable fault terminates (recorded, Stall=0)', (t) => {
  const k = stallKit({ stallMax: 2 });
  const kinds = [0, 1, 2].map((i) => k.dev.transaction({ sid: 1, iova: 0x2000n + BigInt(i * 0x1000), access: 'read' }).kind);
  t.same(kinds, ['stalled', 'stalled', 'aborted']);
  t.same(
    events(k.dev).map((e) => e.fields['Stall']),
    [1n, 1n, 0n],
  );
  t.end();
});

t.test('clearing SMMUEN terminates every stalled transaction', (t) => {
  const k = stallKit();
  k.dev.transaction({ sid: 1, iova: 0x2000n, access: 'read' });
  k.dev.transaction({ sid: 2, iova: 0x2000n, access: 'read' });
  k.dev.writeReg(0x20, k.dev.readReg(0x20) & ~1n);
  t.equal(k.dev.stalls.size, 0);
  t.same(
    k.dev.stallCompletions.map((c) => [c.sid, c.action, c.result.kind]),
    [
      [1, 'terminate', 'aborted'],
      [2, 'terminate', 'aborted'],
    ],
  );
  t.end();
});
