/**
 * What a scenario command's typed keys mean in architecture fields (§4): the one home of that
 * mapping, used by the validator (every value must fit its field) and by the executor (encoding).
 * Typed keys map to the architecture's parameter names; `fields` (architecture names) is applied
 * after them. `SYNC` is CMD_SYNC, `CFGI_ALL` is CFGI_STE_RANGE with Range=31 (§4.3.3). TLBI
 * addresses are truncated to 4KB (the Address field holds VA[63:12] / IPA[55:12]).
 */
import { type CommandName, commandInfo } from '../arch/command.ts';
import type { StructCodec } from '../arch/fields.ts';
import type { Command } from './types.ts';
import type { CommandOp } from './vocab.ts';

const TG = { '4k': 1, '16k': 2, '64k': 3 } as const;
const CS = { none: 0, irq: 1, sev: 2 } as const;

export interface CommandFields {
  readonly name: CommandName;
  readonly codec: StructCodec;
  /** Field values from the typed keys (StreamID from `sid`/`device` as given by the caller), then `fields`. */
  readonly values: Record<string, bigint | number | boolean>;
  /** Typed keys the command has no parameter for (key, message). */
  readonly problems: readonly { readonly key: string; readonly message: string }[];
}

export function commandName(op: CommandOp): CommandName {
  return op === 'SYNC' ? 'CMD_SYNC' : op === 'CFGI_ALL' ? 'CFGI_STE_RANGE' : op;
}

export function commandFields(c: Command & { readonly op: CommandOp }, streamId: bigint | number | undefined): CommandFields {
  const name = commandName(c.op);
  const codec = commandInfo(name).codec;
  const f: Record<string, bigint | number | boolean> = {};
  const problems: { key: string; message: string }[] = [];
  const put = (field: string, key: string, v: bigint | number | boolean | undefined): void => {
    if (v === undefined) return;
    if (!codec.has(field)) problems.push({ key, message: `${c.op} has no ${field} parameter (scenario key \`${key}\`)` });
    else f[field] = v;
  };
  if (c.op === 'CFGI_ALL') f['Range'] = 31;
  if (streamId !== undefined) put('StreamID', c.device !== undefined ? 'device' : 'sid', streamId);
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
      problems.push({ key: 'resp', message: '`resp` applies to RESUME and PRI_RESP only' });
    }
  }
  return { name, codec, values: { ...f, ...(c.fields ?? {}) }, problems };
}
