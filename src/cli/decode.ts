/**
 * `smmu-conform decode <kind> <dword...>`: print an SMMUv3 structure field by field.
 *
 * kind: ste (8 dwords) | cd (8) | cmd (2) | event (4) | l1cd (1) | l1std (1) | s1ttd (1) | s2ttd (1);
 * a translation-table descriptor is read at `--level=N` (0-3, default 3) with `--granule=4k|16k|64k`
 * (default 4k): table, block or page by bits[1:0] and the level (Arm ARM D8.3).
 * Dwords: `0x`-prefixed hex, bare hex containing a-f, bare digit strings with a leading zero or
 * exactly 16 digits (a hex dump), otherwise decimal; `_` separators are allowed.
 * Output: a header naming the structure (command/event name and number), the raw dwords, one
 * line per field (name, position, value, enum name, meaning) and a note when RES0 bits are set.
 * Bad input (wrong count, unparsable dword, unknown kind) → one line on stderr, exit code 2.
 * Deterministic: pure function of `args`; `main.ts` wires it to process I/O.
 */
import { CD, L1CD } from '../arch/cd.ts';
import { commandCodec, decodeCommand } from '../arch/command.ts';
import { decodeEvent, eventCodec } from '../arch/event.ts';
import { type StructCodec, formatField, hex64, suggest } from '../arch/fields.ts';
import { L1STD } from '../arch/l1std.ts';
import { STE, steConfigName } from '../arch/ste.ts';
import { type Granule, blockAllowed, TTD } from '../arch/ttd.ts';
import type { CliResult } from '../trace/cli.ts';

const KINDS = ['ste', 'cd', 'cmd', 'event', 'l1cd', 'l1std', 's1ttd', 's2ttd'] as const;
type Kind = (typeof KINDS)[number];
const DWORDS: Readonly<Record<Kind, number>> = { ste: 8, cd: 8, cmd: 2, event: 4, l1cd: 1, l1std: 1, s1ttd: 1, s2ttd: 1 };
const GRANULES = { '4k': 4096, '16k': 16384, '64k': 65536 } as const;
interface TtdOpts {
  readonly level: number;
  readonly granule: Granule;
}

export const DECODE_USAGE = [
  'usage: smmu-conform decode <kind> <dword...> [--nonzero]',
  '  kind: ste (8 dwords) | cd (8) | cmd (2) | event (4) | l1cd (1) | l1std (1) | s1ttd (1) | s2ttd (1)',
  '  --level=N (0-3, default 3) --granule=4k|16k|64k (default 4k): how an s1ttd/s2ttd descriptor is read',
  '  dwords: 0x-prefixed hex, bare hex (a-f, a leading 0, or 16 digits) or decimal; "_" allowed',
  '  --nonzero: print only fields that are non-zero',
].join('\n');

const MAX64 = (1n << 64n) - 1n;

/** Parse one dword; undefined when it is not a number or does not fit in 64 bits. */
export function parseDword(text: string): bigint | undefined {
  const s = text.replace(/_/g, '').toLowerCase();
  if (s === '' || text.startsWith('_') || text.endsWith('_')) return undefined;
  let v: bigint;
  if (/^0x[0-9a-f]+$/.test(s)) v = BigInt(s);
  else if (/^[0-9a-f]+$/.test(s) && (/[a-f]/.test(s) || (s.length > 1 && s.startsWith('0')) || s.length === 16)) v = BigInt(`0x${s}`);
  else if (/^[0-9]+$/.test(s)) v = BigInt(s);
  else return undefined;
  return v <= MAX64 ? v : undefined;
}

function fail(message: string): CliResult {
  return { stdout: '', stderr: `smmu-conform decode: ${message}\n`, exitCode: 2 };
}

export function runDecode(args: string[]): CliResult {
  if (args.includes('--help') || args.includes('-h')) return { stdout: `${DECODE_USAGE}\n`, stderr: '', exitCode: 0 };
  const flags = args.filter((a) => a.startsWith('--'));
  const rest = args.filter((a) => !a.startsWith('--'));
  const badFlag = flags.find((f) => f !== '--nonzero' && !/^--(level|granule)=/.test(f));
  if (badFlag !== undefined) return fail(`unknown option "${badFlag}"${suggest(badFlag, ['--nonzero', '--level=', '--granule=', '--help'])}`);
  const levelText = flags.find((f) => f.startsWith('--level='))?.slice(8) ?? '3';
  const granText = (flags.find((f) => f.startsWith('--granule='))?.slice(10) ?? '4k').toLowerCase();
  if (!/^[0-3]$/.test(levelText)) return fail(`--level must be 0, 1, 2 or 3, got "${levelText}"`);
  const granule = GRANULES[granText as keyof typeof GRANULES] as TtdOpts['granule'] | undefined;
  if (granule === undefined) return fail(`--granule must be 4k, 16k or 64k, got "${granText}"`);
  const ttd: TtdOpts = { level: Number(levelText), granule };
  const [kindArg, ...words] = rest;
  if (kindArg === undefined) return fail(`missing <kind> (one of ${KINDS.join(', ')}); try --help`);
  const kind = KINDS.find((k) => k === kindArg.toLowerCase());
  if (kind === undefined) return fail(`unknown kind "${kindArg}"${suggest(kindArg, KINDS)}; expected one of ${KINDS.join(', ')}`);
  const want = DWORDS[kind];
  if (words.length !== want) {
    return fail(`${kind} needs ${want} dword${want === 1 ? '' : 's'}, got ${words.length}`);
  }
  const raw: bigint[] = [];
  for (const [i, w] of words.entries()) {
    const v = parseDword(w);
    if (v === undefined) return fail(`cannot parse dword ${i} "${w}" as a 64-bit hex or decimal value`);
    raw.push(v);
  }
  const { title, codec } = describeKind(kind, raw, ttd);
  if (codec === undefined) return { stdout: `${title}\n  raw: ${raw.map(hex64).join(' ')}\n`, stderr: '', exitCode: 0 };
  const lines = [title, `  raw: ${raw.map(hex64).join(' ')}`];
  for (const d of codec.describe(raw)) {
    if (flags.includes('--nonzero') && d.value === 0n) continue;
    lines.push(`  ${formatField(d)}`);
  }
  const res0 = raw
    .map((w, i) => [i, w & ~(codec.definedMask[i] ?? 0n)] as const)
    .filter(([, bits]) => bits !== 0n)
    .map(([i, bits]) => `dw${i}=${hex64(bits)}`);
  if (res0.length > 0) lines.push(`  note: bits outside every ${codec.name} field (RES0) are set: ${res0.join(' ')}`);
  return { stdout: `${lines.join('\n')}\n`, stderr: '', exitCode: 0 };
}

function describeKind(kind: Kind, raw: readonly bigint[], o: TtdOpts): { title: string; codec: StructCodec | undefined } {
  switch (kind) {
    case 's1ttd':
    case 's2ttd': {
      // bits[1:0] and the level decide the kind (Arm ARM D8.3): 0bx0 invalid, 0b11 table above
      // level 3 or page at level 3, 0b01 block above level 3 (reserved at level 3).
      const stage = kind === 's1ttd' ? 1 : 2;
      const d = raw[0] ?? 0n;
      const where = `stage-${stage} level-${o.level} descriptor, ${o.granule / 1024}K granule`;
      if ((d & 1n) === 0n) return { title: `invalid ${where} (bit 0 = 0: a walk that reads it gives a Translation fault)`, codec: undefined };
      if (o.level === 3 && (d & 3n) === 1n) return { title: `reserved ${where} (0b01 at level 3: a Translation fault)`, codec: undefined };
      if (o.level < 3 && (d & 3n) === 3n) return { title: `table ${where}`, codec: TTD.table[o.granule] };
      if (o.level === 0 && !blockAllowed(Math.log2(o.granule), 0, false))
        return { title: `block ${where}: not allowed at level 0 (a Translation fault)`, codec: undefined };
      return { title: `${o.level === 3 ? 'page' : 'block'} ${where}`, codec: stage === 1 ? TTD.s1Leaf[o.granule] : TTD.s2Leaf[o.granule] };
    }
    case 'cmd': {
      const d = decodeCommand(raw);
      const codec = commandCodec(d.opcode);
      const name = d.name === 'UNKNOWN' ? 'UNKNOWN (reserved opcode: CERROR_ILL)' : d.name;
      return { title: `${name} (command opcode 0x${d.opcode.toString(16).padStart(2, '0')})`, codec };
    }
    case 'event': {
      const d = decodeEvent(raw);
      const codec = eventCodec(d.type);
      const name = d.name === 'UNKNOWN' ? 'UNKNOWN (reserved event number)' : d.name;
      return { title: `${name} (event 0x${d.type.toString(16).padStart(2, '0')})`, codec };
    }
    case 'ste': {
      const f = STE.decode(raw);
      return { title: `STE (V=${f.V}, Config=${steConfigName(f.Config ?? 0n)})`, codec: STE };
    }
    case 'cd': {
      const f = CD.decode(raw);
      return { title: `CD (V=${f.V}, ASID=${f.ASID})`, codec: CD };
    }
    case 'l1cd':
      return { title: 'L1CD', codec: L1CD };
    case 'l1std':
      return { title: 'L1STD', codec: L1STD };
  }
}
