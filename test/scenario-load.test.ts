// Loader: valid fixtures load with bigints; every kind of bad input is a located, coded error.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { matchExactly } from './support/match-exactly.ts';
import { loadScenarioText } from '../src/engine/load.ts';
import { formatLoadError, type LoadError } from '../src/scenario/errors.ts';
import { stepBody } from '../src/scenario/types.ts';

const fixture = (p: string): string => readFileSync(new URL(`fixtures/suite/scenarios/${p}.yaml`, import.meta.url), 'utf8');
const HEAD = 'description: Checks a rule of the SMMU (SMMUv3 §7.3.9).\ntags: [x]\n';
const load = (src: string, id?: string) => loadScenarioText(src, { file: 'f.yaml', ...(id !== undefined ? { id } : {}) });
const only = (errors: readonly LoadError[], code: string) => errors.filter((e) => e.code === code);

t.test('fixtures load; integers become bigint; name is derived from the path', async (t) => {
  const r = load(fixture('nested/s2-fault-on-s1-walk'), 'nested/s2-fault-on-s1-walk');
  t.same(r.errors, []);
  const s = r.scenario;
  if (s === undefined) {
    t.fail('no scenario');
    return;
  }
  t.equal(s.name, 'nested/s2-fault-on-s1-walk');
  t.equal(s.memory?.s2_tables?.[0]?.map[0]?.ipa, 0x4000_0000n);
  t.equal(s.memory?.s2_tables?.[0]?.map[0]?.size, 2n << 20n, 'size 2M');
  t.equal(stepBody(s.steps[2] ?? { drain_events: {} }, 'cmdq')?.commands[0]?.op, 'TLBI_NH_VA');
  t.equal(s.memory?.s2_tables?.[0]?.ipa_bits, 40, 'small config ints stay numbers');
  const s1 = load(fixture('s1/unmapped-va-faults'), 's1/unmapped-va-faults');
  t.same(s1.errors, []);
});

t.test('64-bit hex strings are exact; > 64 bits and plain ints >= 2^53 are rejected with positions', async (t) => {
  const ok = load(`${HEAD}steps:\n  - write_reg: { reg: SMMU_CMDQ_BASE, value: '0xffff_ffff_ffff_ffff' }\n`);
  t.equal(stepBody(ok.scenario?.steps[0] ?? { drain_events: {} }, 'write_reg')?.value, (1n << 64n) - 1n);
  const wide = load(`${HEAD}steps:\n  - write_reg: { reg: SMMU_CMDQ_BASE, value: '0x1_0000_0000_0000_0000' }\n`);
  matchExactly(t, only(wide.errors, 'VALUE_TOO_WIDE'), [{ line: 4, col: 46, path: 'steps[0].write_reg.value' }]);
  const prec = load(`${HEAD}steps:\n  - write_reg: { reg: SMMU_CMDQ_BASE, value: 9007199254740993 }\n`);
  matchExactly(t, prec.errors, [{ code: 'PRECISION_LOSS', line: 4, col: 46 }]);
  t.equal(prec.errors.length, 1, 'not reported twice by the schema');
});

t.test('unknown keys, step kinds, enum values and features carry a did-you-mean', async (t) => {
  const src = `${HEAD}requires: [nestng]\nsmmu: { features: { atss: true }, cmdq_logsize: 8 }\nsteps:\n  - dmaa: {}\n  - dma: { device: d, iova: 1, access: reed }\n`;
  const r = load(src);
  matchExactly(t, only(r.errors, 'UNKNOWN_FEATURE'), [
    { line: 3, col: 12, message: /did you mean "nesting"/ },
    { line: 4, col: 21, message: /did you mean "ats"/ },
  ]);
  matchExactly(t, only(r.errors, 'UNKNOWN_KEY'), [{ line: 4, col: 35, message: /did you mean "cmdq_log2size"/ }]);
  matchExactly(t, only(r.errors, 'BAD_STEP'), [{ line: 6, col: 5, message: /did you mean "dma"/ }]);
  matchExactly(t, only(r.errors, 'BAD_VALUE'), [{ line: 7, col: 40, message: /did you mean "read"/ }]);
  const text = formatLoadError(r.errors[0] as LoadError, src);
  t.match(text, /^f\.yaml:3:12: error\[UNKNOWN_FEATURE\] at requires\[0\]/);
  t.match(text, /\n3 \| requires: \[nestng\]\n {2}\| {12}\^$/);
});

t.test('missing keys, bad types, two-key steps, descriptions without a rule', async (t) => {
  const r = load('description: no rule cited here\ntags: x\nsteps:\n  - { dma: { device: d, iova: 1, access: read }, ack_gerror: {} }\n');
  matchExactly(t, r.errors, [
    { code: 'BAD_VALUE', line: 1, path: 'description' },
    { code: 'BAD_TYPE', line: 2, col: 7, path: 'tags' },
    { code: 'BAD_STEP', line: 4, path: 'steps[0]' },
  ]);
  const m = load('tags: []\nsteps: []\n');
  matchExactly(t, m.errors, [{ code: 'MISSING_KEY', line: 1, col: 1, message: /"description"/ }]);
});

t.test('references resolve by name, with located errors', async (t) => {
  const src = `${HEAD}devices:\n  - { name: nic0, sid: 1 }\n  - { name: nic0, sid: 1 }\nmemory:\n  s1_tables: [ { name: pt, granule: 4k, va_bits: 48, ipa_space: vm9, map: [ { va: 0, size: 4K, perm: r } ] } ]\n  cd_tables: [ { name: cd, entries: [ { ssid: 0, tt0: ptt } ] } ]\nstreams:\n  - { device: nicc, config: s1, cd_table: cdd }\nsteps:\n  - dma: { device: nic1, iova: 0, access: read }\n  - map: { table: pt, ipa: 0, pa: 0, size: 4K, perm: r }\n`;
  const r = load(src);
  const codes = r.errors.map((e) => `${e.code}@${e.line}:${e.path}`);
  t.same(codes, [
    'DUPLICATE_NAME@5:devices[1].name',
    'DUPLICATE_NAME@5:devices[1].sid',
    'UNKNOWN_REFERENCE@7:memory.s1_tables[0].ipa_space',
    'CONFLICT@7:memory.s1_tables[0].map[0]',
    'UNKNOWN_REFERENCE@8:memory.cd_tables[0].entries[0].tt0',
    'UNKNOWN_REFERENCE@10:streams[0].device',
    'UNKNOWN_REFERENCE@10:streams[0].cd_table',
    'UNKNOWN_REFERENCE@12:steps[0].dma.device',
    'CONFLICT@13:steps[1].map',
    'CONFLICT@13:steps[1].map',
  ]);
  t.match(
    r.errors.find((e) => e.path === 'memory.cd_tables[0].entries[0].tt0'),
    { message: /did you mean "pt"/ },
  );
});

t.test('covers: rule ids must exist, with a did-you-mean', async (t) => {
  const ok = load(`${HEAD}covers: [event.C_BAD_STE]\nsteps: []\n`);
  t.same(ok.errors, []);
  t.same(ok.scenario?.covers, ['event.C_BAD_STE']);
  const bad = load(`${HEAD}covers: [event.C_BAD_STE, event.C_BAD_SST]\nsteps: []\n`);
  matchExactly(t, bad.errors, [{ code: 'UNKNOWN_RULE', line: 3, col: 27, path: 'covers[1]', message: /did you mean "event\.C_BAD_STE"/ }]);
});

t.test('name must match the path', async (t) => {
  const r = load(`name: s1/other\n${HEAD}steps: []\n`, 's1/this');
  matchExactly(t, r.errors, [{ code: 'NAME_MISMATCH', line: 1, col: 7, message: /expected "s1\/this"/ }]);
});

t.test('safety: __proto__, alias bombs, YAML syntax, caps', async (t) => {
  matchExactly(t, load(`${HEAD}steps: []\n__proto__: { polluted: 1 }\n`).errors, [{ code: 'FORBIDDEN_KEY', line: 4, col: 1 }]);
  t.equal(({} as Record<string, unknown>)['polluted'], undefined, 'no prototype pollution');
  const bomb = [
    'a: &a [1,2,3,4,5,6,7,8,9]',
    'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
    'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
    'd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
  ].join('\n');
  matchExactly(t, load(bomb).errors, [{ code: 'ALIAS_LIMIT', line: 2 }]);
  // One broken line gives the parser's three findings, each located (none hidden behind the first).
  matchExactly(t, load('description: x\n  tags: [\n').errors, [
    { code: 'YAML_SYNTAX', line: 1, col: 14, message: /Nested mappings/ },
    { code: 'YAML_SYNTAX', line: 1, col: 14, message: /single line/ },
    { code: 'YAML_SYNTAX', line: 3, col: 1, message: /Flow sequence/ },
  ]);
  matchExactly(t, load(`${HEAD}description: again\nsteps: []\n`).errors, [{ code: 'YAML_SYNTAX', line: 3, message: /unique/ }]);
  const steps = Array.from({ length: 5 }, () => '  - drain_events: {}').join('\n');
  const capped = loadScenarioText(`${HEAD}steps:\n${steps}\n`, { file: 'f.yaml', caps: { maxSteps: 4 } });
  matchExactly(t, capped.errors, [{ code: 'CAP_EXCEEDED', line: 4, message: /5 steps; the cap is 4/ }]);
  const big = loadScenarioText(`${HEAD}steps:\n  - write: { pa: 0, u64: [1, 2, 3] }\n`, { file: 'f.yaml', caps: { maxRawWords: 2 } });
  matchExactly(t, big.errors, [{ code: 'CAP_EXCEEDED' }]);
  matchExactly(t, loadScenarioText('x'.repeat(100), { file: 'f.yaml', caps: { maxFileBytes: 10 } }).errors, [{ code: 'FILE_TOO_LARGE' }]);
  matchExactly(t, load('- 1\n- 2\n').errors, [{ code: 'BAD_TYPE', line: 1 }]);
});

t.test('a sequence or mapping used as a key is a located error, not a stringified key', async (t) => {
  const warnings: string[] = [];
  const onWarning = (w: Error): void => void warnings.push(w.message);
  process.on('warning', onWarning);
  const r = load(`${HEAD}steps:\n  - { [dma]: 1 }\n`);
  await new Promise((resolve) => setImmediate(resolve));
  process.off('warning', onWarning);
  matchExactly(t, r.errors, [{ code: 'BAD_STEP' }, { code: 'BAD_TYPE', line: 4, col: 7 }]);
  t.same(warnings, [], 'yaml prints no process warning');
});
