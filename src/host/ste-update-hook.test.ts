import t, { type Test } from 'tap';
import { FakePort } from './fake-port.ts';
import { HWPT_ALLOC_NEST_PARENT, Iommufd, VIOMMU_TYPE_ARM_SMMUV3, vsteBytes } from './iommufd.ts';
import { OPCODE as OP, commandOpcode as opcodeOf } from '../arch/command.ts';
import { STE } from '../arch/ste.ts';

type Seen = { sid: number; index: number; dwords: bigint[]; live: bigint[]; syncsSoFar: number; lastOps: number[] };

function world() {
  const port = new FakePort();
  const fd = new Iommufd({ smmus: [{ name: 'smmu0', port }], devices: [{ name: 'nic', smmu: 0, sids: [0x10], ats: false }] });
  const d = fd.deviceId('nic') ?? 0;
  const parent = fd.allocPagingHwpt(d, { flags: HWPT_ALLOC_NEST_PARENT });
  if (parent.errno !== 0) throw new Error('parent');
  fd.setParentPgtable(parent.hwptId, { vttbr: 0x8000_0000n });
  const vi = fd.allocViommu({ devId: d, hwptId: parent.hwptId, type: VIOMMU_TYPE_ARM_SMMUV3 });
  if (vi.errno !== 0) throw new Error('viommu');
  if (fd.allocVdevice({ viommuId: vi.viommuId, devId: d, virtId: 1 }).errno !== 0) throw new Error('vdevice');
  const nested = (ste: [bigint, bigint]): number => {
    const r = fd.allocNestedHwpt({ devId: d, viommuId: vi.viommuId, dataType: 2, data: vsteBytes(ste) });
    if (r.errno !== 0) throw new Error('nested');
    return r.hwptId;
  };
  /** Records what the hook sees, and the SMMU's state at that moment. */
  const recorder = (seen: Seen[]) => ({
    onStep: (s: { sid: number; index: number; dwords: bigint[] }): void => {
      const ops = port.executed.map((c) => opcodeOf(c));
      seen.push({ ...s, live: port.readSte(s.sid), syncsSoFar: ops.filter((o) => o === OP.CMD_SYNC).length, lastOps: ops.slice(-2) });
    },
  });
  return { port, fd, d, nested, recorder };
}

const cdVste = (ptr: bigint, s1dss: bigint): [bigint, bigint] => [1n | (5n << 1n) | ptr, s1dss];

/** Attach `from`, then attach `to` with the recorder: the result and the passes the hook saw. */
function recordAttach(tt: Test, from: [bigint, bigint], to: [bigint, bigint]) {
  const w = world();
  tt.equal(w.fd.attach(w.d, w.nested(from)).errno, 0);
  w.port.executed.length = 0;
  const seen: Seen[] = [];
  const r = w.fd.attach(w.d, w.nested(to), w.recorder(seen));
  if (r.errno !== 0) throw new Error('attach');
  return { r, seen };
}

function checkSteps(tt: Test, seen: Seen[], syncs: number, final: readonly bigint[]): void {
  tt.equal(seen.length, syncs, 'one hook call per synced pass');
  seen.forEach((s, i) => {
    tt.equal(s.index, i, `pass ${i} index`);
    tt.equal(s.sid, 0x10);
    tt.same(s.live, s.dwords, `pass ${i}: the hook sees the entry as written`);
    tt.equal(s.syncsSoFar, i + 1, `pass ${i}: called after its own CMD_SYNC, before the next pass`);
    tt.same(s.lastOps, [OP.CFGI_STE, OP.CMD_SYNC], `pass ${i}: CFGI_STE + CMD_SYNC just executed`);
  });
  tt.same(seen.at(-1)?.dwords, [...final], 'last pass is the target');
}

t.test('onStep runs after every pass + CFGI_STE/CMD_SYNC of a hitless attach (abort vSTE -> bypass vSTE -> nested)', (tt) => {
  const { r, seen } = recordAttach(tt, [1n | (4n << 1n), 0n], cdVste(0x4000_0000n, 0n));
  tt.ok(r.syncs >= 2, 'S2 -> nested takes more than one pass');
  checkSteps(tt, seen, r.syncs, r.ste);
  tt.notOk(
    seen.some((s) => STE.get(s.dwords, 'V') === 0n),
    'hitless: V stays 1',
  );
  tt.end();
});

t.test('onStep sees the V=0 pass of a breaking update (CD table pointer and S1DSS change together)', (tt) => {
  const { r, seen } = recordAttach(tt, cdVste(0x4000_0000n, 0n), cdVste(0x4000_0040n, 1n));
  tt.equal(r.syncs, 3, 'KUnit non_hitless: 3 syncs');
  checkSteps(tt, seen, 3, r.ste);
  tt.same(
    seen.map((s) => STE.get(s.dwords, 'V')),
    [0n, 0n, 1n],
    'V=0 first, dw1..7, then dw0',
  );
  tt.end();
});

t.test('detach reports its passes; no hook, no change in behaviour', (tt) => {
  const w = world();
  tt.equal(w.fd.attach(w.d, w.nested(cdVste(0x4000_0000n, 0n))).errno, 0);
  w.port.executed.length = 0;
  const seen: Seen[] = [];
  const r = w.fd.detach(w.d, w.recorder(seen));
  if (r.errno !== 0) throw new Error('detach');
  checkSteps(tt, seen, r.syncs, w.port.readSte(0x10));
  tt.equal(STE.get(w.port.readSte(0x10), 'Config'), 0n);
  const w2 = world();
  tt.equal(w2.fd.attach(w2.d, w2.nested(cdVste(0x4000_0000n, 0n))).errno, 0);
  const r2 = w2.fd.detach(w2.d);
  tt.same(r2, r, 'same result without a hook');
  tt.same(w2.port.readSte(0x10), w.port.readSte(0x10));
  tt.end();
});
