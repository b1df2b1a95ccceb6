import t from 'tap';
import { eventqOverflow, queueBase, ringConsume, ringCount, ringDec, ringEmpty, ringFull, ringInc, ringIndex, ringWrap } from './queue.ts';

const OVFLG = 1n << 31n;

t.test('EVENTQ overflow flag (§7.4): toggles only while no overflow is pending', (t) => {
  t.equal(eventqOverflow(0x5n, 0x5n), OVFLG | 0x5n, 'none pending: OVFLG 0 -> 1, WR kept');
  t.equal(eventqOverflow(OVFLG | 0x5n, 0x5n), OVFLG | 0x5n, 'pending (OVFLG != OVACKFLG): unchanged');
  t.equal(eventqOverflow(OVFLG | 0x7n, OVFLG | 0x2n), 0x7n, 'acknowledged (OVFLG == OVACKFLG): OVFLG 1 -> 0');
  t.end();
});

t.test('queue values (§3.5): index, wrap, empty, full, count, next and previous', (t) => {
  const r = { log2: 2 };
  t.equal(ringIndex(r, 0b110), 0b10);
  t.equal(ringWrap(r, 0b110), 1);
  t.ok(ringEmpty(r, 0b101, 0b101));
  t.ok(ringFull(r, 0b101, 0b001), 'same index, wraps differ');
  t.notOk(ringFull(r, 0b101, 0b101));
  t.equal(ringCount(r, 0b001, 0b110), 3);
  t.equal(ringInc(r, 0b111), 0, 'wraps past the wrap bit');
  t.equal(ringDec(r, 0), 0b111, 'the value before 0 is the last slot with the wrap bit set');
  t.end();
});

t.test('ringConsume (§3.5): every entry from CONS to PROD in order, across the wrap', (t) => {
  const r = { log2: 2 };
  // CONS index 2 wrap 0, PROD index 1 wrap 1: entries 2, 3, 0 and CONS ends equal to PROD
  t.same(
    ringConsume(r, 0b101, 0b010, (i) => i),
    { entries: [2, 3, 0], cons: 0b101 },
  );
  t.same(
    ringConsume(r, 0b110, 0b110, (i) => i),
    { entries: [], cons: 0b110 },
    'empty: nothing read, CONS as given',
  );
  t.same(
    ringConsume(r, 0b001, 0b101, (i) => i),
    { entries: [1, 2, 3, 0], cons: 0b001 },
    'full: all four',
  );
  t.end();
});

t.test('queue base: ADDR aligned to the queue size, at least 32 bytes (§6.3.26, §6.3.29)', (t) => {
  t.equal(queueBase(0x8000_1234n, 256, 16), 0x8000_1000n, '256 commands: 4 KiB');
  t.equal(queueBase(0x8000_1234n, 1, 16), 0x8000_1220n, 'one command: 32 bytes, not 16');
  t.equal(queueBase(0x8000_1fe0n, 256, 32), 0x8000_0000n, '256 events: 8 KiB');
  t.end();
});
