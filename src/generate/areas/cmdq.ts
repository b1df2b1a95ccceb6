/**
 * Area cmdq: command batches. Every opcode with every parameter it has, values at the edges of
 * their fields; raw commands with reserved opcodes or RES0 bits set (CERROR_ILL, §4.1.5); CMD_SYNC
 * with every completion signal, placed before, after and between the commands it should order,
 * or missing; small queues that wrap (LOG2SIZE, start index, §3.5); register writes of PROD behind
 * CONS; GERROR acknowledged or left pending, with DMA in between to see what took effect.
 */
import { commandInfo, encodeCommand } from '../../arch/command.ts';
import { commandName } from '../../scenario/command-fields.ts';
import type { Command } from '../../scenario/types.ts';
import { COMMAND_OPS, type CommandOp } from '../../scenario/vocab.ts';
import type { Draft } from '../draft.ts';
import { addCdTable, addDmas, addS1Table, genCd, s1Probes } from '../build.ts';
import type { Rng } from '../rng.ts';

const TG = ['4k', '16k', '64k'] as const;

/** A typed command: the op's own parameters (from its field table), values at their edges. */
function typed(rng: Rng, op: CommandOp, dev: string, asid: bigint, vmid: bigint, page: bigint): Command {
  const codec = commandInfo(commandName(op)).codec;
  const has = (f: string): boolean => codec.has(f);
  const c: Record<string, unknown> = { op };
  // the stream of the scenario's device, or any StreamID (one without an STE, or beyond the table)
  if (has('StreamID')) {
    if (rng.bool(0.8)) c['device'] = dev;
    else c['sid'] = BigInt(rng.edgeInt(0, 0xffff));
  }
  if (has('SubstreamID') && rng.bool(0.5)) c['ssid'] = BigInt(rng.edgeInt(0, 0xfffff));
  if (has('ASID')) c['asid'] = rng.bool(0.7) ? asid : BigInt(rng.edgeInt(0, 0xffff));
  if (has('VMID') && rng.bool(0.7)) c['vmid'] = rng.bool(0.7) ? vmid : BigInt(rng.edgeInt(0, 0xffff));
  if (has('Address')) c['addr'] = rng.bool(0.7) ? page : rng.bits(48) & ~0xfffn;
  if (has('Leaf') && rng.bool(0.6)) c['leaf'] = rng.bool();
  if (has('Range')) c['span'] = rng.edgeInt(0, 31);
  if (has('Size') && rng.bool(0.5)) c['size'] = rng.edgeInt(0, op === 'ATC_INV' ? 52 : 31);
  if (has('NUM') && rng.bool(0.3)) {
    c['num'] = rng.edgeInt(0, 31);
    c['scale'] = rng.edgeInt(0, 31);
    c['tg'] = rng.pick(TG);
    c['ttl'] = rng.edgeInt(0, 3);
  }
  if (has('CS')) {
    c['cs'] = rng.pick(['none', 'irq', 'sev'] as const);
    if (rng.bool(0.3)) {
      c['msiaddr'] = rng.pick([0x0800_0000n, 0x0800_0040n, rng.bits(44) & ~3n]);
      c['msidata'] = BigInt(rng.edgeInt(0, 0xffff));
    }
  }
  if (has('STAG')) c['stag'] = BigInt(rng.edgeInt(0, 0xffff));
  if (op === 'RESUME') c['resp'] = rng.pick(['retry', 'abort', 'term'] as const);
  if (op === 'PRI_RESP') c['resp'] = rng.pick(['deny', 'success', 'failure'] as const);
  return c as Command;
}

/** A raw command the SMMU must reject: a reserved opcode, or a defined one with a RES0 bit set (§4.1.5). */
function illegal(rng: Rng, d: Draft): Command {
  if (rng.bool(0.4)) {
    const known = new Set(COMMAND_OPS.map((op) => commandInfo(commandName(op)).opcode));
    let opc = rng.pick([0x00, 0x08, 0x0f, 0x14, 0x2f, 0x47, 0x7f, 0xff, rng.int(0, 0xff)]);
    while (known.has(opc)) opc = (opc + 1) & 0xff;
    d.note(`reserved command opcode 0x${opc.toString(16)} (§4.1.5 CERROR_ILL)`);
    return { raw: [BigInt(opc), 0n] };
  }
  const op = rng.pick(COMMAND_OPS.filter((o) => o !== 'CFGI_ALL'));
  const info = commandInfo(commandName(op));
  const [w0, w1] = encodeCommand(info.name, {});
  const word = rng.int(0, 1);
  const free = ~(info.codec.definedMask[word] ?? 0n) & ((1n << 64n) - 1n);
  const bits: number[] = [];
  for (let b = 0; b < 64; b++) if ((free >> BigInt(b)) & 1n) bits.push(b);
  if (bits.length === 0) return { raw: [w0, w1] };
  const bit = BigInt(rng.pick(bits));
  d.note(`${op} with RES0 bit ${bit} of dword ${word} set (§4.1.5 CERROR_ILL)`);
  return { raw: word === 0 ? [w0 | (1n << bit), w1] : [w0, w1 | (1n << bit)] };
}

export function cmdqArea(rng: Rng, d: Draft): void {
  d.need('s1');
  d.smmu.cache_policy = rng.bool(0.5) ? 'max' : 'none';
  const log2size = rng.weighted<number>([
    [2, 8],
    [3, rng.edgeInt(1, 5)],
  ]);
  const start = rng.bool(0.5) ? BigInt(rng.int(0, 2 ** (log2size + 1) - 1)) : undefined;
  d.boot = { cmdq: { log2size, ...(start !== undefined ? { start } : {}) } };
  d.note(`a command queue of 2^${log2size} entries${start !== undefined ? ` starting at index 0x${start.toString(16)}` : ''} (§3.5, §6.3.26)`);
  const dev = d.device('dev0', BigInt(rng.int(0, 0xff)));
  const tt0 = addS1Table(d, rng, 'pt', { count: rng.int(1, 2), global: true });
  const cd = genCd(rng, d, { tt0 });
  addCdTable(d, 'cds', [cd]);
  d.streams.push({ device: dev, config: 's1', cd_table: 'cds' });
  const asid = cd.asid ?? 0n;
  const vmid = 0n;
  const page = tt0.maps[0]?.from ?? 0n;
  const probes = s1Probes(rng, [tt0], false);
  const ops = COMMAND_OPS.filter((o) => o !== 'SYNC');
  const batches = rng.int(1, 5);
  for (let b = 0; b < batches; b++) {
    const n = rng.int(1, 5);
    const cmds: Command[] = [];
    for (let k = 0; k < n; k++) {
      const kind = rng.weighted<string>([
        [7, 'typed'],
        [2, 'sync'],
        [1, 'illegal'],
      ]);
      if (kind === 'typed') cmds.push(typed(rng, rng.pick(ops), dev, asid, vmid, page));
      else if (kind === 'sync') cmds.push(typed(rng, 'SYNC', dev, asid, vmid, page));
      else cmds.push(illegal(rng, d));
    }
    const index = rng.bool(0.15) ? rng.edgeInt(0, 2 ** log2size - 1) : undefined;
    d.step({ cmdq: { commands: cmds, ...(rng.bool(0.5) ? { sync: true } : {}), ...(index !== undefined ? { index } : {}) } });
    if (rng.bool(0.3)) d.step({ read_reg: { reg: rng.pick(['SMMU_CMDQ_CONS', 'SMMU_CMDQ_PROD', 'SMMU_GERROR'] as const) } });
    if (rng.bool(0.08)) d.step({ write_reg: { reg: 'SMMU_CMDQ_PROD', value: BigInt(rng.int(0, 2 ** (log2size + 1) - 1)) } });
    if (rng.bool(0.5)) d.step({ ack_gerror: {} });
    if (rng.bool(0.6)) addDmas(d, rng, dev, probes, 1);
  }
  d.note('command batches of every opcode, legal and illegal fields, CMD_SYNC before, after, between or missing (§4, §4.7)');
}
