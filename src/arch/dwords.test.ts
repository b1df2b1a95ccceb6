import t from 'tap';
import { dwordsFromBytes, dwordsToBytes } from './dwords.ts';

t.test('little-endian words from bytes (hand-computed)', async (t) => {
  const b = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
  t.same(dwordsFromBytes(b, 2), [0x0807_0605_0403_0201n, 0x100f_0e0d_0c0b_0a09n]);
  t.same(dwordsFromBytes(b, 1, 8), [0x100f_0e0d_0c0b_0a09n], 'from an offset');
  t.same(dwordsFromBytes([0xff, 0xee], 2), [0xeeffn, 0n], 'bytes past the end read as zero');
  t.same(dwordsFromBytes(b.subarray(4), 2), [0x0c0b_0a09_0807_0605n, 0x100f_0e0dn], 'a typed-array view: its own offset, a short tail');
  t.same(dwordsFromBytes(b, 2), dwordsFromBytes([...b], 2), 'a typed array reads as the same plain array');
});

t.test('words to bytes: modulo 2^64, into a given array at an offset', async (t) => {
  t.same([...dwordsToBytes([0x0807_0605_0403_0201n])], [1, 2, 3, 4, 5, 6, 7, 8]);
  t.same([...dwordsToBytes([-1n])], [255, 255, 255, 255, 255, 255, 255, 255]);
  const out = new Uint8Array(12);
  dwordsToBytes([0x1122n], out, 2);
  t.same([...out], [0, 0, 0x22, 0x11, 0, 0, 0, 0, 0, 0, 0, 0]);
  const words = [0xdead_beef_0123_4567n, 0x8000_0000_0000_0001n];
  t.same(dwordsFromBytes(dwordsToBytes(words), 2), words, 'round trip');
});
