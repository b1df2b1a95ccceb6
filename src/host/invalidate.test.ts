import t from 'tap';
import {
  INVALIDATE_DATA_ARM_SMMUV3,
  commandsToBytes,
  convertGuestCommand,
  invalidateViommu,
  type InvalidateArgs,
  type IssueFn,
  type VsmmuView,
} from './invalidate.ts';
import { OPCODE as OP, commandOpcode as opcodeOf } from '../arch/command.ts';

const view: VsmmuView = { vmid: 0x42, lookupVsid: (v) => (v === 1 ? 0x10 : v === 2 ? 0x20 : undefined) };
const nhVa = (asid: number, addr: bigint, vmid = 0x99): bigint[] => [
  BigInt(OP.TLBI_NH_VA) | (BigInt(vmid) << 32n) | (BigInt(asid) << 48n) | (3n << 12n),
  addr | 1n,
];
const cfgiCd = (vsid: number, ssid = 0): bigint[] => [BigInt(OP.CFGI_CD) | (1n << 11n) | (BigInt(ssid) << 12n) | (BigInt(vsid) << 32n), 1n];
const args = (cmds: bigint[][], over: Partial<InvalidateArgs> = {}): InvalidateArgs => ({
  dataType: INVALIDATE_DATA_ARM_SMMUV3,
  entryLen: 16,
  entryNum: cmds.length,
  data: commandsToBytes(cmds),
  ...over,
});
const okIssue = (): { fn: IssueFn; batches: bigint[][][] } => {
  const batches: bigint[][][] = [];
  return {
    fn: (c) => {
      batches.push(c);
      return { ok: true };
    },
    batches,
  };
};

t.test('behaviour 11: NH_VA VMID replaced by the vIOMMU VMID, rest passed through', (tt) => {
  const g = nhVa(5, 0x1000n);
  const r = convertGuestCommand(view, g);
  tt.ok(r.ok);
  if (r.ok) {
    tt.equal((r.cmd[0] >> 32n) & 0xffffn, 0x42n);
    tt.equal(r.cmd[0] & ~(0xffffn << 32n), (g[0] ?? 0n) & ~(0xffffn << 32n), 'ASID/NUM/opcode unchanged');
    tt.equal(r.cmd[1], g[1]);
  }
  for (const op of [OP.TLBI_NH_ALL, OP.TLBI_NH_ASID, OP.TLBI_NH_VAA]) {
    const c = convertGuestCommand(view, [BigInt(op) | (0x7777n << 32n), 0n]);
    tt.equal(c.ok && (c.cmd[0] >> 32n) & 0xffffn, 0x42n, `op 0x${op.toString(16)}`);
  }
  tt.end();
});

t.test('behaviour 12: NSNH_ALL becomes a fresh NH_ALL(vIOMMU VMID): other dw0 bits and dw1 zero', (tt) => {
  const r = convertGuestCommand(view, [BigInt(OP.TLBI_NSNH_ALL) | (0x5n << 12n) | (0xbeefn << 48n), 0xdeadn]);
  tt.ok(r.ok);
  if (r.ok) {
    tt.equal(opcodeOf(r.cmd), OP.TLBI_NH_ALL);
    tt.equal(r.cmd[0], BigInt(OP.TLBI_NH_ALL) | (0x42n << 32n));
    tt.equal(r.cmd[1], 0n);
  }
  tt.end();
});

t.test('behaviour 13: CFGI_CD / CFGI_CD_ALL / ATC_INV vSID → pSID', (tt) => {
  for (const op of [OP.CFGI_CD, OP.CFGI_CD_ALL, OP.ATC_INV]) {
    const g = [BigInt(op) | (1n << 11n) | (7n << 12n) | (2n << 32n), 0x1234n];
    const r = convertGuestCommand(view, g);
    tt.ok(r.ok);
    if (r.ok) tt.same(r.cmd, [BigInt(op) | (1n << 11n) | (7n << 12n) | (0x20n << 32n), 0x1234n]);
  }
  tt.end();
});

t.test('behaviour 14: unknown vSID at index i → EIO, entry_num i, pending chunk not issued', (tt) => {
  const cmds = [nhVa(1, 0x1000n), cfgiCd(1), cfgiCd(9), nhVa(2, 0x2000n)];
  const io = okIssue();
  const r = invalidateViommu(view, args(cmds), io.fn);
  tt.equal(r.errno, 'EIO');
  tt.equal(r.entryNum, 2);
  tt.equal(io.batches.length, 0, 'Linux quirk: entries 0..1 converted but never issued');
  const io2 = okIssue();
  const r2 = invalidateViommu(view, args(cmds), io2.fn, { flushPendingOnError: true });
  tt.equal(r2.entryNum, 2);
  tt.equal(io2.batches.length, 1, 'flushPendingOnError issues the converted prefix');
  tt.equal(io2.batches[0]?.length, 3, '2 commands + CMD_SYNC');
  // failure after a full chunk: the first chunk was issued
  const many = [...Array.from({ length: 70 }, (_, i) => nhVa(1, BigInt(i) << 12n)), cfgiCd(9)];
  const io3 = okIssue();
  const r3 = invalidateViommu(view, args(many), io3.fn);
  tt.equal(r3.errno, 'EIO');
  tt.equal(r3.entryNum, 70);
  tt.equal(io3.batches.length, 1, 'only the first 63 were issued');
  tt.end();
});

t.test('behaviour 15: forbidden opcodes at index i → EIO, entry_num i', (tt) => {
  const forbidden = [
    OP.CFGI_STE,
    OP.CFGI_STE_RANGE,
    OP.PREFETCH_CONFIG,
    OP.TLBI_S12_VMALL,
    OP.TLBI_S2_IPA,
    OP.TLBI_EL2_ALL,
    0x21,
    0x22,
    OP.PRI_RESP,
    OP.RESUME,
    OP.CMD_SYNC,
    0x00,
    0x7f,
    0xff,
  ];
  for (const op of forbidden) {
    const io = okIssue();
    const r = invalidateViommu(view, args([nhVa(1, 0n), [BigInt(op), 0n]]), io.fn);
    tt.equal(r.errno, 'EIO', `opcode 0x${op.toString(16)}`);
    tt.equal(r.entryNum, 1);
  }
  tt.end();
});

t.test('behaviour 16: array errors', (tt) => {
  const one = [nhVa(1, 0n)];
  const io = okIssue();
  const check = (name: string, a: InvalidateArgs, errno: string): void => {
    const r = invalidateViommu(view, a, io.fn);
    tt.equal(r.errno, errno, name);
    tt.equal(r.entryNum, 0, `${name}: entry_num 0`);
  };
  check('wrong data_type', args(one, { dataType: 0 }), 'EINVAL');
  check('entry_num 0', args(one, { entryNum: 0 }), 'EINVAL');
  const long = commandsToBytes(one, 24);
  long[20] = 1;
  check('entry_len 24 with non-zero tail', args(one, { entryLen: 24, data: long }), 'E2BIG');
  check('NULL uptr', args(one, { data: null }), 'EINVAL');
  check('entry_len 0', args(one, { entryLen: 0 }), 'EINVAL');
  check('reserved', args(one, { reserved: 1 }), 'EOPNOTSUPP');
  tt.equal(io.batches.length, 0);
  // entry_len 24 with a zero tail and entry_len 8 (zero-extended) are accepted
  const io2 = okIssue();
  tt.equal(invalidateViommu(view, args(one, { entryLen: 24, data: commandsToBytes(one, 24) }), io2.fn).errno, 0);
  const short = invalidateViommu(
    view,
    args([[BigInt(OP.TLBI_NH_ALL), 0xffffn]], { entryLen: 8, data: commandsToBytes([[BigInt(OP.TLBI_NH_ALL), 0xffffn]], 8) }),
    io2.fn,
  );
  tt.equal(short.errno, 0);
  tt.equal(io2.batches[1]?.[0]?.[1], 0n, 'dw1 zero-extended');
  tt.end();
});

t.test('behaviour 17: 130 valid commands → chunks 63+63+4, each + CMD_SYNC', (tt) => {
  const cmds = Array.from({ length: 130 }, (_, i) => nhVa(i & 0xff, BigInt(i) << 12n));
  const io = okIssue();
  const r = invalidateViommu(view, args(cmds), io.fn);
  tt.equal(r.errno, 0);
  tt.equal(r.entryNum, 130);
  tt.same(
    io.batches.map((b) => b.length),
    [64, 64, 5],
  );
  for (const b of io.batches) tt.equal(opcodeOf(b.at(-1) ?? []), OP.CMD_SYNC);
  tt.ok(
    io.batches
      .flat()
      .filter((c) => opcodeOf(c) === OP.TLBI_NH_VA)
      .every((c) => (((c[0] ?? 0n) >> 32n) & 0xffffn) === 0x42n),
  );
  tt.end();
});

t.test('behaviour 18: host CMD_SYNC timeout → ETIMEDOUT, entry_num = end of failed chunk - 1', (tt) => {
  const cmds = Array.from({ length: 130 }, (_, i) => nhVa(1, BigInt(i) << 12n));
  let n = 0;
  const r = invalidateViommu(view, args(cmds), () => (++n === 2 ? { ok: false, errno: 'ETIMEDOUT' } : { ok: true }));
  tt.equal(r.errno, 'ETIMEDOUT');
  tt.equal(r.entryNum, 125);
  tt.equal(r.issued.length, 2, 'stops after the failed chunk');
  const r2 = invalidateViommu(view, args(cmds.slice(0, 3)), () => ({ ok: false, errno: 'ETIMEDOUT' }));
  tt.equal(r2.entryNum, 2);
  tt.end();
});
