/** Strict option parsing on node:util parseArgs, with a did-you-mean for unknown options. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { closest } from '../arch/fields.ts';

export type Options = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  readonly values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  readonly positionals: string[];
}

export function parseCommandArgs(args: readonly string[], options: Options): Parsed | string {
  try {
    const r = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
    return { values: r.values as Parsed['values'], positionals: r.positionals };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const m = /Unknown option '(-{1,2})([^']+)'/.exec(msg);
    if (m !== null) {
      const dym = closest(m[2] ?? '', Object.keys(options));
      return `Unknown option ${m[1]}${m[2]}${dym !== undefined ? ` (did you mean --${dym}?)` : ''}`;
    }
    return msg;
  }
}

export function str(v: Parsed['values'][string]): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function strs(v: Parsed['values'][string]): string[] {
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return typeof v === 'string' ? [v] : [];
}
