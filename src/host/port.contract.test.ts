/**
 * One contract for every HostSmmuPort, run against the fake (host-layer unit tests rely on it)
 * and the real emulated device (what scenarios run on): if the fake drifts from the device, the
 * host tests stop meaning anything, and this file goes red. The rules are the architected CMDQ
 * ones (SMMUv3 §7.1, §6.3.26-28): CONS stops on the failing command with CONS.ERR set,
 * GERROR.CMDQ_ERR toggles, later commands have no effect until GERRORN acknowledges, then the
 * queue resumes from CONS.
 */
import t from 'tap';
import { REG } from '../arch/registers.ts';
import { PageAllocator } from '../memory/page-allocator.ts';
import { SparseMemory } from '../memory/sparse-memory.ts';
import { bootSmmu } from '../smmu/boot.ts';
import { SmmuDevice } from '../smmu/device.ts';
import { makeProfile, profileToIdRegs } from '../smmu/profile.ts';
import { DevicePort } from './device-port.ts';
import { FakePort } from './fake-port.ts';
import type { HostSmmuPort } from './port.ts';

const LOG2 = 6;
const SYNC: readonly bigint[] = [0x46n, 0n]; // CMD_SYNC, CS=SIG_NONE
const CFGI_ALL: readonly bigint[] = [0x04n, 31n]; // CMD_CFGI_ALL (Range=31)
const ILLEGAL: readonly bigint[] = [0x00n, 0n]; // opcode 0x00 is reserved: CERROR_ILL (§4.1.3)

const PORTS: ReadonlyArray<[string, () => HostSmmuPort]> = [
  ['FakePort', () => new FakePort({ log2Size: LOG2 })],
  [
    'DevicePort',
    () => {
      const mem = new SparseMemory();
      const dev = new SmmuDevice({ mem });
      bootSmmu(dev, new PageAllocator(0x1000_0000n, 0x8000_0000n, mem), { strtab: 'linear', cmdqLog2: LOG2, evtqLog2: 6 });
      return new DevicePort(dev);
    },
  ],
];

const wrapMask = (p: HostSmmuPort): number => (2 << p.cmdqLog2Size()) - 1;
const index = (p: HostSmmuPort, reg: number): number => Number(p.readReg(reg)) & wrapMask(p);
const errField = (p: HostSmmuPort): number => Number((p.readReg(REG.CMDQ_CONS) >> 24n) & 0x7fn);
const cmdqErrActive = (p: HostSmmuPort): boolean => ((p.readReg(REG.GERROR) ^ p.readReg(REG.GERRORN)) & 1n) !== 0n;

for (const [name, make] of PORTS) {
  t.test(`${name}: geometry and ID registers`, async (t) => {
    const p = make();
    t.equal(p.cmdqLog2Size(), LOG2);
    t.equal(p.cmdqEntryAddress(1) - p.cmdqEntryAddress(0), 16n, 'one 16-byte slot per command');
    t.equal(p.cmdqEntryAddress(0) % (16n << BigInt(LOG2)), 0n, 'queue base aligned to its size');
    t.same(p.idRegs(), profileToIdRegs(makeProfile({})), 'default profile');
  });

  t.test(`${name}: STE store round trip`, async (t) => {
    const p = make();
    const ste = [0x1n, 0x2n, 0x3n, 0x4n, 0x5n, 0x6n, 0x7n, 0x8n];
    p.installSte(3, ste);
    t.same(p.readSte(3), ste);
    t.same(p.readSte(4), new Array<bigint>(8).fill(0n), 'an STE never written reads as zeros');
  });

  t.test(`${name}: valid commands are consumed up to PROD`, async (t) => {
    const p = make();
    const r = p.submit([CFGI_ALL, SYNC]);
    t.same(r, { error: 'CERROR_NONE', stalled: false });
    t.equal(index(p, REG.CMDQ_CONS), index(p, REG.CMDQ_PROD), 'CONS caught up with PROD');
    t.equal(errField(p), 0);
    t.notOk(cmdqErrActive(p));
  });

  t.test(`${name}: the queue wraps with the wrap bit`, async (t) => {
    const p = make();
    const size = 1 << LOG2;
    const start = index(p, REG.CMDQ_PROD);
    for (let i = 0; i < size + 3; i++) t.equal(p.submit([SYNC]).error, 'CERROR_NONE');
    const prod = index(p, REG.CMDQ_PROD);
    t.equal(prod, (start + size + 3) & wrapMask(p), 'PROD advanced by every command, wrap bit included');
    t.equal(index(p, REG.CMDQ_CONS), prod);
  });

  t.test(`${name}: CERROR_ILL stops at the command, GERRORN resumes (§7.1)`, async (t) => {
    const p = make();
    const before = index(p, REG.CMDQ_PROD);
    const r = p.submit([SYNC, ILLEGAL, CFGI_ALL, SYNC]);
    t.same(r, { error: 'CERROR_ILL', stalled: false });
    const failing = (before + 1) & wrapMask(p);
    t.equal(index(p, REG.CMDQ_CONS), failing, 'CONS stays on the failing command');
    t.equal(errField(p), 1, 'CONS.ERR = CERROR_ILL');
    t.ok(cmdqErrActive(p), 'GERROR.CMDQ_ERR active');
    t.same(p.readCmdqEntry(failing & ((1 << LOG2) - 1)), [...ILLEGAL], 'the failing slot holds the command');
    // What Linux does (linux-smmuv3-iommufd.md §3.3): overwrite it with a CMD_SYNC, then ack.
    p.writeCmdqEntry(failing & ((1 << LOG2) - 1), SYNC);
    p.writeReg(REG.GERRORN, p.readReg(REG.GERROR));
    t.notOk(cmdqErrActive(p), 'acknowledged');
    t.equal(index(p, REG.CMDQ_CONS), index(p, REG.CMDQ_PROD), 'the rest of the queue ran');
    t.same(p.submit([SYNC]), { error: 'CERROR_NONE', stalled: false }, 'and the queue keeps working');
  });
}
