/**
 * uAPI profile rfc-2023 on the real emulated device, and the 63-command chunk boundary of the
 * current uAPI (invalidate.ts via Iommufd.invalidate) next to the RFC's single-SYNC batch.
 */
import t from 'tap';
import { decodeEvent } from '../arch/event.ts';
import { STE } from '../arch/ste.ts';
import { PageAllocator } from '../memory/page-allocator.ts';
import { SparseMemory } from '../memory/sparse-memory.ts';
import { PageTableBuilder } from '../pgtable/builder.ts';
import { bootSmmu } from '../smmu/boot.ts';
import { SmmuDevice } from '../smmu/device.ts';
import type { SmmuProfile } from '../smmu/profile.ts';
import { DevicePort } from './device-port.ts';
import { commandsToBytes } from './invalidate.ts';
import { HWPT_ALLOC_NEST_PARENT, Iommufd } from './iommufd.ts';
import type { IommufdOptions } from './iommufd-objects.ts';
import type { HostSmmuPort } from './port.ts';
import { Rfc2023, type UserMemory, rfcCheckSte } from './rfc2023.ts';

const Q = 0x4000_0000n;
const CONS_AT = 0x4000_2004n; // upper half of a dword: the u32 helpers must not disturb the lower half
const VSID_A = 0x77;

/** The real port, recording every batch the host submits. */
function mkPort(dev: SmmuDevice, submits: bigint[][][]): HostSmmuPort {
  const port: HostSmmuPort = new DevicePort(dev);
  const submit = port.submit.bind(port);
  port.submit = (cmds) => {
    submits.push(cmds.map((c) => [c[0] ?? 0n, c[1] ?? 0n]));
    return submit(cmds);
  };
  return port;
}

function world(profile: Partial<SmmuProfile> = {}) {
  const mem = new SparseMemory();
  const alloc = new PageAllocator(0x1000_0000n, 0x8000_0000n, mem);
  const dev = new SmmuDevice({ mem, profile });
  bootSmmu(dev, alloc, { strtab: 'linear', cmdqLog2: 8, evtqLog2: 6 });
  const submits: bigint[][][] = [];
  const opts: IommufdOptions = {
    smmus: [{ name: 'smmu0', port: mkPort(dev, submits) }],
    devices: [
      { name: '0000:01:00.0', smmu: 0, sids: [0x10], pasidBits: 8 },
      { name: '0000:02:00.0', smmu: 0, sids: [0x20] },
    ],
  };
  const fd = new Iommufd(opts);
  const rfc = new Rfc2023(fd, opts);
  const user = new SparseMemory();
  user.back(Q, 0x4000);
  return { dev, fd, rfc, user: user as UserMemory & SparseMemory, submits, alloc, mem, stall: (v: boolean) => dev.cmdq.stallAfter(v ? 0 : undefined) };
}

function steBytes(ste: readonly bigint[], len = 64): Uint8Array {
  const b = new Uint8Array(len);
  const dv = new DataView(b.buffer);
  for (let i = 0; i < Math.min(8, len / 8); i++) dv.setBigUint64(8 * i, ste[i] ?? 0n, true);
  return b;
}

/** A parent, device data and an accepted nested HWPT for device 1. */
function nested(w: ReturnType<typeof world>) {
  const p = w.rfc.allocParentHwpt(1);
  if (p.errno !== 0) throw new Error(p.reason);
  if (w.rfc.setDevData(1, VSID_A).errno !== 0) throw new Error('dev data');
  const ste = STE.encode({ V: 1, Config: 5, S1ContextPtr: 0x5000_0000n, S1CDMax: 8, S1CIR: 1, S1COR: 1, S1CSH: 3, SHCFG: 1 });
  const h = w.rfc.allocNestedHwpt({ devId: 1, parentHwptId: p.hwptId, steLen: 64, ste: steBytes(ste), eventLen: 32 });
  if (h.errno !== 0) throw new Error(h.reason);
  return { parent: p.hwptId, hwpt: h.hwptId };
}

function putCmds(w: ReturnType<typeof world>, log2: number, cons: number, cmds: readonly (readonly bigint[])[]): number {
  w.user.write64(CONS_AT - 4n, 0xdead_beefn | (BigInt(cons) << 32n));
  const mask = (1 << (log2 + 1)) - 1;
  let p = cons & mask;
  for (const c of cmds) {
    const at = Q + BigInt((p & ((1 << log2) - 1)) * 16);
    w.user.write64(at, c[0] ?? 0n);
    w.user.write64(at + 8n, c[1] ?? 0n);
    p = (p + 1) & mask;
  }
  return p;
}
const args = (prod: number, log2 = 8) => ({ cmdqUptr: Q, cmdqConsUptr: CONS_AT, cmdqProd: prod, cmdqEntrySize: 16, cmdqLog2size: log2 });
const nhVa = (i: number) => [0x12n | (3n << 48n) | (0x55n << 32n), (0x10_0000n + BigInt(i) * 0x1000n) | 1n];

t.test('rfcCheckSte: the four rejections, S1 STEs only', (tt) => {
  const caps = { s1p: true, s2p: true, cd2l: true, ias: 48 };
  const s1 = (f: Record<string, bigint | number>) => STE.encode({ V: 1, Config: 5, ...f });
  tt.equal(rfcCheckSte(caps, 8, s1({})), undefined);
  tt.match(rfcCheckSte({ ...caps, s2p: false }, 8, s1({})) ?? '', /lacks stage 1 or stage 2/);
  tt.match(rfcCheckSte({ ...caps, s1p: false }, 8, STE.encode({ V: 1, Config: 4 })) ?? '', /lacks/, 'checked for any STE');
  tt.match(rfcCheckSte({ ...caps, cd2l: false }, 8, s1({ S1Fmt: 1 })) ?? '', /S1Fmt 1 .*CD2L/);
  tt.equal(rfcCheckSte(caps, 8, s1({ S1Fmt: 1 })), undefined, '2-level allowed with CD2L');
  tt.match(rfcCheckSte(caps, 8, s1({ S1CDMax: 9 })) ?? '', /S1CDMax 9 exceeds .* 8/);
  tt.equal(rfcCheckSte(caps, 8, s1({ S1CDMax: 8 })), undefined);
  tt.match(rfcCheckSte(caps, 8, s1({ S1ContextPtr: 1n << 48n })) ?? '', /above IAS/);
  tt.equal(rfcCheckSte(caps, 8, s1({ S1ContextPtr: (1n << 48n) - 64n })), undefined);
  tt.equal(rfcCheckSte(caps, 0, STE.encode({ V: 1, Config: 4, S1CDMax: 9 })), undefined, 'bypass STE: CD fields not checked');
  tt.end();
});

t.test('nested HWPT from a 64-byte STE: C_BAD_STE to out_event_uptr, short STE without event, accepted STE attaches', (tt) => {
  const w = world();
  const p = w.rfc.allocParentHwpt(1);
  if (p.errno !== 0) throw new Error(p.reason);
  tt.equal(w.rfc.setDevData(1, VSID_A).errno, 0);
  tt.equal(w.rfc.setDevData(2, VSID_A).errno, 'EEXIST');
  const good = STE.encode({ V: 1, Config: 5, S1ContextPtr: 0x5000_0000n, S1CIR: 1, S1COR: 1, S1CSH: 3 });
  const short = w.rfc.allocNestedHwpt({ devId: 1, parentHwptId: p.hwptId, steLen: 16, ste: steBytes(good, 16), eventLen: 32 });
  tt.same([short.errno, 'event' in short], ['EINVAL', false]);
  tt.same([w.rfc.allocNestedHwpt({ devId: 1, parentHwptId: p.hwptId, steLen: 64, ste: null, eventLen: 32 }).errno], ['EINVAL']);
  const bad = w.rfc.allocNestedHwpt({ devId: 1, parentHwptId: p.hwptId, steLen: 64, ste: steBytes(STE.encode({ V: 1, Config: 5, S1CDMax: 9 })), eventLen: 32 });
  tt.equal(bad.errno, 'EINVAL');
  const ev = 'event' in bad ? bad.event : undefined;
  tt.ok(ev);
  const d = decodeEvent(ev ?? []);
  tt.equal(d.name, 'C_BAD_STE');
  tt.equal(d.fields.StreamID, BigInt(VSID_A), 'StreamID is the vSID');
  tt.notOk(
    'event' in
      w.rfc.allocNestedHwpt({ devId: 1, parentHwptId: p.hwptId, steLen: 64, ste: steBytes(STE.encode({ V: 1, Config: 5, S1CDMax: 9 })), eventLen: 16 }),
    'event_len < 32: nothing written',
  );
  const ok = w.rfc.allocNestedHwpt({ devId: 1, parentHwptId: p.hwptId, steLen: 64, ste: steBytes(good), eventLen: 32 });
  if (ok.errno !== 0) throw new Error(ok.reason);
  tt.equal(w.fd.attach(1, ok.hwptId).errno, 0);
  tt.equal(STE.get(new DevicePort(w.dev).readSte(0x10), 'Config'), 7n, 'physical STE is nested');
  tt.end();
});

t.test('invalidation: CERROR_ILL at index 0, in the middle and at the last entry (CONS checked bit by bit)', (tt) => {
  for (const i of [0, 2, 4]) {
    const w = world();
    const h = nested(w);
    const cmds = [0, 1, 2, 3, 4].map((k) => (k === i ? [0x05n | (0x99n << 32n), 1n] : nhVa(k)));
    const start = (1 << 8) | 254; // wrap bit set, two slots before the end: the walk wraps
    const prod = putCmds(w, 8, start, cmds);
    tt.equal(prod, 3, 'PROD wrapped to index 3, wrap 0');
    const r = w.rfc.invalidate(h.hwpt, args(prod), w.user);
    tt.equal(r.errno, 'ENODEV', `index ${i}`);
    const want = ((start + i) & 0x1ff) | (1 << 24);
    const got = Number(((w.user.read64(CONS_AT - 4n) ?? 0n) >> 32n) & 0xffff_ffffn);
    for (let b = 0; b < 32; b++) tt.equal((got >>> b) & 1, (want >>> b) & 1, `index ${i}: CONS bit ${b}`);
    tt.equal(r.cons, want);
    tt.equal(Number((w.user.read64(CONS_AT - 4n) ?? 0n) & 0xffff_ffffn), 0xdead_beef, 'neighbouring u32 untouched');
    tt.same(w.submits, [], 'nothing issued on ENODEV');
  }
  tt.end();
});

t.test('invalidation: ETIMEDOUT, guest CONS where the host stopped reading (PROD)', (tt) => {
  const w = world();
  const h = nested(w);
  const prod = putCmds(w, 8, 10, [nhVa(0), nhVa(1), [0x46n, 0n]]);
  w.stall(true);
  const r = w.rfc.invalidate(h.hwpt, args(prod), w.user);
  tt.equal(r.errno, 'ETIMEDOUT');
  tt.equal(r.cons, 13);
  tt.equal(Number((w.user.read64(CONS_AT - 4n) ?? 0n) >> 32n), 13);
  tt.match(w.rfc.log.map((l) => l.line).join('\n'), /CMD_SYNC timeout/);
  tt.end();
});

t.test('invalidation: conversions, skipped opcodes, EINVAL cases', (tt) => {
  const w = world();
  const h = nested(w);
  tt.equal(w.rfc.invalidate(h.hwpt, { ...args(putCmds(w, 8, 0, [nhVa(0)])), cmdqEntrySize: 32 }, w.user).errno, 'EINVAL');
  tt.equal(w.rfc.invalidate(h.hwpt, args(putCmds(w, 8, 5, [])), w.user).errno, 'EINVAL', 'empty queue');
  const prod = putCmds(w, 8, 0, [
    [0x30n, 0xffn],
    [0x03n | (0x10n << 32n), 1n],
    [0x46n, 0n],
    [0x06n | (BigInt(VSID_A) << 32n), 0n],
    [0x7fn, 0n],
  ]);
  const r = w.rfc.invalidate(h.hwpt, args(prod), w.user);
  tt.equal(r.errno, 0);
  tt.equal(r.cons, 5);
  const vmid = Number((w.submits[0]?.[0]?.[0] ?? 0n) >> 32n) & 0xffff;
  tt.ok(vmid > 0, 'the S2 VMID');
  tt.same(
    r.issued?.map((c) => (c[0] === undefined ? 0 : Number(c[0] & 0xffn))),
    [0x10, 0x06, 0x46],
    'NSNH_ALL→NH_ALL, CFGI_CD_ALL; CFGI_STE, guest SYNC, 0x7f skipped; one host SYNC',
  );
  tt.same(r.issued?.[0], [0x10n | (BigInt(vmid) << 32n), 0n]);
  tt.equal(r.issued?.[1]?.[0], 0x06n | (0x10n << 32n), 'vSID → physical SID');
  tt.end();
});

t.test('a batch of 70 crossing the 63-command chunk boundary: current uAPI chunks, rfc-2023 does not', (tt) => {
  const cmds = Array.from({ length: 70 }, (_, i) => nhVa(i));
  // current uAPI: Iommufd.invalidate on a vIOMMU (invalidate.ts)
  const a = world();
  const p = a.fd.allocPagingHwpt(1, { flags: HWPT_ALLOC_NEST_PARENT });
  if (p.errno !== 0) throw new Error(p.reason);
  a.fd.setParentTables(p.hwptId, new PageTableBuilder({ stage: 2, granule: 4096, iaBits: 48, oaBits: 48, mem: a.mem, alloc: a.alloc }));
  const vi = a.fd.allocViommu({ devId: 1, hwptId: p.hwptId, type: 1 });
  if (vi.errno !== 0) throw new Error(vi.reason);
  const r1 = a.fd.invalidate(vi.viommuId, { dataType: 1, entryLen: 16, entryNum: 70, data: commandsToBytes(cmds) });
  tt.equal(r1.errno, 0);
  tt.equal(r1.entryNum, 70);
  tt.same(
    a.submits.map((b) => b.length),
    [64, 8],
    '63 + SYNC, then 7 + SYNC',
  );
  tt.same(
    a.submits.map((b) => Number((b.at(-1)?.[0] ?? 0n) & 0xffn)),
    [0x46, 0x46],
  );
  tt.equal(a.submits[1]?.[0]?.[1], nhVa(63)[1], 'second chunk starts at guest entry 63');
  // rfc-2023: the guest CMDQ walked in one go, one SYNC (queue of 128 entries, wrapping)
  const b = world();
  const h = nested(b);
  const prod = putCmds(b, 7, 100, cmds);
  const r2 = b.rfc.invalidate(h.hwpt, args(prod, 7), b.user);
  tt.equal(r2.errno, 0);
  tt.equal(r2.cons, (100 + 70) & 0xff);
  tt.same(
    b.submits.map((x) => x.length),
    [71],
    '70 + one SYNC',
  );
  tt.equal(b.dev.readReg(0x98) & 0x1ffn, b.dev.readReg(0x9c) & 0x1ffn, 'physical CMDQ drained');
  tt.equal(b.rfc.log.length, 0);
  tt.end();
});
