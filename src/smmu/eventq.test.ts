import t from 'tap';
import { decodeEvent, encodeEvent } from '../arch/event.ts';
import { CR0, EVENTQ_CONS, EVENTQ_PROD, GERROR, REG } from '../arch/registers.ts';
import { installSte } from './boot.ts';
import { events, mkKit } from './testkit.ts';
import { STE } from '../arch/ste.ts';

const rec = (sid: number, addr = 0n): bigint[] => encodeEvent('F_TRANSLATION', { StreamID: sid, InputAddr: addr, RnW: 1, CLASS: 2 });
const ovflg = (k: ReturnType<typeof mkKit>): bigint => EVENTQ_PROD.get([k.dev.readReg(REG.EVENTQ_PROD)], 'OVFLG');

t.test('emulator-models §7.1: event queue full: N+k faults → N records, OVFLG toggled once, k lost, no GERROR', (t) => {
  const k = mkKit({ boot: { evtqLog2: 2 } }); // 4 records
  // Real faulting transactions: STE.V=0 → C_BAD_STE, one record each.
  for (let i = 0; i < 7; i++) k.dev.transaction({ sid: 10 + i, iova: 0n, access: 'read' });
  t.equal(ovflg(k), 1n, 'OVFLG toggled');
  t.equal(k.dev.readReg(REG.GERROR), 0n, 'no GERROR (QEMU sets EVENTQ_ABT_ERR here, a deviation)');
  t.same(
    k.dev.eventq.log.map((l) => l.outcome),
    ['written', 'written', 'written', 'written', 'discarded-overflow', 'discarded-overflow', 'discarded-overflow'],
  );
  const got = events(k.dev);
  t.equal(got.length, 4, 'N records');
  t.same(
    got.map((e) => [e.name, Number(e.fields['StreamID'])]),
    [10, 11, 12, 13].map((s) => ['C_BAD_STE', s]),
    'the first N, in order',
  );
  t.equal(ovflg(k), 1n, 'still pending: only one toggle for the whole overflow');
  t.end();
});

t.test('overflow acknowledge: CONS.OVACKFLG = PROD.OVFLG, then a new overflow toggles again', (t) => {
  const k = mkKit({ boot: { evtqLog2: 1 } }); // 2 records
  for (let i = 0; i < 3; i++) k.dev.eventq.record(rec(i));
  t.ok(k.dev.eventq.overflowPending());
  t.equal(events(k.dev).length, 2);
  const cons = k.dev.readReg(REG.EVENTQ_CONS);
  k.dev.writeReg(REG.EVENTQ_CONS, EVENTQ_CONS.encode({ OVACKFLG: ovflg(k) }, [cons])[0] ?? 0n);
  t.notOk(k.dev.eventq.overflowPending(), 'acknowledged');
  for (let i = 0; i < 3; i++) k.dev.eventq.record(rec(i));
  t.equal(ovflg(k), 0n, 'second overflow toggles OVFLG back');
  t.ok(k.dev.eventq.overflowPending());
  t.end();
});

t.test('disabled queue discards records; unbacked ring memory raises GERROR.EVENTQ_ABT_ERR', (t) => {
  const k = mkKit();
  const cr0 = k.dev.readReg(REG.CR0);
  k.dev.writeReg(REG.CR0, CR0.encode({ EVENTQEN: 0 }, [cr0])[0] ?? 0n);
  t.equal(k.dev.eventq.record(rec(1)), 'discarded-disabled');
  k.dev.writeReg(REG.CR0, cr0);
  k.mem.unback(k.dev.eventq.base(), 4096);
  t.equal(k.dev.eventq.record(rec(1)), 'discarded-abort');
  t.equal(GERROR.get([k.dev.readReg(REG.GERROR)], 'EVENTQ_ABT_ERR'), 1n);
  t.equal(k.dev.eventq.record(rec(2)), 'discarded-disabled', 'nothing recorded while EVENTQ_ABT_ERR is active');
  t.end();
});

t.test('emulator-models §7.2: event queue interrupt is an edge on empty→non-empty only', (t) => {
  const k = mkKit();
  for (let i = 0; i < 4; i++) k.dev.eventq.record(rec(i));
  t.equal(k.dev.eventq.irqEdges, 1, 'four records, one edge');
  events(k.dev);
  k.dev.eventq.record(rec(9));
  t.equal(k.dev.eventq.irqEdges, 2, 'after draining, the next record is a new edge');
  t.end();
});

t.test('records are written in order, whole (never split), at the ring slots', (t) => {
  const k = mkKit({ boot: { evtqLog2: 2 } });
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 3; i++) k.dev.eventq.record(rec(round * 3 + i, BigInt(0x1000 * i)));
    const got = events(k.dev);
    t.same(
      got.map((e) => Number(e.fields['StreamID'])),
      [0, 1, 2].map((i) => round * 3 + i),
    );
    t.same(
      got.map((e) => e.fields['InputAddr']),
      [0n, 0x1000n, 0x2000n],
    );
  }
  t.end();
});

t.test('MEV merging: off by default; with the profile switch and STE.MEV=1 identical records merge', (t) => {
  const off = mkKit();
  installSte(off.dev, 5, STE.encode({ V: 1, Config: 4, MEV: 1 }));
  for (let i = 0; i < 3; i++) off.dev.transaction({ sid: 5, iova: 1n << 60n, access: 'read' });
  t.equal(events(off.dev).length, 3, 'one record per transaction by default');
  const on = mkKit({ profile: { mergeEvents: true } });
  installSte(on.dev, 5, STE.encode({ V: 1, Config: 4, MEV: 1 }));
  for (let i = 0; i < 3; i++) on.dev.transaction({ sid: 5, iova: (1n << 60n) + BigInt(i * 8), access: 'read' });
  const got = events(on.dev);
  t.equal(got.length, 1, 'identical ignoring InputAddr[11:0]');
  t.equal(decodeEvent(encodeEvent('F_ADDR_SIZE', {})).name, 'F_ADDR_SIZE');
  t.equal(got[0]?.name, 'F_ADDR_SIZE');
  t.end();
});

t.test('EVENTQ_PROD is RO and EVENTQ_BASE IGNORED while EVENTQEN=1; page-0 aliases', (t) => {
  const k = mkKit();
  k.dev.eventq.record(rec(1));
  const prod = k.dev.readReg(REG.EVENTQ_PROD);
  t.equal(k.dev.writeReg(REG.EVENTQ_PROD, 0n), undefined);
  t.equal(k.dev.readReg(0xa8), prod, 'page-0 alias reads the same register');
  t.end();
});

t.test('§3.18.2, §6.3.30: event-queue MSI on empty→non-empty (IDR0.MSI=1, EVENTQ_IRQEN=1, EVENTQ_IRQ_CFG0.ADDR != 0)', (t) => {
  const k = mkKit();
  const target = k.alloc.alloc(4096, 4096);
  k.dev.writeReg(REG.IRQ_CTRL, 0b001n); // EVENTQ_IRQEN=0: CFG registers writable
  k.dev.writeReg(REG.EVENTQ_IRQ_CFG0, target + 0x40n);
  k.dev.writeReg(REG.EVENTQ_IRQ_CFG1, 0xdead_beefn);
  k.dev.writeReg(REG.IRQ_CTRL, 0b101n);
  t.equal(k.dev.writeReg(REG.EVENTQ_IRQ_CFG1, 0x1234n), undefined);
  t.equal(k.dev.readReg(REG.EVENTQ_IRQ_CFG1), 0xdead_beefn, 'CFG1 is RO while EVENTQ_IRQEN=1 (Guarded)');
  k.mem.write64(target + 0x40n, 0n);
  for (let i = 0; i < 3; i++) k.dev.eventq.record(rec(i));
  t.equal(k.mem.read64(target + 0x40n), 0xdead_beefn, '32-bit write of CFG1.DATA to CFG0.ADDR');
  t.same(k.dev.msis, [{ source: 'eventq', addr: target + 0x40n, data: 0xdead_beef, aborted: false }], 'one MSI for three records');
  events(k.dev);
  k.dev.eventq.record(rec(9));
  t.equal(k.dev.msis.length, 2, 'a new edge after draining');
  // ADDR == 0: no MSI (wired interrupt only); IDR0.MSI=0: no MSI.
  const z = mkKit();
  z.dev.eventq.record(rec(1));
  t.same(z.dev.msis, [], 'ADDR=0: no MSI');
  t.equal(z.dev.eventq.irqEdges, 1);
  const nomsi = mkKit({ profile: { msi: false } });
  nomsi.dev.writeReg(REG.IRQ_CTRL, 0n);
  nomsi.dev.writeReg(REG.EVENTQ_IRQ_CFG0, target);
  nomsi.dev.writeReg(REG.IRQ_CTRL, 0b101n);
  nomsi.dev.eventq.record(rec(1));
  t.same(nomsi.dev.msis, [], 'IDR0.MSI=0: no MSI');
  t.end();
});

t.test('§6.3.18: an aborted event-queue MSI activates GERROR.MSI_EVENTQ_ABT_ERR, which sends the GERROR MSI', (t) => {
  const k = mkKit();
  const gtarget = k.alloc.alloc(4096, 4096);
  k.dev.writeReg(REG.IRQ_CTRL, 0n);
  k.dev.writeReg(REG.EVENTQ_IRQ_CFG0, 0x7f00_0000n); // unbacked
  k.dev.writeReg(REG.EVENTQ_IRQ_CFG1, 1n);
  k.dev.writeReg(REG.GERROR_IRQ_CFG0, gtarget);
  k.dev.writeReg(REG.GERROR_IRQ_CFG1, 0x55n);
  k.dev.writeReg(REG.IRQ_CTRL, 0b101n);
  t.equal(k.dev.eventq.record(rec(1)), 'written', 'the record itself is written');
  t.equal(GERROR.get([k.dev.readReg(REG.GERROR)], 'MSI_EVENTQ_ABT_ERR'), 1n);
  t.equal(k.mem.read64(gtarget), 0x55n, 'GERROR MSI written');
  t.same(
    k.dev.msis.map((m) => [m.source, m.aborted]),
    [
      ['eventq', true],
      ['gerror', false],
    ],
  );
  // An aborted GERROR MSI activates MSI_GERROR_ABT_ERR and is not signalled again.
  const g = mkKit();
  g.dev.writeReg(REG.IRQ_CTRL, 0n);
  g.dev.writeReg(REG.GERROR_IRQ_CFG0, 0x7f00_0000n);
  g.dev.writeReg(REG.IRQ_CTRL, 0b101n);
  g.mem.unback(g.dev.eventq.base(), 4096);
  g.dev.eventq.record(rec(1));
  t.equal(GERROR.get([g.dev.readReg(REG.GERROR)], 'EVENTQ_ABT_ERR'), 1n);
  t.equal(GERROR.get([g.dev.readReg(REG.GERROR)], 'MSI_GERROR_ABT_ERR'), 1n);
  t.same(
    g.dev.msis.map((m) => [m.source, m.aborted]),
    [['gerror', true]],
  );
  t.end();
});
