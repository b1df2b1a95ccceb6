import t from 'tap';
import fc from 'fast-check';
import { classifyGuestCommand, steInvalidationTargets } from './policy.ts';
import { ringCount, ringEmpty, ringFull, ringInc, ringIndex } from '../arch/queue.ts';

t.test('classifyGuestCommand: QEMU-accel-like forwarding policy', (tt) => {
  const c = (op: number, dw0hi = 0n) => classifyGuestCommand([BigInt(op) | dw0hi, 0n]);
  for (const op of [0x10, 0x11, 0x12, 0x13, 0x30, 0x40, 0x05, 0x06]) tt.equal(c(op), 'forward', `0x${op.toString(16)}`);
  tt.equal(c(0x46), 'sync');
  tt.equal(c(0x46, 3n << 12n), 'illegal', 'CMD_SYNC CS=0b11 is reserved');
  tt.equal(c(0x03), 'ste');
  tt.equal(c(0x04), 'ste');
  tt.equal(c(0x01), 'nop');
  tt.equal(c(0x02), 'nop');
  for (const op of [0x00, 0x20, 0x21, 0x28, 0x2a, 0x41, 0x44, 0x45, 0x7f, 0xff]) tt.equal(c(op), 'illegal', `0x${op.toString(16)}`);
  tt.end();
});

t.test('steInvalidationTargets: CFGI_STE, CFGI_STE_RANGE, CFGI_ALL', (tt) => {
  const known = [1, 2, 3, 4, 7, 8, 0x100];
  const ste = (sid: number) => [0x03n | (BigInt(sid) << 32n), 1n];
  const range = (sid: number, r: number) => [0x04n | (BigInt(sid) << 32n), BigInt(r)];
  tt.same(steInvalidationTargets(ste(7), known), [7]);
  tt.same(steInvalidationTargets(ste(9), known), []);
  tt.same(steInvalidationTargets(range(5, 1), known), [4, 7], 'Range 1: 4 StreamIDs from 5 aligned down to 4');
  tt.same(steInvalidationTargets(range(0, 2), known), [1, 2, 3, 4, 7]);
  tt.same(steInvalidationTargets(range(0, 31), known), known, 'CFGI_ALL');
  tt.end();
});

t.test('ring arithmetic: count/empty/full agree with repeated increments', (tt) => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 8 }), fc.nat(), fc.nat(), (log2, c0, k0) => {
      const r = { log2 };
      const cons = c0 & ((2 << log2) - 1);
      const k = k0 % ((1 << log2) + 1);
      let prod = cons;
      for (let i = 0; i < k; i++) prod = ringInc(r, prod);
      return (
        ringCount(r, prod, cons) === k &&
        ringEmpty(r, prod, cons) === (k === 0) &&
        ringFull(r, prod, cons) === (k === 1 << log2) &&
        ringIndex(r, prod) === (ringIndex(r, cons) + k) % (1 << log2)
      );
    }),
  );
  tt.end();
});
