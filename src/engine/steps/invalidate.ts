/**
 * `invalidate`: IOMMU_HWPT_INVALIDATE with an array of raw guest commands. Record: errno,
 * entry_num, batches (commands per host batch incl. its CMD_SYNC), issued (raw dwords of what
 * reached the CMDQ, when at most 8 commands).
 */
import { INVALIDATE_DATA_ARM_SMMUV3, INVALIDATE_ENTRY_SIZE, commandsToBytes } from '../../host/invalidate.ts';
import { arrayOf, bool, expect, int, name, obj, ref } from '../../scenario/schema.ts';
import { type Command, type WithExpect, shape } from '../../scenario/types.ts';
import type { Fields } from '../exec/context.ts';
import { objId, res } from '../exec/host.ts';
import { guestCommand } from '../exec/host-world.ts';
import { defineStep } from './define.ts';
import { uapiLine } from './explain.ts';

export interface InvalidateStep extends WithExpect {
  /** hwpt_id: a vIOMMU, or any object for error cases. */
  readonly target: string;
  readonly commands: readonly Command[];
  readonly data_type?: number;
  readonly entry_len?: number;
  readonly entry_num?: number;
  readonly reserved?: number;
  readonly null_data?: boolean;
  /** Value of every byte beyond the 16 command bytes of an entry (entry_len > 16). */
  readonly surplus?: number;
}
declare module '../../scenario/types.ts' {
  interface StepBodies {
    readonly invalidate: InvalidateStep;
  }
}

export const invalidate = defineStep({
  kind: 'invalidate',
  layer: 'host',
  schema: obj(
    {
      target: { ...name, description: 'hwpt_id: a vIOMMU, or any object for error cases' },
      commands: arrayOf(ref('command')),
      data_type: int(0, 0xffff_ffff, 'default 1 (IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3)'),
      entry_len: int(0, 4096, 'default 16'),
      entry_num: int(0, 1_000_000, 'default: number of commands'),
      reserved: int(0, 0xffff_ffff, '__reserved'),
      null_data: bool('data_uptr = NULL'),
      surplus: int(0, 255, 'byte value beyond the 16 command bytes of each entry (entry_len > 16)'),
      ...expect,
    },
    ['target', 'commands'],
    'IOMMU_HWPT_INVALIDATE with an array of raw guest commands',
  ),
  shape: shape<InvalidateStep>()(
    ['target', 'commands', 'data_type', 'entry_len', 'entry_num', 'reserved', 'null_data', 'surplus', 'expect'],
    ['target', 'commands'],
  ),
  example: 'invalidate: { target: vi, commands: [ { op: TLBI_NH_ASID, asid: 1 } ] }',
  explain: (b) => `${b.target}: ${b.commands.map((c) => c.op ?? 'raw').join(', ') || 'no commands'}`,
  detail: (b, r) => [
    uapiLine(
      `IOMMU_HWPT_INVALIDATE on ${b.target} with ${b.commands.length} guest command(s): the kernel checks each and issues it on the physical CMDQ with the VMID substituted`,
      r,
      ['entry_num', 'batches'],
    ),
  ],
  refs(b, t, at) {
    t.ref(t.objects('*'), 'host object', b.target, [...at, 'target']);
    t.checkCommands(b.commands, at, false);
  },
  run(ctx, h, b, _n, where) {
    const cmds = b.commands.map((c, i) => guestCommand(ctx.scenario, c, `${where} command ${i + 1}`));
    const entryLen = b.entry_len ?? INVALIDATE_ENTRY_SIZE;
    const data = commandsToBytes(cmds, entryLen);
    for (let i = 0; i < cmds.length; i++) data.fill(b.surplus ?? 0, i * entryLen + 16, (i + 1) * entryLen);
    const r = h.fd.invalidate(objId(h, b.target), {
      dataType: b.data_type ?? INVALIDATE_DATA_ARM_SMMUV3,
      entryLen,
      entryNum: b.entry_num ?? cmds.length,
      data: b.null_data === true ? null : data,
      ...(b.reserved !== undefined ? { reserved: b.reserved } : {}),
    });
    const total = r.issued.reduce((a, x) => a + x.length, 0);
    const f: Fields = { entry_num: r.entryNum, batches: r.issued.map((x) => x.length) };
    if (total > 0 && total <= 8) f['issued'] = r.issued.flat().flatMap((c) => [c[0] ?? 0n, c[1] ?? 0n]);
    return res(r, f);
  },
});
