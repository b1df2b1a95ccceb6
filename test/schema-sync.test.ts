// The scenario schema, its committed JSON and the TypeScript model cannot drift apart.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { matchExactly } from './support/match-exactly.ts';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { scenarioSchemaText } from '../src/engine/write-schema.ts';
import { STEP_KINDS, STEP_SHAPES, scenarioSchema } from '../src/engine/steps/registry.ts';
import { SHAPES as DOCUMENT_SHAPES } from '../src/scenario/types.ts';
import { canonicalGolden } from '../src/golden/canonical.ts';

type Json = Record<string, unknown>;
const root = new URL('../', import.meta.url);
const SHAPES = { ...DOCUMENT_SHAPES, ...STEP_SHAPES };
const buildScenarioSchema = scenarioSchema;

t.test('schemas/scenario.schema.json is the generated schema', async (t) => {
  const committed = readFileSync(new URL('schemas/scenario.schema.json', root), 'utf8');
  t.equal(committed, scenarioSchemaText(), 'regenerate with: node --import=tsx src/engine/write-schema.ts');
});

t.test('every schema object has a SHAPES entry with the same keys and required keys', async (t) => {
  const schema = buildScenarioSchema();
  const defs = schema['$defs'] as Record<string, Json>;
  const objects: [string, Json][] = [['#', schema], ...Object.entries(defs)];
  const modelled = new Set<string>();
  // The loader fills `name` from the path, so the model has it required where the schema does not.
  const filledByLoader: Record<string, string[]> = { '#': ['name'] };
  for (const [name, s] of objects) {
    if (s['type'] !== 'object' || s['additionalProperties'] !== false) continue;
    const shape = SHAPES[name];
    if (shape === undefined) {
      // fieldMap-like open maps are not modelled; plain closed objects must be.
      t.fail(`$defs/${name} has no SHAPES entry (src/scenario/types.ts, or the step's definition in src/engine/steps/)`);
      continue;
    }
    modelled.add(name);
    const props = Object.keys((s['properties'] ?? {}) as Json).sort();
    t.same([...shape.all].sort(), props, `${name}: keys`);
    const req = [...((s['required'] ?? []) as string[]), ...(filledByLoader[name] ?? [])].sort();
    t.same([...shape.required].sort(), req, `${name}: required keys`);
  }
  for (const k of Object.keys(SHAPES)) {
    if (!modelled.has(k) && !(k.startsWith('step_') && defs[k]?.['$ref'] !== undefined)) t.fail(`SHAPES.${k} models nothing in the schema`);
  }
  t.same(Object.keys((defs['step']?.['properties'] ?? {}) as Json), [...STEP_KINDS], 'step kinds');
});

t.test('every object in the scenario schema is closed (additionalProperties: false or a typed map)', async (t) => {
  const open: string[] = [];
  const walk = (s: unknown, path: string): void => {
    if (typeof s !== 'object' || s === null) return;
    const o = s as Json;
    if (o['type'] === 'object' && o['additionalProperties'] === undefined) open.push(path);
    for (const [k, v] of Object.entries(o)) walk(v, `${path}/${k}`);
  };
  walk(buildScenarioSchema(), '#');
  t.same(open, []);
});

t.test('golden schema compiles in strict mode and accepts canonical goldens', async (t) => {
  const schema = JSON.parse(readFileSync(new URL('schemas/golden.schema.json', root), 'utf8')) as Json;
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
  const validate = ajv.compile(schema);
  const text = canonicalGolden({
    scenario: 'a/b',
    steps: [{ step: 1, op: 'dma', result: 'fault', cerror: 'CERROR_NONE' }],
    events: [{ step: 1, type: 'F_TRANSLATION', sid: '0x10', raw: [1n, 2n, 3n, 4n] }],
    guest_events: [],
    host_log: ['x: y'],
    cmdq: { cons: '0x00000001' },
  });
  t.ok(validate(parse(text)), JSON.stringify(validate.errors));
  t.notOk(validate({ scenario: 'a', steps: [], events: [], guest_events: [], host_log: [], cmdq: {}, extra: 1 }), 'unknown section rejected');
});

t.test('src/scenario/validator.generated.ts is the standalone code of the current schema', async (t) => {
  const { validatorModuleText } = await import('../src/engine/write-schema.ts');
  const committed = readFileSync(new URL('src/scenario/validator.generated.ts', root), 'utf8');
  t.ok(committed === validatorModuleText(), 'regenerate with: node --import=tsx src/engine/write-schema.ts');
});

t.test('the generated validator uses ajv runtime helpers correctly (uniqueItems, maxLength)', async (t) => {
  const { loadScenarioText } = await import('../src/engine/load.ts');
  const r = loadScenarioText(`description: Rule check (SMMUv3 §3.2).\ntags: [a, a]\ndevices: [ { name: ${'n'.repeat(70)}, sid: 1 } ]\nsteps: []\n`, {
    file: 'f',
  });
  matchExactly(t, r.errors, [
    { code: 'BAD_VALUE', line: 2, path: 'tags' },
    { code: 'BAD_VALUE', line: 3, path: 'devices[0].name' },
  ]);
});

t.test('docs/steps.md is generated from the step registry, and every example is a valid step', async (t) => {
  const { stepsDocText } = await import('../src/engine/write-schema.ts');
  const { STEPS } = await import('../src/engine/steps/registry.ts');
  const { loadScenarioText } = await import('../src/engine/load.ts');
  t.ok(readFileSync(new URL('docs/steps.md', root), 'utf8') === stepsDocText(), 'regenerate with: node --import=tsx src/engine/write-schema.ts');
  for (const k of STEP_KINDS) {
    const text = `description: Example (SMMUv3 §3.2).\ntags: [x]\nhost: {}\nsteps:\n  - ${STEPS[k].example}\n`;
    const r = loadScenarioText(text, { file: `${k}.yaml` });
    // names the example uses are not declared here: only name-resolution errors may remain
    const syntax = r.errors.filter((e) => e.code !== 'UNKNOWN_REFERENCE' && e.code !== 'CONFLICT');
    t.same(syntax, [], `${k}: example is a valid ${k} step`);
    t.equal(Object.keys(parse(STEPS[k].example) as object)[0], k, `${k}: example names its kind`);
  }
});
