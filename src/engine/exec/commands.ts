/**
 * Scenario commands → 2-dword CMDQ entries (§4); the typed-key meaning is
 * src/scenario/command-fields.ts; `raw` dwords are used verbatim.
 */
import { encodeCommand } from '../../arch/command.ts';
import { commandFields } from '../../scenario/command-fields.ts';
import type { Command, Scenario } from '../../scenario/types.ts';
import { streamSid } from './streams.ts';

export function encodeScenarioCommand(s: Scenario, c: Command, where: string): bigint[] {
  if (c.raw !== undefined) return [c.raw[0] ?? 0n, c.raw[1] ?? 0n];
  if (c.op === undefined) throw new RangeError(`Cannot encode ${where}: a command needs \`op\` or \`raw\``);
  const sid = c.device !== undefined || c.sid !== undefined ? streamSid(s, c, where) : undefined;
  const cf = commandFields({ ...c, op: c.op }, sid);
  const bad = cf.problems[0];
  if (bad !== undefined) throw new RangeError(`Cannot encode ${where}: ${bad.message}`);
  try {
    return encodeCommand(cf.name, cf.values);
  } catch (e) {
    throw new RangeError(`Cannot encode ${where}: ${(e as Error).message}`);
  }
}

export const SYNC: readonly [bigint, bigint] = encodeCommand('CMD_SYNC', { CS: 0 });
