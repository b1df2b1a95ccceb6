import t from 'tap';
import { AIDR, CR0, GERROR_BIT, IDR0, IDR1, IDR3, IDR5, IIDR, REG, regName } from '../arch/registers.ts';
import { PageAllocator } from '../memory/page-allocator.ts';
import { SparseMemory } from '../memory/sparse-memory.ts';
import { bootSmmu, installSte, submitCommands } from './boot.ts';
import { SmmuDevice } from './device.ts';
import { DEFAULT_PROFILE, makeProfile, profileIas, profileToIdRegs } from './profile.ts';
import { QueuePtr, RegFile } from './regfile.ts';
import { STE } from '../arch/ste.ts';
import { encodeCommand } from '../arch/command.ts';

t.test('profileToIdRegs: the default profile advertises a nesting-capable SMMUv3.2-like part', (t) => {
  const id = profileToIdRegs(DEFAULT_PROFILE);
  const i0 = IDR0.decode([id.idr0]);
  t.same(
    [
      i0['S1P'],
      i0['S2P'],
      i0['TTF'],
      i0['ASID16'],
      i0['VMID16'],
      i0['CD2L'],
      i0['ST_LEVEL'],
      i0['HYP'],
      i0['ATS'],
      i0['MSI'],
      i0['SEV'],
      i0['STALL_MODEL'],
      i0['PRI'],
    ],
    [1n, 1n, 2n, 1n, 1n, 1n, 1n, 1n, 1n, 1n, 1n, 0n, 0n],
  );
  const i1 = IDR1.decode([id.idr1]);
  t.same([i1['SIDSIZE'], i1['SSIDSIZE']], [16n, 20n]);
  const i3 = IDR3.decode([id.idr3]);
  t.same([i3['RIL'], i3['FWB']], [1n, 1n]);
  const i5 = IDR5.decode([id.idr5]);
  t.same([i5['OAS'], i5['GRAN4K'], i5['GRAN16K'], i5['GRAN64K']], [5n, 1n, 1n, 1n]);
  t.same(IIDR.decode([id.iidr]), { Implementer: 0x43bn, Revision: 0n, Variant: 0n, ProductID: 0x5c3n });
  t.same(AIDR.decode([id.aidr]), { ArchMinorRev: 2n, ArchMajorRev: 0n });
  t.equal(profileIas(DEFAULT_PROFILE), 48);
  t.equal(profileIas(makeProfile({ ttf: 3, oas: 36 })), 40, 'IAS = MAX(40 with AArch32, OAS)');
  t.throws(() => makeProfile({ s1p: false, s2p: false }));
  t.equal(IDR0.get([profileToIdRegs(makeProfile({ stallModel: 2 })).idr0], 'STALL_MODEL'), 2n);
  t.end();
});

t.test('register file: ID registers RO, CR0→CR0ACK, IRQ_CTRL→ACK, GERROR XOR GERRORN', (t) => {
  const r = new RegFile(DEFAULT_PROFILE);
  const idr0 = r.get(REG.IDR0);
  t.notOk(r.softwareWrite(REG.IDR0, 0n));
  t.equal(r.get(REG.IDR0), idr0);
  r.softwareWrite(REG.CR0, 0xffff_ffffn);
  t.equal(r.get(REG.CR0ACK), r.get(REG.CR0), 'ACK follows');
  t.equal(CR0.get([r.get(REG.CR0)], 'PRIQEN'), 0n, 'PRIQEN RES0 without PRI');
  r.softwareWrite(REG.IRQ_CTRL, 5n);
  t.equal(r.get(REG.IRQ_CTRLACK), 5n);
  t.notOk(r.softwareWrite(REG.GERROR, 1n), 'GERROR is RO');
  t.ok(r.raiseGerror(GERROR_BIT.CMDQ_ERR));
  t.notOk(r.raiseGerror(GERROR_BIT.CMDQ_ERR), 'already active: no second toggle');
  t.equal(r.activeGerror(), 1n);
  r.softwareWrite(REG.GERRORN, r.get(REG.GERROR));
  t.equal(r.activeGerror(), 0n, 'acknowledged');
  t.ok(r.raiseGerror(GERROR_BIT.CMDQ_ERR));
  t.equal(r.get(REG.GERROR), 0n, 'second activation toggles back to 0; active via XOR');
  t.equal(r.activeGerror(), 1n);
  t.equal(regName(0x100a8), 'EVENTQ_PROD');
  t.equal(regName(0xac), 'EVENTQ_CONS');
  t.end();
});

t.test('QueuePtr: index, wrap, full/empty', (t) => {
  const q = new QueuePtr(2);
  t.ok(q.empty(0n, 0n));
  t.ok(q.full(4n, 0n));
  t.notOk(q.full(3n, 0n));
  t.equal(q.inc(7n), 0);
  t.equal(q.index(6n), 2);
  t.equal(q.wrap(6n), 1);
  t.end();
});

t.test('bootSmmu: linear and 2-level bring-up, CR0ACK handshake, initial invalidation', (t) => {
  for (const strtab of ['linear', '2level'] as const) {
    const mem = new SparseMemory();
    const alloc = new PageAllocator(0x1000_0000n, 0x2000_0000n, mem);
    const dev = new SmmuDevice({ mem });
    const info = bootSmmu(dev, alloc, { strtab, cmdqLog2: 4, evtqLog2: 4 });
    t.equal(dev.readReg(REG.CR0ACK) & 0xdn, 0xdn, `${strtab}: SMMUEN|EVENTQEN|CMDQEN`);
    t.equal(info.init?.error, 'CERROR_NONE');
    t.same(
      info.init?.executed.map((c) => c.name),
      ['CFGI_STE_RANGE', 'TLBI_EL2_ALL', 'TLBI_NSNH_ALL', 'CMD_SYNC'],
    );
    const sid = strtab === 'linear' ? 0x34 : 0x1234;
    const addr = installSte(dev, sid, STE.encode({ V: 1, Config: 4 }));
    t.ok(mem.isBacked(addr));
    t.same(dev.transaction({ sid, iova: 0x42n, access: 'read' }), { kind: 'translated', pa: 0x42n, stages: 'bypass' });
    t.throws(() => installSte(dev, 1 << 16, []), `${strtab}: SID beyond the table`);
  }
  const mem = new SparseMemory();
  const dev = new SmmuDevice({ mem, profile: { stLevel: 0 } });
  t.throws(() => bootSmmu(dev, new PageAllocator(0x1000n, 0x100000n, mem), { strtab: '2level', cmdqLog2: 4, evtqLog2: 4 }));
  t.end();
});

t.test('submitCommands: a batch larger than the ring is split into chunks', (t) => {
  const mem = new SparseMemory();
  const dev = new SmmuDevice({ mem });
  bootSmmu(dev, new PageAllocator(0x1000_0000n, 0x2000_0000n, mem), { strtab: 'linear', cmdqLog2: 2, evtqLog2: 2 });
  const r = submitCommands(
    dev,
    Array.from({ length: 11 }, (_, i) => encodeCommand('TLBI_NH_ASID', { VMID: 0, ASID: i })),
  );
  t.equal(r.executed.length, 11);
  t.equal(r.error, 'CERROR_NONE');
  t.end();
});
