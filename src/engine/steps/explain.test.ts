// `explain` covers every step kind (issue 12 part 7): for each kind of the registry, a scenario
// that uses it (the first shipped one, or a fixture here for a kind no shipped scenario uses yet)
// is run with tracing, and the step's explanation must hold its kind's own detail lines (what was
// done, in architecture terms), not just the result and generic lines. A new step kind with no
// scenario fails here; one without a `detail` renderer does not compile (define.ts).
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { parse } from 'yaml';
import { executeScenario } from '../execute.ts';
import { loadScenarioText } from '../load.ts';
import { STEP_KINDS } from './registry.ts';

const ROOT = fileURLToPath(new URL('../../../scenarios/', import.meta.url));

/** Kinds no shipped scenario uses yet. */
const FIXTURES: Readonly<Record<string, string>> = {
  read_reg: `description: read a register (SMMUv3 §6.3.19)
tags: [t]
steps:
  - read_reg: { reg: SMMU_GERROR }
`,
};

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? yamlFiles(join(dir, e.name)) : e.name.endsWith('.yaml') ? [join(dir, e.name)] : []))
    .sort();
}

/** kind -> [scenario text, file, 1-based step] of its first use. */
function firstUses(): Map<string, [string, string, number]> {
  const out = new Map<string, [string, string, number]>();
  for (const f of yamlFiles(ROOT)) {
    const text = readFileSync(f, 'utf8');
    const steps = (parse(text) as { steps?: Record<string, unknown>[] }).steps ?? [];
    steps.forEach((s, i) => {
      const k = Object.keys(s)[0];
      if (k !== undefined && !out.has(k)) out.set(k, [text, relative(ROOT, f), i + 1]);
    });
  }
  for (const [k, text] of Object.entries(FIXTURES)) if (!out.has(k)) out.set(k, [text, `fixture ${k}`, 1]);
  return out;
}

const GENERIC = /^(result: |command |walk |event )/;

t.test('every step kind is explained in its own terms', async (t) => {
  const uses = firstUses();
  t.same(
    STEP_KINDS.filter((k) => !uses.has(k)),
    [],
    'every kind has a scenario to explain',
  );
  for (const kind of STEP_KINDS) {
    const use = uses.get(kind);
    if (use === undefined) continue;
    const [text, file, step] = use;
    const r = loadScenarioText(text, { file });
    if (r.scenario === undefined) {
      t.fail(`${file}: ${r.errors.map((e) => e.message).join('; ')}`);
      continue;
    }
    const obs = executeScenario(r.scenario, { profile: { name: 't', features: [] }, trace: true });
    const lines = obs.explained?.find((e) => e.step === step)?.lines ?? [];
    t.equal(lines[0], `result: ${obs.steps[step - 1]?.result}`, `${kind} (${file} step ${step}): the result first`);
    const own = lines.slice(1).filter((l) => !GENERIC.test(l));
    t.ok(own.length > 0 && own.every((l) => l.trim() !== ''), `${kind} (${file} step ${step}): its detail says what was done`);
  }
});

t.test('commands the SMMU consumed are decoded with their effect; events with their fields', async (t) => {
  const r = loadScenarioText(
    `description: explain a CMDQ batch and a fault (SMMUv3 §4.3.1, §7.3.12)
tags: [t]
devices: [ { name: nic0, sid: 0x10 } ]
memory:
  s1_tables: [ { name: pt0, granule: 4k, va_bits: 48, map: [ { va: 0x1000, pa: 0x8000_1000, size: 4K, perm: r } ] } ]
  cd_tables: [ { name: cdt0, entries: [ { ssid: 0, asid: 1, tt0: pt0 } ] } ]
streams: [ { device: nic0, config: s1, cd_table: cdt0 } ]
steps:
  - cmdq: { commands: [ { op: CFGI_STE, device: nic0, leaf: true } ], sync: true }
  - dma: { device: nic0, iova: 0x1008, access: write }
  - write_reg: { reg: SMMU_CR0, value: 0 }
`,
    { file: 'x.yaml' },
  );
  if (r.scenario === undefined) throw new Error(r.errors.map((e) => e.message).join('; '));
  const obs = executeScenario(r.scenario, { profile: { name: 't', features: [] }, trace: true });
  const of = (n: number): readonly string[] => obs.explained?.find((e) => e.step === n)?.lines ?? [];
  t.match(of(1), [
    'result: ok',
    /^1 command\(s\) \+ CMD_SYNC written/,
    'command CFGI_STE StreamID=16 Leaf=1: config cache: the STE of StreamID 0x10 invalidated (§4.3.1)',
    /^command CMD_SYNC.*: completion: every earlier command has completed/,
  ]);
  t.match(of(2), ['result: fault', /^STE of StreamID 0x10 at PA 0x[0-9a-f]+: V=1 Config=5 \(S1_TRANS\)/, /^CD\[0\] at PA .* ASID=1 /]);
  t.ok(of(2).includes('event F_PERMISSION sid=16 s2=0 class=IN rnw=0 pnu=0 ind=0 stall=0 input_addr=0x1008'), 'the event record, decoded');
  t.match(of(3), ['result: ok', /^SMMU_CR0 written 0x0 \(§6\.3\.9\): all fields zero$/]);
  t.equal(executeScenario(r.scenario, { profile: { name: 't', features: [] } }).explained, undefined, 'only with trace');
});

t.test('a nested stream: the CD is read at its IPA translated by the stream stage 2', async (t) => {
  const file = join(ROOT, 'host', 'inv-cfgi-cd-refetch.yaml');
  const r = loadScenarioText(readFileSync(file, 'utf8'), { file });
  if (r.scenario === undefined) throw new Error(r.errors.map((e) => e.message).join('; '));
  const obs = executeScenario(r.scenario, { profile: { name: 't', features: [] }, trace: true });
  const lines = obs.explained?.find((e) => e.step === 6)?.lines ?? [];
  t.match(lines, [
    'result: ok',
    /^STE of StreamID 0x10 at PA 0x10000400: V=1 Config=7 \(NESTED\) S1ContextPtr=0x70004000 /,
    /^CD\[0\] at IPA 0x70004000 -> PA 0x30004000 \(stage 2\): .* V=1 /,
  ]);
});
