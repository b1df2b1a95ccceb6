// Differential fuzzing without QEMU: a fake target (the emulator behind the target contract, made
// to deviate in a known way) is classified, deduplicated, minimised; campaigns shard, merge and
// resume to the same report bytes; known deviations come from an expectation file.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { cli } from '../cli/app.ts';
import { loadScenarioFile, loadScenarioText } from '../engine/load.ts';
import { SparseMemory } from '../memory/sparse-memory.ts';
import { SmmuDevice } from '../smmu/device.ts';
import { makeProfile, profileToIdRegs } from '../smmu/profile.ts';
import { EMULATOR_CAPABILITIES, EmulatorTarget } from '../target/emulator.ts';
import { profileFromIdRegs } from '../target/idregs.ts';
import { profileFeatures } from '../scenario/features.ts';
import type { Observation } from '../scenario/observation.ts';
import type { Scenario } from '../scenario/types.ts';
import type { TargetCapabilities } from '../target/contract.ts';
import { mergeCampaigns, runCampaign, showsClass } from './campaign.ts';
import { adaptText } from './adapt.ts';
import { buildReport } from './report.ts';
import { generateScenarios } from '../generate/index.ts';
import { canonicalClass, classify } from './classify.ts';
import { ddmin, minimise } from './minimise.ts';
import { runPair } from './pair.ts';
import { type DiffTarget, qemuDiffTarget, standIn, targetPart } from './target.ts';

const QEMU = process.env['SMMU_CONFORM_QEMU'] ?? 'qemu-system-aarch64';

/**
 * The emulator seen the way QEMU's edu sees a DMA: no completion status (normalisation
 * dma-outcome). A terminated transaction looks the same from outside whether it was an abort or an
 * unrecorded fault (CD.R=0), so only the event queue tells them apart.
 */
class BlindEmulator extends EmulatorTarget {
  override readonly capabilities: TargetCapabilities = { ...EMULATOR_CAPABILITIES, transactionOutcome: false };
}

/** Records stage-1 faults with CLASS=CD (as QEMU 7.2 does): event dw1 bits [41:40] cleared on read-back. */
class ClassCdTarget extends BlindEmulator {
  override readMem(pa: bigint, length: number): Uint8Array {
    const b = super.readMem(pa, length);
    if (length === 32 && (b[0] === 0x10 || b[0] === 0x13)) b[13] = (b[13] ?? 0) & ~0x3;
    return b;
  }
}

/** The emulator as a target; `deviate` makes it the CLASS=CD one. */
function fakeTarget(deviate: boolean): DiffTarget {
  const profile = profileFromIdRegs('emulator', profileToIdRegs(makeProfile()));
  return {
    name: deviate ? 'fake-classcd' : 'fake-exact',
    profile,
    features: profileFeatures(profile),
    open: () => {
      const dev = new SmmuDevice({ mem: new SparseMemory(), profile, cachePolicy: 'max' });
      return deviate ? new ClassCdTarget(dev) : new BlindEmulator(dev);
    },
  };
}

function load(id: string): Scenario {
  const r = loadScenarioFile(`scenarios/${id}.yaml`, { file: id, id });
  if (r.scenario === undefined) throw new Error(`cannot load ${id}`);
  return r.scenario;
}

const CLASS_KEY = 'events[F_TRANSLATION].class: IN -> CD';

t.test('runPair: an exact target agrees; a deviating one is classified by first field and rule', async (t) => {
  const s = load('smoke/s1-translation-fault');
  t.same(runPair(s, fakeTarget(false)).verdict, { kind: 'agree' });
  const v = runPair(s, fakeTarget(true)).verdict;
  if (v.kind !== 'deviates') {
    t.fail(`expected a deviation, got ${v.kind}`);
    return;
  }
  t.equal(v.cls.key, CLASS_KEY);
  t.equal(v.cls.field, 'events[F_TRANSLATION].class');
  t.equal(v.cls.section, '§7.3.13');
  t.match(v.summary, /events\[0\] \(step 2 F_TRANSLATION\): field class: expected "IN", got "CD"/);
  // a permission fault is another class (another event type), a translation into bypass none
  const p = runPair(load('s1/permission-write-read-only'), fakeTarget(true)).verdict;
  t.equal(p.kind === 'deviates' ? p.cls.key : p.kind, 'events[F_PERMISSION].class: IN -> CD');
  t.same(runPair(load('smoke/s1-translate'), fakeTarget(true)).verdict, { kind: 'agree' });
});

t.test('runPair: a requirement the target lacks is a skip with the reason', async (t) => {
  const target = { ...fakeTarget(true), features: fakeTarget(true).features.filter((f) => f !== 's1') };
  const v = runPair(load('smoke/s1-translation-fault'), target).verdict;
  t.equal(v.kind, 'skip');
  t.match(v.kind === 'skip' ? v.reason : '', /requires s1 \(not in fake-classcd's ID registers\)/);
});

t.test('an acknowledged CMDQ_ERR that fails again at the same CONS is a new error on a target too', async (t) => {
  // before target-device.ts compared GERROR across the ack, the unchanged CONS read as "no new error"
  const s = load('cmdq/ack-unfixed-command-fails-again');
  t.same(runPair(s, fakeTarget(false)).verdict, { kind: 'agree' });
});

t.test('preflight: what the target cannot express is skipped before the target starts', async (t) => {
  const base = fakeTarget(false);
  let opened = 0;
  const caps = { ...EMULATOR_CAPABILITIES, substreams: false };
  const target: DiffTarget = {
    ...base,
    open: (s) => {
      opened++;
      return base.open(s);
    },
    preflight: () => standIn('emulator', base.profile, caps, [{ base: 0n, size: 1n << 52n }]),
  };
  const v = runPair(load('config/s1dss-substream0-without-ssid-uses-cd0'), target).verdict;
  t.match(v, { kind: 'skip', reason: /cannot issue transactions with a SubstreamID/ });
  t.equal(opened, 0, 'the target was never opened');
  t.same(runPair(load('smoke/s1-translate'), target).verdict, { kind: 'agree' });
  t.equal(opened, 1, 'an expressible scenario runs on the target');
});

t.test('a permitted choice the target makes does not name the class: the deviation no choice explains does', async (t) => {
  // the target ignores RES0 command bits (permitted, §4.1.5) and records stage-1 faults with CLASS=CD (not)
  const ignoring: DiffTarget = {
    ...fakeTarget(true),
    open: () => new ClassCdTarget(new SmmuDevice({ mem: new SparseMemory(), profile: makeProfile({ cmdRes0: 'ignore' }), cachePolicy: 'max' })),
  };
  const text = readFileSync('scenarios/smoke/s1-translation-fault.yaml', 'utf8').replace(
    /^steps:\n/m,
    'steps:\n  - cmdq: { commands: [ { raw: [0x805, 0x0] } ], sync: true }\n',
  );
  const r = loadScenarioText(text, { file: 'x.yaml', profile: ignoring.profile });
  if (r.scenario === undefined) {
    t.fail(r.errors.map((e) => e.message).join('; '));
    return;
  }
  const v = runPair(r.scenario, ignoring).verdict;
  t.equal(v.kind === 'deviates' ? v.cls.key : v.kind, CLASS_KEY, 'the CLASS deviation, not the CFGI_CD with a RES0 bit');
  // the command with the RES0 bit after the faulting DMA: its step record comes first in the text
  // (steps precede events), yet the wrong event of the earlier step is the deviation (QEMU 7.2:
  // gen-cmdq-0d2ac6d1 was classed steps[cmdq TLBI_NSNH_ALL].result: fault -> ok)
  const after = loadScenarioText(
    `${readFileSync('scenarios/smoke/s1-translation-fault.yaml', 'utf8').trimEnd()}\n  - cmdq: { commands: [ { raw: [0x805, 0x0] } ], sync: true }\n`,
    {
      file: 'y.yaml',
      profile: ignoring.profile,
    },
  );
  if (after.scenario === undefined) {
    t.fail(after.errors.map((e) => e.message).join('; '));
    return;
  }
  const w = runPair(after.scenario, ignoring).verdict;
  t.equal(w.kind === 'deviates' ? w.cls.key : w.kind, CLASS_KEY, 'a later command with a RES0 bit does not name the class either');
});

t.test('adapt: cache_policy dropped, unreachable StreamIDs renumbered consistently', async (t) => {
  const problem = (sid: number): string | undefined => (sid >= 8 && sid <= 0xff ? undefined : 'unreachable');
  const text = [
    'description: "x (§3)"',
    'smmu: { cache_policy: none }',
    'devices:',
    '  - { name: a, sid: 0x0 }',
    '  - { name: b, sid: 0x100 }',
    '  - { name: c, sid: 0x10 }',
    'steps:',
    '  - cmdq: { commands: [ { op: CFGI_STE, sid: 0x100 } ] }',
    '',
  ].join('\n');
  const out = adaptText(text, problem);
  t.notMatch(out, /smmu:|cache_policy/);
  t.match(out, /name: a, sid: 0x11 }/, '0x0 -> the first free reachable StreamID (0x10 is taken)');
  t.match(out, /name: b, sid: 0x12 }/);
  t.match(out, /name: c, sid: 0x10 }/, 'a reachable StreamID stays');
  t.match(out, /op: CFGI_STE, sid: 0x12 }/, 'every sid: naming it follows');
  const fine = 'description: "x (§3)"\ndevices:\n  - { name: a, sid: 0x10 }\n';
  t.equal(adaptText(fine, problem), fine, 'nothing to adapt: the text itself');
});

t.test('adapt: a stream table too small for a renumbered installed StreamID grows to cover it', async (t) => {
  const problem = (sid: number): string | undefined => (sid >= 8 && sid <= 0xff ? undefined : 'unreachable');
  const text = [
    'description: "a 4-entry linear stream table (SMMUv3 §6.3.24)"',
    'tags: [config]',
    'boot: { strtab: { fmt: linear, log2size: 2 } }',
    'devices:',
    '  - { name: a, sid: 0x1 }',
    '  - { name: b, sid: 0x5 }',
    'streams:',
    '  - { device: a, config: bypass }',
    'steps:',
    '  - { dma: { device: a, iova: 0x1000, access: read } }',
    '  - { dma: { device: b, iova: 0x1000, access: read } }',
    '',
  ].join('\n');
  const out = adaptText(text, problem);
  t.match(out, /name: a, sid: 0x10 }/);
  t.match(out, /log2size: 5/, 'StreamID 0x10 needs 5 bits');
  const r = loadScenarioText(out, { file: 'adapted.yaml' });
  t.same(
    r.errors.map((e) => e.message),
    [],
    'the adapted scenario loads (it did not: the STE of 0x10 was outside the table)',
  );
  // a device without an STE is beyond the table on purpose (C_BAD_STREAMID): no growth for it
  const beyond = adaptText(text.replace('  - { device: a, config: bypass }\n', '  - { device: b, config: bypass }\n').replace('sid: 0x5', 'sid: 0x3'), problem);
  t.match(beyond, /log2size: 5/, 'the installed renumbered one (b: 0x3 -> 0x11) grows it');
  t.equal(
    adaptText(text.replace('streams:\n  - { device: a, config: bypass }\n', ''), problem).includes('log2size: 2'),
    true,
    'no installed STE: the table keeps its size',
  );
});

t.test("adapt: a host scenario's nest-parent stage 2 takes the target's IAS (Linux sizes it so)", async (t) => {
  const g = generateScenarios({ seed: 8, count: 40, areas: ['host'] }).find((x) => (x.scenario.memory?.s2_tables?.[0]?.sl0 ?? -1) >= 0);
  if (g === undefined) {
    t.fail('no host scenario with an S2SL0 in 40');
    return;
  }
  const profile = { ...makeProfile(), oas: 44 as const };
  t.match(
    loadScenarioText(g.yaml(), { file: 'g.yaml', profile }).errors.map((e) => e.code),
    ['PROFILE_RULE'],
    'as generated: 48 bits, refused on a 44-bit part',
  );
  const out = adaptText(g.yaml(), undefined, 44);
  t.match(out, /name: vm, granule: "?\w+"?, ipa_bits: 44/);
  t.notMatch(out.split('s1_tables')[0] ?? '', /sl0/, 'the start level is derived again');
  const r = loadScenarioText(out, { file: 'g.yaml', profile });
  t.same(
    r.errors.filter((e) => e.code === 'PROFILE_RULE').map((e) => e.message),
    [],
    'no IAS complaint on the 44-bit part (a mapping above 2^44 may still not load: then the scenario is skipped)',
  );
  t.equal(adaptText(g.yaml(), undefined, 48).includes('ipa_bits: 48'), true, 'the right size already: unchanged');
});

t.test('ddmin finds the 1-minimal subset', async (t) => {
  let tests = 0;
  const keep = ddmin([0, 1, 2, 3, 4, 5, 6, 7], (k) => {
    tests++;
    return k.includes(2) && k.includes(5);
  });
  t.same(keep, [2, 5]);
  t.ok(tests < 30, `${tests} tests`);
  t.same(
    ddmin([0, 1, 2], () => false),
    [0, 1, 2],
  );
});

t.test('minimise: the faulting DMA alone remains, the passing step and the unused mapping go', async (t) => {
  const target = fakeTarget(true);
  const text = readFileSync('scenarios/s1/permission-write-read-only.yaml', 'utf8');
  const key = 'events[F_PERMISSION].class: IN -> CD';
  t.ok(showsClass(text, key, target), 'the original shows the class');
  const m = minimise(text, (c) => showsClass(c, key, target), 200);
  t.ok(m.complete, 'within budget');
  t.ok(showsClass(m.text, key, target), 'the minimised scenario still shows it');
  const steps = m.text.split('\n').filter((l) => /^ {2}- /.test(l) && m.text.indexOf('steps:') < m.text.indexOf(l));
  t.equal(steps.length, 1, `one step left:\n${m.text}`);
  t.notMatch(m.text, /expect:/, 'inline expectations dropped');
  // not interesting at all: the input comes back unchanged
  t.equal(minimise(text, () => false, 50).text, text);
});

function tree(ids: readonly string[]): string {
  const root = mkdtempSync(join(tmpdir(), 'smmu-diff-'));
  for (const id of ids) cpSync(`scenarios/${id}.yaml`, join(root, 'scenarios', `${id}.yaml`));
  return root;
}

const IDS = [
  'smoke/s1-translation-fault',
  'smoke/s1-translate',
  's1/permission-write-read-only',
  's1/translation-fault-invalid-l1',
  's1/one-record-per-transaction',
  'smoke/stale-tlb-until-tlbi',
];

t.test('campaign: sharded + merged gives the same report bytes as one run; resume; known classes', async (t) => {
  const root = tree(IDS);
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const source = { kind: 'corpus', root: join(root, 'scenarios') } as const;
  const known = {
    deviations: [{ scenario: 's1/translation-fault-invalid-l1', rule: 'CLASS=IN for stage-1 faults', section: '§7.3.13' }],
    root: join(root, 'scenarios'),
  };
  const base = { target: fakeTarget(true), source, resume: false, known, minimiseBudget: 100 };
  const whole = await runCampaign({ ...base, out: join(root, 'whole') });
  if (typeof whole === 'string') {
    t.fail(whole);
    return;
  }
  t.equal(whole.scenarios, IDS.length);
  t.same(
    whole.classes.map((c) => [c.key, c.count, c.known?.scenario ?? null]),
    [
      ['events[F_PERMISSION].class: IN -> CD', 1, null],
      [CLASS_KEY, 3, 's1/translation-fault-invalid-l1'],
    ],
  );
  t.equal(whole.classes[1]?.example.id, 's1/one-record-per-transaction', 'example: the smallest id of the class');
  const minFile = whole.classes[0]?.minimised?.file ?? '';
  t.match(minFile, /^minimised\/events-f-permission-class-in-cd-[0-9a-f]{8}\.yaml$/);
  const minText = readFileSync(join(root, 'whole', minFile), 'utf8');
  t.match(minText, /found by smmu-conform fuzz, class "events\[F_PERMISSION\]\.class: IN -> CD"/);
  t.ok(showsClass(minText, whole.classes[0]?.key ?? '', fakeTarget(true)), 'the written scenario loads and shows its class');

  for (const i of [1, 2]) {
    const r = await runCampaign({ ...base, out: join(root, `s${i}`), shard: { index: i, count: 2 } });
    if (typeof r === 'string') {
      t.fail(r);
      return;
    }
  }
  // the same shard twice (a retried CI job) must not count twice
  const merged = mergeCampaigns([join(root, 's2'), join(root, 's1'), join(root, 's1')], join(root, 'merged'));
  if (typeof merged === 'string') {
    t.fail(merged);
    return;
  }
  for (const f of ['report.json', 'report.md', minFile])
    t.equal(readFileSync(join(root, 'merged', f), 'utf8'), readFileSync(join(root, 'whole', f), 'utf8'), `${f}: merged = one run`);

  // resume: a campaign cut short (two result lines lost, the last one torn) finishes with the same report
  const res = join(root, 'whole', 'results.jsonl');
  const lines = readFileSync(res, 'utf8').trimEnd().split('\n');
  writeFileSync(res, `${lines.slice(0, -2).join('\n')}\n${(lines[lines.length - 2] ?? '').slice(0, 10)}`);
  const before = readFileSync(join(root, 'whole', 'report.md'), 'utf8');
  t.match(await runCampaign({ ...base, out: join(root, 'whole') }), /already holds a campaign.*--resume/);
  const again = await runCampaign({ ...base, out: join(root, 'whole'), resume: true });
  if (typeof again === 'string') {
    t.fail(again);
    return;
  }
  t.equal(again.scenarios, IDS.length);
  t.equal(readFileSync(join(root, 'whole', 'report.md'), 'utf8'), before, 'resumed report = uninterrupted report');
  t.match(await runCampaign({ ...base, out: join(root, 'whole'), resume: true, shard: { index: 1, count: 2 } }), /Cannot resume .*"shard":"1\/1"/);
  t.same(readdirSync(join(root, 'whole', 'minimised')).length, 1, 'one minimised scenario per new class');
  t.equal(again.classes[1]?.minimised, null, 'a known class is not minimised: the expectation file has its scenario');
});

t.test('campaign over generated scenarios: the exact target agrees with every one it runs', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'smmu-diff-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const r = await runCampaign({
    target: fakeTarget(false),
    source: { kind: 'generated', seed: 7, count: 16, areas: ['s1'] },
    out: join(root, 'o'),
    resume: false,
    minimiseBudget: 10,
  });
  if (typeof r === 'string') {
    t.fail(r);
    return;
  }
  t.equal(r.scenarios, 16);
  t.equal(r.verdicts.deviates + r.verdicts.error, 0, JSON.stringify(r.classes.map((c) => c.example)));
  t.ok(r.verdicts.agree > 0, `${r.verdicts.agree} agree`);
  t.match(
    await runCampaign({
      target: fakeTarget(false),
      source: { kind: 'generated', seed: 1, count: 1, areas: ['nope'] },
      out: join(root, 'p'),
      resume: false,
      minimiseBudget: 0,
    }),
    /Unknown area "nope"/,
  );
});

t.test("a campaign draws for the target's part: its areas, no stage 2, stalls, HTTU or SubstreamIDs on a stage-1-only part", async (t) => {
  // a part like QEMU 7.2's (IDR0.S2P=0, STALL_MODEL=0b01, HTTU=0, CD2L=0, SSIDSIZE=0, no fault injection)
  const profile = profileFromIdRegs(
    'emulator',
    profileToIdRegs(makeProfile({ s2p: false, stallModel: 1, httu: 0, cd2l: false, ssidSize: 0, hyp: false, sev: false })),
  );
  const target: DiffTarget = {
    name: 'fake-stage1',
    profile,
    features: profileFeatures(profile),
    capabilities: { substreams: true, faultInjection: false },
    open: () => new BlindEmulator(new SmmuDevice({ mem: new SparseMemory(), profile, cachePolicy: 'max' })),
  };
  const part = targetPart(target);
  t.match(part, { oas: profile.oas, substreams: false, faultInjection: false }, 'no SubstreamIDs where SSIDSIZE=0, whatever the source can send');
  t.notOk(part.features.includes('s2'));
  t.same(targetPart({ ...fakeTarget(false) }).substreams, true, "a target without capabilities: the emulator's");
  const root = mkdtempSync(join(tmpdir(), 'smmu-diff-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const r = await runCampaign({ target, source: { kind: 'generated', seed: 0x72, count: 36 }, out: join(root, 'o'), resume: false, minimiseBudget: 0 });
  if (typeof r === 'string') {
    t.fail(r);
    return;
  }
  const state = JSON.parse(readFileSync(join(root, 'o', 'state.json'), 'utf8')) as { source: string };
  t.match(state.source, /^generated for the part \(s1,.*; no SubstreamIDs\), seed 114, count 36, areas s1,ste,cd,cmdq,caching,httu$/);
  const areas = new Set(
    readFileSync(join(root, 'o', 'results.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { id: string }).id.split('-')[1]),
  );
  t.same([...areas].sort(), ['caching', 'cd', 'cmdq', 'httu', 's1', 'ste'], 'every area the part runs, and only those');
  t.equal(r.verdicts.skip, 0, JSON.stringify(r.skipped));
  t.equal(r.verdicts.deviates + r.verdicts.error, 0, JSON.stringify(r.classes.map((c) => [c.key, c.example])));
  // a campaign directory drawn for another part (or before parts) is not resumed with this one
  writeFileSync(join(root, 'o', 'state.json'), JSON.stringify({ ...state, source: 'generated, seed 114, count 36' }));
  t.match(
    await runCampaign({ target, source: { kind: 'generated', seed: 0x72, count: 36 }, out: join(root, 'o'), resume: true, minimiseBudget: 0 }),
    /Cannot resume/,
  );
});

t.test('two runners on one shard (--reverse, --also-done) and a time limit: merged, the same report', async (t) => {
  const root = tree(IDS);
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const base = { target: fakeTarget(true), source: { kind: 'corpus', root: join(root, 'scenarios') } as const, minimiseBudget: 100 };
  const whole = await runCampaign({ ...base, out: join(root, 'whole'), resume: false });
  if (typeof whole === 'string') {
    t.fail(whole);
    return;
  }
  // a time limit of 0 starts nothing: an empty report, and --resume continues
  const a = await runCampaign({ ...base, out: join(root, 'a'), resume: false, timeLimitMs: 0 });
  t.match(a, { scenarios: 0 });
  const b = await runCampaign({ ...base, out: join(root, 'b'), resume: false, reverse: true, alsoDone: [join(root, 'a')] });
  t.match(b, { scenarios: IDS.length }, 'the reverse runner did everything the other had not');
  const a2 = await runCampaign({ ...base, out: join(root, 'a'), resume: true, alsoDone: [join(root, 'b')] });
  t.match(a2, { scenarios: 0 }, 'and the forward one finds nothing left');
  const m = mergeCampaigns([join(root, 'a'), join(root, 'b')], join(root, 'm'));
  if (typeof m === 'string') {
    t.fail(m);
    return;
  }
  t.equal(readFileSync(join(root, 'm', 'report.md'), 'utf8'), readFileSync(join(root, 'whole', 'report.md'), 'utf8'));
});

t.test('one-bit event fields stay in the key, addresses do not', async (t) => {
  const s = load('smoke/s1-translation-fault');
  const ref = { steps: [] } as unknown as Observation;
  const rec = { step: 1, type: 'F_PERMISSION' };
  const at = { section: 'events', path: 'events[0]', index: 0, expectedRecord: rec, actualRecord: rec, kind: 'value' } as const;
  t.equal(classify(s, { ...at, field: 's2', expected: 0, actual: 1 }, ref).key, 'events[F_PERMISSION].s2: 0 -> 1');
  t.equal(classify(s, { ...at, field: 'input_addr', expected: '0x1000', actual: '0x2000' }, ref).key, 'events[F_PERMISSION].input_addr: <value> -> <value>');
});

t.test('a C_BAD_STE of a DMA of several transactions is classed by the ILLEGAL check of the same device', async (t) => {
  const s = load('smoke/s1-translation-fault');
  const ref = {
    steps: [
      { step: 1, op: 'dma', result: 'abort', device: 'd', addrs: [0x1ff0n, 0x2000n], results: ['abort', 'abort'] },
      { step: 2, op: 'dma', result: 'abort', device: 'd', event: 'C_BAD_STE', illegal: 'STE_S2HA_S2HD_HTTU' },
    ],
  } as unknown as Observation;
  const rec = { step: 1, type: 'C_BAD_STE', sid: 255 };
  const c = classify(s, { section: 'events', path: 'events', kind: 'count', expectedRecord: rec, expectedCount: 3, actualCount: 0 }, ref);
  t.equal(c.key, 'events[C_BAD_STE]: missing (STE_S2HA_S2HD_HTTU)');
});

/** An SMMU that has HTTU (so it takes STE.S2HA=1) but whose ID registers say it has none. */
class NoHttuIdRegs extends BlindEmulator {
  override idRegs(): ReturnType<BlindEmulator['idRegs']> {
    return profileToIdRegs(makeProfile({ httu: 0 }));
  }
}

t.test('a DMA of several transactions that meets an ILLEGAL STE is classed by the check (run as one transaction)', async (t) => {
  // the target's part lacks HTTU (STE.S2HA=1 is ILLEGAL, §5.2) but its SMMU ignores the check; the
  // DMA crosses a page, so the reference's step record names no single `illegal` check
  const profile = profileFromIdRegs('emulator', profileToIdRegs(makeProfile({ httu: 0 })));
  const ignoring: DiffTarget = {
    name: 'fake-s2ha',
    profile,
    features: profileFeatures(profile),
    open: () => new NoHttuIdRegs(new SmmuDevice({ mem: new SparseMemory(), profile: makeProfile({ httu: 2 }), cachePolicy: 'max' })),
  };
  const text = [
    'description: "S2HA=1 without HTTU is ILLEGAL (SMMUv3 §5.2)"',
    'tags: [s2]',
    'requires: [s2]',
    'devices:',
    '  - { name: d, sid: 0x20 }',
    'memory:',
    '  s2_tables:',
    '    - { name: vm, granule: 4k, ipa_bits: 40, map: [ { ipa: 0x1000, pa: 0x8000_1000, size: 8K, perm: rw } ] }',
    'streams:',
    '  - { device: d, config: s2, s2_table: vm, vmid: 1, s2ha: true }',
    'steps:',
    '  - { dma: { device: d, iova: 0x1ff8, access: read, size: 16 } }',
    '',
  ].join('\n');
  const r = loadScenarioText(text, { file: 'x.yaml', profile });
  if (r.scenario === undefined) {
    t.fail(r.errors.map((e) => e.message).join('; '));
    return;
  }
  const v = runPair(r.scenario, ignoring).verdict;
  t.equal(v.kind === 'deviates' ? v.cls.key : v.kind, 'events[C_BAD_STE]: missing (STE_S2HA_S2HD_HTTU)', JSON.stringify(v));
});

t.test('class keys name the event a target adds or lacks; older keys are re-keyed', async (t) => {
  const c = (key: string): string => canonicalClass({ key, field: '', rule: '', section: '' }).key;
  t.equal(c('events[F_TRANSLATION].type: F_TRANSLATION -> C_BAD_STE'), 'events[C_BAD_STE]: extra', 'a check only the target makes');
  t.equal(c('events[F_ADDR_SIZE].type: F_ADDR_SIZE -> F_PERMISSION'), 'events[F_ADDR_SIZE]: missing', 'a check the target does not make');
  t.equal(c('events[C_BAD_STE].type: C_BAD_STE -> C_BAD_CD (STE_S1CONTEXTPTR_RANGE)'), 'events[C_BAD_STE]: missing (STE_S1CONTEXTPTR_RANGE)');
  t.equal(c('events[C_BAD_CD].type: C_BAD_CD -> C_BAD_STE (CD_A_TERM_MODEL)'), 'events[C_BAD_STE]: extra', 'the STE is checked before the CD');
  t.equal(
    canonicalClass(
      { key: 'events[C_BAD_CD]: missing (CD_A_TERM_MODEL)', field: '', rule: '', section: '' },
      'events[0] (step 1 C_BAD_CD): field type: expected "C_BAD_CD", got "C_BAD_STE"',
    ).key,
    'events[C_BAD_STE]: extra',
    'the summary names both types',
  );
  t.equal(c('events[F_TRANSLATION].class: IN -> CD'), 'events[F_TRANSLATION].class: IN -> CD', 'other keys stay');
  t.equal(canonicalClass({ key: 'events[F_ACCESS].type: F_ACCESS -> F_PERMISSION', field: '', rule: '', section: '' }).section, '§7.3.15');
});

/** Treats every transaction as privileged (PnU=1): a stage-1 AP[1] that never denies an unprivileged access. */
class PrivilegedOnly extends BlindEmulator {
  override transaction(x: Parameters<BlindEmulator['transaction']>[0]): ReturnType<BlindEmulator['transaction']> {
    return super.transaction({ ...x, privileged: true });
  }
}
function privilegedOnlyTarget(): DiffTarget {
  const exact = fakeTarget(false);
  return {
    ...exact,
    name: 'fake-ap1-ignored',
    open: () => new PrivilegedOnly(new SmmuDevice({ mem: new SparseMemory(), profile: exact.profile, cachePolicy: 'max' })),
  };
}

const NESTED_AP1 = `description: nested, a privileged-only stage-1 page read unprivileged; stage 2 is write-only (SMMUv3 §7.3.16)
tags: [nested]
requires: [s1, s2, nesting]
devices:
  - { name: gpu, sid: 0x20 }
memory:
  s2_tables:
    - { name: vm0, granule: 4k, ipa_bits: 40, map: [ { ipa: 0x4000_0000, pa: 0x9000_0000, size: 4K, perm: w } ] }
  s1_tables:
    - { name: gpt, granule: 4k, va_bits: 48, ipa_space: vm0, map: [ { va: 0x1000, ipa: 0x4000_0000, size: 4K, perm: rw, priv: true } ] }
  cd_tables:
    - { name: gcd, ipa_space: vm0, entries: [ { ssid: 0, asid: 1, tt0: gpt } ] }
streams:
  - { device: gpu, config: nested, cd_table: gcd, s2_table: vm0, vmid: 3 }
steps:
  - dma: { device: gpu, iova: 0x1100, access: read }
`;

t.test('known by the rule it breaks: a known deviation in another combination is known, not new', async (t) => {
  const root = tree(['s1/permission-el1-only-page-unprivileged-read']);
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'scenarios', 'n'), { recursive: true });
  writeFileSync(join(root, 'scenarios', 'n', 'ap1-nested.yaml'), NESTED_AP1);
  const known = {
    deviations: [{ scenario: 's1/permission-el1-only-page-unprivileged-read', rule: 'AP[1]=0: no EL0 access', section: '§7.3.16' }],
    root: join(root, 'scenarios'),
  };
  const r = await runCampaign({
    target: privilegedOnlyTarget(),
    source: { kind: 'corpus', root: join(root, 'scenarios') },
    out: join(root, 'o'),
    resume: false,
    known,
    minimiseBudget: 0,
  });
  if (typeof r === 'string') {
    t.fail(r);
    return;
  }
  t.same(
    r.classes.map((c) => [c.key, c.known?.by ?? null, c.known?.scenario ?? null]),
    [
      ['events[F_PERMISSION].s2: 0 -> 1', 'rule', 's1/permission-el1-only-page-unprivileged-read'],
      ['events[F_PERMISSION]: missing', 'class', 's1/permission-el1-only-page-unprivileged-read'],
    ],
    'the nested stream shows the ignored AP[1] as a stage-2 fault: the same rule, known',
  );
  t.equal(r.classes[0]?.known?.cause, 'missing event.F_PERMISSION.s1.IN (read, unprivileged, data)');
  t.match(readFileSync(join(root, 'o', 'report.md'), 'utf8'), /known \(same rule\): s1\/permission-el1-only-page-unprivileged-read/);
  // the write to a read-only page (AP[2]) is another permission rule: on a target that ignores
  // AP[2] instead it would not be known through the AP[1] entry
  const s = load('s1/permission-el1-only-page-unprivileged-read');
  const ref = { steps: [] } as unknown as Observation;
  const rec = (rnw: number, pnu: number) => ({ step: 1, type: 'F_PERMISSION', s2: 0, class: 'IN', rnw, pnu, ind: 0 });
  const miss = (x: object) => classify(s, { section: 'events', path: 'events', kind: 'count', expectedRecord: x, expectedCount: 1, actualCount: 0 }, ref);
  t.not(miss(rec(0, 1)).cause, miss(rec(1, 0)).cause, 'AP[2] (a privileged write) and AP[1] (an unprivileged read) are two causes');
  t.equal(miss(rec(1, 0)).key, miss(rec(0, 1)).key, '... of one class key');
  // a coarse key shared by two entries: the one breaking the same rule wins
  const known2 = [
    { key: 'events[F_ADDR_SIZE]: missing', cause: 'missing event.F_ADDR_SIZE.s1.IN', scenario: 's1/addr-size-table', rule: 'table', section: '§7.3.14' },
    { key: 'events[F_ADDR_SIZE]: missing', cause: 'missing event.F_ADDR_SIZE.s2.IN', scenario: 's2/priority', rule: 'priority', section: '§7.3.22' },
  ];
  const line = (id: string, cause: string) => ({ id, seed: 0, verdict: 'deviates' as const, key: 'events[F_ADDR_SIZE]: missing', cause });
  const rep = buildReport('t', 's', [line('a', 'missing event.F_ADDR_SIZE.s2.IN')], known2, []);
  t.same(rep.classes[0]?.known, { scenario: 's2/priority', rule: 'priority', section: '§7.3.22', by: 'class' });
  const rep2 = buildReport('t', 's', [line('a', 'missing event.F_ADDR_SIZE.s2.CD')], known2, []);
  t.equal(rep2.classes[0]?.known?.scenario, 's1/addr-size-table', 'no entry breaks that rule: the key decides');
  // a command-queue class is about its command, whichever field shows it first (stored lines too)
  const el2 = [
    {
      key: 'steps[cmdq TLBI_EL2_ALL].result: fault -> ok',
      cause: 'steps[cmdq TLBI_EL2_ALL].result: fault -> ok',
      scenario: 'cmdq/el2',
      rule: 'ILLEGAL without HYP',
      section: '§4.4.2.7',
    },
  ];
  const batch = { id: 'b', seed: 0, verdict: 'deviates' as const, key: 'steps[cmdq TLBI_EL2_ALL].executed: <value> -> <value>' };
  t.same(buildReport('t', 's', [batch], el2, []).classes[0]?.known, {
    scenario: 'cmdq/el2',
    rule: 'ILLEGAL without HYP',
    section: '§4.4.2.7',
    by: 'rule',
    cause: 'cmdq TLBI_EL2_ALL',
  });
  t.equal(
    buildReport('t', 's', [{ ...batch, key: 'steps[cmdq TLBI_EL2_VA].executed: <value> -> <value>' }], el2, []).classes[0]?.known,
    null,
    'another command: new',
  );
  // a crash is known by what the target said, however the connection ended
  const crash = [
    {
      key: 'target failed: QEMU closed the qtest connection; QEMU said: ** | ERROR:hw/arm/smmuv3.c:437:decode_ste_s2_cfg: code should not be reached',
      scenario: 'events/s2aa64',
      rule: 'crash',
      section: '§5.2',
    },
  ];
  const lost = {
    id: 'x',
    seed: 0,
    verdict: 'deviates' as const,
    key: 'target failed: QEMU connection lost (read ECONNRESET); QEMU said: ** | ERROR:hw/arm/smmuv3.c:437:decode_ste_s2_cfg: code should not be reached',
  };
  t.equal(buildReport('t', 's', [lost], crash, []).classes[0]?.known?.scenario, 'events/s2aa64');
  // the target adds the wrong event a known entry shows it adding (a CD fetch it cannot make)
  const cdFetch = [
    { key: 'events[F_TRANSLATION]: extra', cause: 'extra event.F_TRANSLATION.s2.CD', scenario: 'nested/cd', rule: 'concatenated', section: '§5.2' },
  ];
  const ill = classify(
    s,
    {
      section: 'events',
      path: 'events[0]',
      index: 0,
      kind: 'value',
      field: 'type',
      expected: 'C_BAD_CD',
      actual: 'F_TRANSLATION',
      expectedRecord: { step: 1, type: 'C_BAD_CD' },
      actualRecord: { step: 1, type: 'F_TRANSLATION', s2: 1, class: 'CD' },
    },
    ref,
  );
  t.equal(ill.targetCause, 'extra event.F_TRANSLATION.s2.CD');
  const cdLine = {
    id: 'c',
    seed: 0,
    verdict: 'deviates' as const,
    key: ill.key,
    ...(ill.cause !== undefined ? { cause: ill.cause } : {}),
    targetCause: ill.targetCause as string,
  };
  t.same(buildReport('t', 's', [cdLine], cdFetch, []).classes[0]?.known?.scenario, 'nested/cd');
  t.equal(buildReport('t', 's', [{ ...cdLine, targetCause: 'extra event.F_TRANSLATION.s2.TT' }], cdFetch, []).classes[0]?.known, null);
});

t.test('campaign on an exact target: no classes', async (t) => {
  const root = tree(IDS.slice(0, 3));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const r = await runCampaign({
    target: fakeTarget(false),
    source: { kind: 'corpus', root: join(root, 'scenarios') },
    out: join(root, 'o'),
    resume: false,
    minimiseBudget: 10,
  });
  if (typeof r === 'string') {
    t.fail(r);
    return;
  }
  t.same(r.verdicts, { agree: 3, deviates: 0, skip: 0, error: 0 });
  t.same(r.classes, []);
});

t.test('timings.json is written while the campaign runs: an interrupted campaign keeps its measurements', async (t) => {
  const root = tree(IDS.slice(0, 4));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const out = join(root, 'o');
  const exact = fakeTarget(false);
  // what timings.json holds when each scenario's target opens (the campaign is still running)
  const seen: Array<number | null> = [];
  const watching: DiffTarget = {
    ...exact,
    open: (s) => {
      let n: number | null = null;
      try {
        n = (JSON.parse(readFileSync(join(out, 'timings.json'), 'utf8')) as { scenarios: number }).scenarios;
      } catch {
        n = null;
      }
      seen.push(n);
      return exact.open(s);
    },
  };
  const r = await runCampaign({
    target: watching,
    source: { kind: 'corpus', root: join(root, 'scenarios') },
    out,
    resume: false,
    minimiseBudget: 0,
    timingsEveryMs: 0,
  });
  if (typeof r === 'string') {
    t.fail(r);
    return;
  }
  t.same(seen, [null, 1, 2, 3], 'after each scenario the file counts it');
  const end = JSON.parse(readFileSync(join(out, 'timings.json'), 'utf8')) as { scenarios: number; wallMs: number };
  t.equal(end.scenarios, 4);
  // a resumed campaign adds its own measurements once (no double counting of the incremental writes)
  const again = await runCampaign({
    target: exact,
    source: { kind: 'corpus', root: join(root, 'scenarios') },
    out,
    resume: true,
    minimiseBudget: 0,
    timingsEveryMs: 0,
  });
  t.type(again, 'object');
  const after = JSON.parse(readFileSync(join(out, 'timings.json'), 'utf8')) as { scenarios: number; wallMs: number };
  t.equal(after.scenarios, 4, 'nothing left to run: nothing added');
  t.ok(after.wallMs >= end.wallMs);
});

t.test('fuzz CLI: usage errors and a missing QEMU are clear messages (exit 2)', async (t) => {
  const run = async (args: string[]): Promise<{ code: number; err: string }> => {
    let err = '';
    const code = await cli(['fuzz', ...args], { stdout: () => {}, stderr: (s) => (err += s), env: {}, cwd: process.cwd(), isTTY: false, stdoutIsTTY: false });
    return { code, err };
  };
  t.match(await run(['--seed', '1', '--count', '2', '--out', '/tmp/x']), { code: 2, err: /name the target to fuzz against/ });
  t.match(await run(['--target', 'qemu', '--seed', '1', '--count', '2']), { code: 2, err: /--out DIR is required/ });
  t.match(await run(['--target', 'qemu', '--out', '/tmp/x']), { code: 2, err: /--seed S and --count N are required/ });
  t.match(await run(['--target', 'qemu', '--out', '/tmp/x', '--seed', 'x', '--count', '1']), { code: 2, err: /--seed must be a non-negative integer/ });
  t.match(await run(['--target', 'qemu=/nonexistent/qemu-system-aarch64', '--seed', '1', '--count', '1', '--out', '/tmp/x']), {
    code: 2,
    err: /QEMU not found: \/nonexistent\/qemu-system-aarch64/,
  });
  t.match(await run(['merge']), { code: 2, err: /merge needs --out/ });
  let out = '';
  t.equal(await cli(['fuzz', '--help'], { stdout: (s) => (out += s), stderr: () => {}, env: {}, cwd: process.cwd(), isTTY: false, stdoutIsTTY: false }), 0);
  t.match(out, /--shard I\/N/);
});

t.test('QEMU: a stage-1 F_TRANSLATION is classified, and a scenario QEMU cannot express never starts it', qemuOpts(), async (t) => {
  const target = qemuDiffTarget(QEMU);
  const v = runPair(load('smoke/s1-translation-fault'), target).verdict;
  // QEMU 7.2 records CLASS=CD (a known deviation); 10.0 records CLASS=IN and agrees
  if (target.name === 'qemu-7.2') t.match(v, { kind: 'deviates', cls: { key: CLASS_KEY } });
  else t.match(v, { kind: /agree|deviates/ });
  const p = runPair(load('config/s1dss-substream0-without-ssid-uses-cd0'), target);
  t.equal(p.verdict.kind, 'skip');
  t.equal(p.times.targetStartMs, 0, 'skipped on the stand-in: no QEMU started');
});

function qemuOpts(): { skip?: string } {
  try {
    execFileSync(QEMU, ['--version'], { stdio: 'ignore', timeout: 10_000 });
    return {};
  } catch {
    return { skip: `${QEMU} not found (install it with scripts/install-qemu.sh)` };
  }
}
