/**
 * Linux's device-reset invalidations on the emulated SMMU (arm_smmu_device_reset): the CMDQ ring
 * after boot holds CFGI_ALL, CMD_SYNC, [TLBI_EL2_ALL, CMD_SYNC,] TLBI_NSNH_ALL, CMD_SYNC, each
 * SYNC MSI-polled (CS=SIG_IRQ, MSIAddress = its own slot, completion writes MSIData 0 over its
 * first word) when IDR0.MSI and IDR0.COHACC are set, CS=SIG_SEV otherwise.
 */
import t from 'tap';
import { REG } from '../arch/registers.ts';
import { PageAllocator } from '../memory/page-allocator.ts';
import { SparseMemory } from '../memory/sparse-memory.ts';
import { bootSmmu } from '../smmu/boot.ts';
import { SmmuDevice } from '../smmu/device.ts';
import type { SmmuProfile } from '../smmu/profile.ts';
import { DevicePort } from './device-port.ts';
import { linuxResetBatches, linuxResetInvalidate } from './reset.ts';

function bootRing(profile: Partial<SmmuProfile>): { ring: [bigint, bigint][]; prod: number; base: bigint } {
  const mem = new SparseMemory();
  const dev = new SmmuDevice({ mem, profile });
  const boot = bootSmmu(dev, new PageAllocator(0x1000_0000n, 0x2000_0000n, mem), {
    strtab: 'linear',
    cmdqLog2: 8,
    evtqLog2: 6,
    invalidate: (d) => {
      linuxResetInvalidate(new DevicePort(d), () => undefined);
    },
  });
  const prod = Number(dev.readReg(REG.CMDQ_PROD));
  const ring: [bigint, bigint][] = [];
  for (let i = 0; i < prod; i++) ring.push([mem.read64(boot.cmdqBase + BigInt(16 * i)) ?? 0n, mem.read64(boot.cmdqBase + BigInt(16 * i + 8)) ?? 0n]);
  t.equal(Number(dev.readReg(REG.CMDQ_CONS)), prod, 'the reset commands were all consumed');
  return { ring, prod, base: boot.cmdqBase };
}

t.test('reset with IDR0.Hyp, MSI and COHACC: six commands, three MSI-polled syncs', async (t) => {
  const { ring, prod, base } = bootRing({});
  t.equal(prod, 6);
  t.same(
    ring.map((c, i) => (i % 2 === 1 ? 'SYNC' : Number(c[0] & 0xffn))),
    [0x04, 'SYNC', 0x20, 'SYNC', 0x30, 'SYNC'],
  );
  t.equal(ring[0]?.[1], 31n, 'CFGI_STE_RANGE Range 31 = CFGI_ALL');
  for (const i of [1, 3, 5]) {
    t.equal(ring[i]?.[1], base + BigInt(16 * i), `slot ${i}: MSIAddress = own slot`);
    t.equal((ring[i]?.[0] ?? 0n) & 0xffff_ffffn, 0n, `slot ${i}: completion wrote MSIData 0 over dw0[31:0]`);
    t.equal(Number(((ring[i]?.[0] ?? 0n) >> 32n) & 0xffff_ffffn), 0, 'MSIData 0');
  }
});

t.test('reset without Hyp (stage-1-only part: Hyp is RES0) issues no TLBI_EL2_ALL', async (t) => {
  const { ring, prod } = bootRing({ s2p: false });
  t.equal(prod, 4);
  t.same(
    ring.filter((_, i) => i % 2 === 0).map((c) => Number(c[0] & 0xffn)),
    [0x04, 0x30],
  );
});

t.test('reset without MSI polling: CMD_SYNC CS=SIG_SEV, no MSI address', async (t) => {
  const { ring } = bootRing({ msi: false });
  for (const i of [1, 3, 5]) {
    t.equal(Number(((ring[i]?.[0] ?? 0n) >> 12n) & 3n), 2, 'CS = SIG_SEV');
    t.equal(ring[i]?.[1], 0n);
  }
  t.same(
    linuxResetBatches(false).map((b) => b.length),
    [2, 2],
  );
});
