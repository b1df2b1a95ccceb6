/**
 * The loader's memory of earlier loads (load.ts): a repeated load gives a result equal to the
 * first and independent of it, and every input that changes the result is part of what is
 * remembered (file name, caps, run-level profile, text).
 */
import { isDeepStrictEqual } from 'node:util';
import t from 'tap';
import { STEP_LANGUAGE } from '../engine/steps/registry.ts';
import { type LoadOptions, loadScenarioText } from './load.ts';

const TEXT = `description: cache test (SMMUv3 §6.3.26)
tags: [t]
boot: { cmdq: { log2size: 6 } }
steps:
  - read_reg: { reg: SMMU_CMDQ_BASE }
`;
const load = (text: string, opts: Partial<LoadOptions> = {}) => loadScenarioText(text, { language: STEP_LANGUAGE, file: 'c.yaml', ...opts });

t.test('a repeated load is equal to the first and a copy of it', async (t) => {
  const first = load(TEXT);
  t.equal(first.errors.length, 0);
  const again = load(TEXT);
  t.ok(isDeepStrictEqual(first, again), 'equal, prototypes and bigints included');
  t.not(again.scenario, first.scenario, 'not the same object');
  const s1 = first.scenario as unknown as { steps: unknown[]; tags: string[] };
  s1.steps.length = 0;
  s1.tags.push('changed');
  const third = load(TEXT);
  t.equal(third.scenario?.steps.length, 1, 'changing an earlier result does not reach a later load');
  t.same(third.scenario?.tags, ['t']);
  (third.scenario as unknown as { steps: unknown[] }).steps.length = 0;
  t.equal(load(TEXT).scenario?.steps.length, 1, 'nor does changing a remembered one');
});

t.test('every input that changes the result is part of what is remembered', async (t) => {
  t.same(
    load(TEXT, { profile: { cmdqs: 5 } }).errors.map((e) => e.path),
    ['boot.cmdq.log2size'],
    'the run-level profile: a queue larger than its IDR1.CMDQS',
  );
  t.same(load(TEXT).errors, [], 'the same text without the profile');
  t.same(
    load(TEXT, { caps: { maxFileBytes: 10 } }).errors.map((e) => e.code),
    ['FILE_TOO_LARGE'],
    'the caps',
  );
  const bad = `${TEXT}  - nosuchstep: {}\n`;
  t.same([...new Set(load(bad, { file: 'a.yaml' }).errors.map((e) => e.file))], ['a.yaml']);
  t.same([...new Set(load(bad, { file: 'b.yaml' }).errors.map((e) => e.file))], ['b.yaml'], 'the file name errors carry');
  t.same(load(TEXT, { id: 'x/y' }).scenario?.name, 'x/y');
  t.same(load(TEXT, { id: 'x/z' }).scenario?.name, 'x/z', 'the id');
  t.equal(load(TEXT.replace('log2size: 6', 'log2size: 7')).scenario?.boot?.cmdq?.log2size, 7, 'the text');
});
