// Loader fuzzing for loader-fuzz.test.ts (count set by FUZZ, see fuzz-size.ts). Each variant
// either loads or is rejected with located, coded errors; nothing ever throws.
import { readFileSync } from 'node:fs';
import { loadScenarioText } from '../src/engine/load.ts';
import type { LoadErrorCode } from '../src/scenario/errors.ts';
import { xorshift32 } from './rng.ts';

const CODES: ReadonlySet<LoadErrorCode> = new Set<LoadErrorCode>([
  'READ_FAILED',
  'FILE_TOO_LARGE',
  'YAML_SYNTAX',
  'ALIAS_LIMIT',
  'FORBIDDEN_KEY',
  'PRECISION_LOSS',
  'VALUE_TOO_WIDE',
  'UNKNOWN_KEY',
  'MISSING_KEY',
  'BAD_TYPE',
  'BAD_VALUE',
  'UNKNOWN_FEATURE',
  'BAD_STEP',
  'UNKNOWN_REFERENCE',
  'UNKNOWN_RULE',
  'DUPLICATE_NAME',
  'CONFLICT',
  'NAME_MISMATCH',
  'CAP_EXCEEDED',
]);
// Compact seeds keep 10,000 loads inside the time budget while covering every top-level section.
const SEEDS = [
  { id: 'cmdq/illegal-command', text: readFileSync(new URL('fixtures/suite/scenarios/cmdq/illegal-command.yaml', import.meta.url), 'utf8') },
  {
    id: 's1/compact',
    text: `description: An unmapped VA faults with F_TRANSLATION (SMMUv3 §7.3.9).
tags: [s1]
requires: [s1]
smmu: { oas: 48, strtab: linear }
devices: [ { name: nic0, sid: 0x10 } ]
memory:
  s1_tables: [ { name: pt0, granule: 4k, va_bits: 48, map: [ { va: 0x1000, pa: '0x8000_0000', size: 4K, perm: rw } ] } ]
  cd_tables: [ { name: cd0, entries: [ { ssid: 0, asid: 5, tt0: pt0 } ] } ]
streams: [ { device: nic0, config: s1, cd_table: cd0 } ]
steps:
  - dma: { device: nic0, iova: 0x2000, access: read, expect: { result: fault, events: [ { type: F_TRANSLATION } ] } }
`,
  },
  {
    id: 'nested/compact',
    text: `description: Nested walk with an S2 fault (SMMUv3 §3.4).
tags: [nested]
devices: [ { name: gpu, sid: 2 } ]
memory:
  s2_tables: [ { name: vm0, granule: 4k, ipa_bits: 40, map: [ { ipa: 0x4000_0000, pa: 0x9000_0000, size: 2M, perm: rw } ] } ]
streams: [ { device: gpu, config: s2, s2_table: vm0, vmid: 3 } ]
steps:
  - unmap: { table: vm0, ipa: 0x4000_0000, size: 2M }
  - cmdq: { commands: [ { op: TLBI_S2_IPA, vmid: 3, addr: 0x4000_0000 } ] }
`,
  },
];
const TOKENS = [
  ':',
  '-',
  ' ',
  '  ',
  '\n',
  '\t',
  '[',
  ']',
  '{',
  '}',
  ',',
  '&a',
  '*a',
  '!!str',
  '!!binary',
  '|',
  '>',
  "'",
  '"',
  '#',
  '0x',
  '0xffff_ffff_ffff_ffff_f',
  '18446744073709551617',
  '9007199254740993',
  '-1',
  '1.5',
  '~',
  'null',
  'true',
  '__proto__',
  'constructor',
  '<<',
  '? ',
  '%YAML 1.2\n',
  '---\n',
  '...\n',
  'dma',
  'ste',
  'nic0',
  'pt0',
  'vm0',
  '4K',
  '2M',
];

/** Deterministic so a failing variant is reproducible from its index. */
const rng = xorshift32;

function mutate(text: string, r: () => number): string {
  let s = text;
  const n = 1 + Math.floor(r() * 3);
  for (let k = 0; k < n; k++) {
    const at = Math.floor(r() * (s.length + 1));
    const lines = s.split('\n');
    const li = Math.floor(r() * lines.length);
    switch (Math.floor(r() * 7)) {
      case 0: // delete a range
        s = s.slice(0, at) + s.slice(at + 1 + Math.floor(r() * 12));
        break;
      case 1: // insert a token
        s = s.slice(0, at) + (TOKENS[Math.floor(r() * TOKENS.length)] ?? '') + s.slice(at);
        break;
      case 2: // duplicate a line
        lines.splice(li, 0, lines[li] ?? '');
        s = lines.join('\n');
        break;
      case 3: // re-indent a line
        lines[li] = ' '.repeat(Math.floor(r() * 8)) + (lines[li] ?? '').trimStart();
        s = lines.join('\n');
        break;
      case 4: // swap two lines
        {
          const lj = Math.floor(r() * lines.length);
          const tmp = lines[li] ?? '';
          lines[li] = lines[lj] ?? '';
          lines[lj] = tmp;
          s = lines.join('\n');
        }
        break;
      case 5: // replace a number
        s = s.replace(/\b\d+\b/, () => TOKENS[20 + Math.floor(r() * 5)] ?? '0');
        break;
      default: // replace one character with a random printable or control one
        s = s.slice(0, at) + String.fromCharCode(Math.floor(r() * 128)) + s.slice(at + 1);
    }
  }
  return s;
}

export interface FuzzOutcome {
  readonly loaded: number;
  readonly rejected: number;
  readonly problems: readonly string[];
}

/** Load variants [from, to); variant i is reproducible from i alone. */
export function fuzzLoader(from: number, to: number): FuzzOutcome {
  let loaded = 0;
  let rejected = 0;
  const problems: string[] = [];
  for (let i = from; i < to; i++) {
    const seed = SEEDS[i % SEEDS.length];
    if (seed === undefined) continue;
    const src = mutate(seed.text, rng(i + 1));
    const lineCount = src.split('\n').length;
    try {
      const res = loadScenarioText(src, { file: 'fuzz.yaml', id: seed.id });
      if (res.scenario !== undefined) {
        loaded++;
        if (res.errors.length > 0) problems.push(`#${i}: scenario returned together with errors`);
        continue;
      }
      rejected++;
      if (res.errors.length === 0) problems.push(`#${i}: rejected without an error`);
      for (const e of res.errors) {
        const ok =
          CODES.has(e.code) &&
          e.file === 'fuzz.yaml' &&
          Number.isInteger(e.line) &&
          e.line >= 1 &&
          e.line <= lineCount + 1 &&
          Number.isInteger(e.col) &&
          e.col >= 1 &&
          e.message.length > 0;
        if (!ok) problems.push(`#${i}: badly located error ${JSON.stringify(e)}`);
      }
    } catch (err) {
      problems.push(`#${i}: threw ${err instanceof Error ? err.message : String(err)}`);
    }
    if (problems.length > 10) break;
  }
  return { loaded, rejected, problems };
}
