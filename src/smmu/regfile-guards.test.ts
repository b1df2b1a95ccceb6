// "RO when enabled" registers (SMMUv3 §6.3, v3.2+: a write while the guarding enable is set, in
// SMMU_CR0 or SMMU_CR0ACK / SMMU_IRQ_CTRL or SMMU_IRQ_CTRLACK, is IGNORED). One case per register.
import t from 'tap';
import { REG } from '../arch/registers.ts';
import { DEFAULT_PROFILE, makeProfile } from './profile.ts';
import { RegFile } from './regfile.ts';

const SMMUEN = 1n;
const EVENTQEN = 4n;
const CMDQEN = 8n;

/** Write `value` to `reg` with CR0 = `cr0` (IRQ_CTRL = `irq`); returns the value read back. */
function guarded(reg: number, before: bigint, value: bigint, cr0: bigint, irq = 0n): { ok: boolean; now: bigint } {
  const r = new RegFile(makeProfile({ ...DEFAULT_PROFILE, pri: true }));
  r.softwareWrite(reg, before);
  r.softwareWrite(REG.CR0, cr0);
  r.softwareWrite(REG.IRQ_CTRL, irq);
  const ok = r.softwareWrite(reg, value);
  return { ok, now: r.get(reg) };
}

t.test('SMMU_CR2 is RO while SMMUEN=1 (§6.3.12 "made read-only when SMMUEN is Updated to 1")', async (t) => {
  t.same(guarded(REG.CR2, 0b011n, 0b000n, SMMUEN), { ok: false, now: 0b011n }, 'clearing RECINVSID and E2H is ignored');
  t.same(guarded(REG.CR2, 0b011n, 0b000n, CMDQEN | EVENTQEN), { ok: true, now: 0n }, 'queue enables do not guard CR2');
});

t.test('SMMU_CR1: TABLE_* RO while SMMUEN=1, QUEUE_* RO while any queue is enabled (§6.3.11)', async (t) => {
  const table = 0b1111_0100_0000n; // TABLE_SH=3, TABLE_OC=1, TABLE_IC=1
  const queue = 0b11_0101n; // QUEUE_SH=3, QUEUE_OC=1, QUEUE_IC=1
  t.same(guarded(REG.CR1, 0n, table | queue, SMMUEN), { ok: true, now: queue }, 'SMMUEN=1: only the QUEUE_* fields change');
  t.same(guarded(REG.CR1, 0n, table | queue, CMDQEN), { ok: true, now: table }, 'CMDQEN=1: only the TABLE_* fields change');
  t.same(guarded(REG.CR1, 0n, table | queue, EVENTQEN), { ok: true, now: table }, 'EVENTQEN=1: only the TABLE_* fields change');
  t.same(guarded(REG.CR1, table | queue, 0n, SMMUEN | CMDQEN), { ok: false, now: table | queue }, 'all enabled: ignored');
  t.same(guarded(REG.CR1, 0n, table | queue, 0n), { ok: true, now: table | queue });
});

t.test('the other guarded registers keep their rules (§6.3.21-6.3.32, §6.3.95)', async (t) => {
  t.same(guarded(REG.STRTAB_BASE, 0x1000n, 0x2000n, SMMUEN), { ok: false, now: 0x1000n }, 'STRTAB_BASE (§6.3.24)');
  t.same(guarded(REG.STRTAB_BASE_CFG, 4n, 8n, SMMUEN), { ok: false, now: 4n }, 'STRTAB_BASE_CFG (§6.3.25)');
  t.same(guarded(REG.CMDQ_BASE, 0x1000n, 0x2000n, CMDQEN), { ok: false, now: 0x1000n }, 'CMDQ_BASE (§6.3.26)');
  t.same(guarded(REG.CMDQ_CONS, 1n, 2n, CMDQEN), { ok: false, now: 1n }, 'CMDQ_CONS (§6.3.28)');
  t.same(guarded(REG.EVENTQ_BASE, 0x1000n, 0x2000n, EVENTQEN), { ok: false, now: 0x1000n }, 'EVENTQ_BASE (§6.3.29)');
  t.same(guarded(REG.EVENTQ_PROD, 1n, 2n, EVENTQEN), { ok: false, now: 1n }, 'EVENTQ_PROD (§6.3.95)');
  t.same(guarded(REG.GERROR_IRQ_CFG1, 1n, 2n, 0n, 1n), { ok: false, now: 1n }, 'GERROR_IRQ_CFG1 (§6.3.22)');
  t.same(guarded(REG.EVENTQ_IRQ_CFG1, 1n, 2n, 0n, 4n), { ok: false, now: 1n }, 'EVENTQ_IRQ_CFG1 (§6.3.31)');
  t.same(guarded(REG.CMDQ_PROD, 1n, 2n, CMDQEN), { ok: true, now: 2n }, 'CMDQ_PROD is never guarded (§6.3.27)');
  t.same(guarded(REG.EVENTQ_CONS, 1n, 2n, EVENTQEN), { ok: true, now: 2n }, 'EVENTQ_CONS is never guarded (§6.3.96)');
});
