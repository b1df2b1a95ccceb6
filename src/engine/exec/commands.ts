/**
 * Scenario commands → 2-dword CMDQ entries (§4). Typed keys map to the architecture's parameter
 * names; `fields` (architecture names) is applied after them; `raw` dwords are used verbatim.
 * `SYNC` is CMD_SYNC, `CFGI_ALL` is CFGI_STE_RANGE with Range=31 (§4.3.3). TLBI addresses are
 * truncated to 4KB (the Address field holds VA[63:12] / IPA[55:12]).
 */
import { type CommandName, commandInfo, encodeCommand } from '../../arch/command.ts';
import type { Command, Scenario } from '../../scenario/types.ts';
import { streamSid } from './streams.ts';

const TG = { '4k': 1, '16k': 2, '64k': 3 } as const;
const CS = { none: 0, irq: 1, sev: 2 } as const;

export function encodeScenarioCommand(s: Scenario, c: Command, where: string): bigint[] {
  if (c.raw !== undefined) return [c.raw[0] ?? 0n, c.raw[1] ?? 0n];
  if (c.op === undefined) throw new RangeError(`Cannot encode ${where}: a command needs \`op\` or \`raw\``);
  const name: CommandName = c.op === 'SYNC' ? 'CMD_SYNC' : c.op === 'CFGI_ALL' ? 'CFGI_STE_RANGE' : c.op;
  const codec = commandInfo(name).codec;
  const f: Record<string, bigint | number | boolean> = {};
  const put = (field: string, key: string, v: bigint | number | boolean | undefined): void => {
    if (v === undefined) return;
    if (!codec.has(field)) throw new RangeError(`Cannot encode ${where}: ${c.op} has no ${field} parameter (scenario key \`${key}\`)`);
    f[field] = v;
  };
  if (c.op === 'CFGI_ALL') f['Range'] = 31;
  if (c.device !== undefined || c.sid !== undefined) put('StreamID', c.device !== undefined ? 'device' : 'sid', streamSid(s, c, where));
  if (c.ssid !== undefined) {
    put('SubstreamID', 'ssid', c.ssid);
    if (codec.has('SSV')) f['SSV'] = 1;
  }
  put('ASID', 'asid', c.asid);
  put('VMID', 'vmid', c.vmid);
  put('Address', 'addr', c.addr === undefined ? undefined : c.addr & ~0xfffn);
  put('Leaf', 'leaf', c.leaf);
  put('Range', 'span', c.span);
  put('Size', 'size', c.size);
  put('NUM', 'num', c.num);
  put('SCALE', 'scale', c.scale);
  put('TG', 'tg', c.tg === undefined ? undefined : TG[c.tg]);
  put('TTL', 'ttl', c.ttl);
  put('CS', 'cs', c.cs === undefined ? undefined : CS[c.cs]);
  put('MSIAddr', 'msiaddr', c.msiaddr);
  put('MSIData', 'msidata', c.msidata);
  put('STAG', 'stag', c.stag);
  if (c.resp !== undefined) {
    if (name === 'RESUME') {
      // Ac=1 retry; Ac=0 terminate, Ab=1 abort / Ab=0 RAZ-WI completion (§4.7.1).
      f['Ac'] = c.resp === 'retry' ? 1 : 0;
      f['Ab'] = c.resp === 'abort' ? 1 : 0;
    } else if (name === 'PRI_RESP') {
      f['Resp'] = c.resp === 'success' ? 2 : c.resp === 'deny' ? 1 : 0;
    } else {
      throw new RangeError(`Cannot encode ${where}: \`resp\` applies to RESUME and PRI_RESP only`);
    }
  }
  try {
    return encodeCommand(name, { ...f, ...(c.fields ?? {}) });
  } catch (e) {
    throw new RangeError(`Cannot encode ${where}: ${(e as Error).message}`);
  }
}

export const SYNC: readonly bigint[] = encodeCommand('CMD_SYNC', { CS: 0 });
