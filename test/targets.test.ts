// The target contract: the emulator behind the contract reproduces the goldens; a fake target that
// deviates is caught and the first differing field is named; expectation files; normalisations.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { executeOnTarget } from '../src/engine/execute.ts';
import { canonicalGolden } from '../src/golden/canonical.ts';
import { compareGolden } from '../src/golden/compare.ts';
import { SparseMemory } from '../src/memory/sparse-memory.ts';
import { loadScenarioFile } from '../src/engine/load.ts';
import type { Scenario } from '../src/scenario/types.ts';
import { execProfile } from '../src/engine/exec/profile.ts';
import { SmmuDevice } from '../src/smmu/device.ts';
import type { TargetCapabilities } from '../src/target/contract.ts';
import { EMULATOR_CAPABILITIES, EmulatorTarget } from '../src/target/emulator.ts';
import { parseTargetExpectations } from '../src/target/expectations.ts';
import { projectCanonical } from '../src/target/normalise.ts';
import { FEATURES } from '../src/scenario/features.ts';

const profile = { name: 'all', features: [...FEATURES] };

function load(id: string): Scenario {
  const r = loadScenarioFile(`scenarios/${id}.yaml`, { file: `scenarios/${id}.yaml`, id });
  if (r.scenario === undefined) throw new Error(`cannot load ${id}`);
  return r.scenario;
}

/** The emulator as an external target: its own memory, reached only through the contract. */
function emulatorTarget(s: Scenario): EmulatorTarget {
  const ep = execProfile(s);
  return new EmulatorTarget(new SmmuDevice({ mem: new SparseMemory(), profile: ep.profile, cachePolicy: ep.cachePolicy }));
}

/** Run on a target and compare with the golden the way run-one does (normalised). */
function compare(id: string, target: EmulatorTarget): ReturnType<typeof compareGolden> {
  const obs = executeOnTarget(load(id), { profile }, target);
  const norms = obs.target?.normalisations ?? [];
  const golden = readFileSync(`golden/${id}.yaml`, 'utf8');
  return compareGolden(projectCanonical(canonicalGolden(obs), norms), projectCanonical(golden, norms), id);
}

const HARDWARE = [
  'smoke/s1-translate',
  'smoke/s1-translation-fault',
  'smoke/stale-tlb-until-tlbi',
  'smoke/cmdq-cerror-ill-mid-batch',
  'smoke/nested-translate',
  'caching/cfgi-ste-stale',
  's1/permission-write-read-only',
  'cmdq/recovery-rewrite-slot-and-ack',
];

t.test('the emulator behind the contract reproduces the goldens (only event-raw normalised)', async (t) => {
  for (const id of HARDWARE) {
    const r = compare(id, emulatorTarget(load(id)));
    t.equal(r.status, 'match', `${id}: ${r.summary ?? ''}`);
  }
});

/** A target that records stage-1 faults with CLASS=CD (QEMU < 9.1 did): event dw1 bits [41:40] cleared. */
class ClassCdTarget extends EmulatorTarget {
  override readMem(pa: bigint, length: number): Uint8Array {
    const b = super.readMem(pa, length);
    if (length === 32 && b[0] === 0x10) b[13] = (b[13] ?? 0) & ~0x3; // F_TRANSLATION: CLASS (bits 41:40) = 0b00
    return b;
  }
}

t.test('a target that deviates: the comparison names the first differing field', async (t) => {
  const id = 'smoke/s1-translation-fault';
  const s = load(id);
  const ep = execProfile(s);
  const r = compare(id, new ClassCdTarget(new SmmuDevice({ mem: new SparseMemory(), profile: ep.profile, cachePolicy: ep.cachePolicy })));
  t.equal(r.status, 'mismatch');
  t.match(r.summary, /events\[0\] \(step 2 F_TRANSLATION\): field class: expected "IN", got "CD"/);
});

t.test('dma-outcome: a target that cannot observe DMA completion is compared through the event queue', async (t) => {
  class Blind extends EmulatorTarget {
    override readonly capabilities: TargetCapabilities = { ...EMULATOR_CAPABILITIES, transactionOutcome: false };
    override transaction(tx: Parameters<EmulatorTarget['transaction']>[0]): ReturnType<EmulatorTarget['transaction']> {
      super.transaction(tx);
      return { kind: 'unobserved' };
    }
  }
  const id = 'smoke/s1-translation-fault';
  const s = load(id);
  const ep = execProfile(s);
  const obs = executeOnTarget(s, { profile }, new Blind(new SmmuDevice({ mem: new SparseMemory(), profile: ep.profile, cachePolicy: ep.cachePolicy })));
  t.same(obs.target?.normalisations, ['event-raw', 'illegal-reason', 'dma-outcome']);
  const golden = readFileSync(`golden/${id}.yaml`, 'utf8');
  const r = compareGolden(
    projectCanonical(canonicalGolden(obs), ['event-raw', 'illegal-reason', 'dma-outcome']),
    projectCanonical(golden, ['event-raw', 'illegal-reason', 'dma-outcome']),
    id,
  );
  t.equal(r.status, 'match', r.summary ?? '');
  // without the normalisation the unobserved DMA does not match the reference's translated one
  t.equal(
    compareGolden(projectCanonical(canonicalGolden(obs), ['event-raw', 'illegal-reason']), projectCanonical(golden, ['event-raw', 'illegal-reason']), id)
      .status,
    'mismatch',
  );
});

t.test('expectation files: XFAIL reasons carry rule and section; bad entries name file:line:col', async (t) => {
  const ok = parseTargetExpectations('target: qemu-7.2\ndeviations:\n  - scenario: s1/x\n    rule: CLASS=IN\n    section: §7.3.13\n', 'q.yaml');
  if (typeof ok === 'string') throw new Error(ok);
  t.ok(ok.matches('s1/x'));
  t.notOk(ok.matches('s1/y'));
  t.equal(ok.reason?.('s1/x'), 'known qemu-7.2 deviation: CLASS=IN (§7.3.13)');
  t.equal(
    parseTargetExpectations('target: q\ndeviations:\n  - scenario: s1/x\n    rule: r\n', 'q.yaml'),
    'q.yaml:3:5: deviation 1 needs a non-empty `section`',
  );
  t.equal(
    parseTargetExpectations('target: q\ndeviations:\n  - scenario: s1/x\n    rule: r\n    section: IHI 7.3\n', 'q.yaml'),
    'q.yaml:3:5: deviation 1: section "IHI 7.3" must start with § and a number',
  );
  for (const f of ['targets/qemu-7.2.yaml', 'targets/qemu-10.0.yaml']) {
    const e = parseTargetExpectations(readFileSync(f, 'utf8'), f);
    t.type(e, 'object', `${f} parses`);
  }
});

t.test('permitted outcomes: a target taking the other permitted value passes; one outside them does not', async (t) => {
  const { matchPermitted } = await import('../src/engine/permitted.ts');
  const { executeScenario } = await import('../src/engine/execute.ts');
  const id = 'cmdq/cfgi-ste-res0-field-illegal';
  const s = load(id);
  t.same(s.permitted, { cmd_res0: ['ill', 'ignore'] });
  const ep = execProfile(s);
  // this target ignores RES0 fields in commands (§4.1.5 permits it)
  const ignoring = new EmulatorTarget(new SmmuDevice({ mem: new SparseMemory(), profile: { ...ep.profile, cmdRes0: 'ignore' }, cachePolicy: ep.cachePolicy }));
  const obs = executeOnTarget(s, { profile }, ignoring);
  const norms = obs.target?.normalisations ?? [];
  const golden = readFileSync(`golden/${id}.yaml`, 'utf8');
  t.match(golden, /permitted: \{ cmd_res0: ill \}/, "the golden records the reference model's choice");
  const actual = projectCanonical(canonicalGolden(obs), norms);
  t.equal(compareGolden(actual, projectCanonical(golden, norms), id).status, 'mismatch', "not the reference model's choice");
  const reference = (c: Record<string, string>) => executeScenario(s, { profile, choices: c });
  t.equal(matchPermitted(s, actual, norms, reference), 'matches the permitted alternative cmd_res0=ignore (§4.1.5)');
  // without the declaration the same observation is a deviation
  t.equal(matchPermitted({ ...s, permitted: { cmd_res0: ['ill', 'ill'] } }, actual, norms, reference), undefined);
  // stale or fresh (§3.21): a target that never caches passes a scenario whose reference is stale
  const sid = 'caching/cfgi-ste-stale';
  const s2 = load(sid);
  const fresh = new EmulatorTarget(new SmmuDevice({ mem: new SparseMemory(), profile: execProfile(s2).profile, cachePolicy: 'none' }));
  const o2 = executeOnTarget(s2, { profile }, fresh);
  const a2 = projectCanonical(canonicalGolden(o2), o2.target?.normalisations ?? []);
  t.equal(
    matchPermitted(s2, a2, o2.target?.normalisations ?? [], (c) => executeScenario(s2, { profile, choices: c })),
    'matches the permitted alternative cache_policy=none (§3.21)',
    'a target that never caches (fresh) passes a stale scenario',
  );
});

t.test('target-idregs: a target with other ID registers is compared with the reference model run with them', async (t) => {
  const { executeScenario } = await import('../src/engine/execute.ts');
  const { targetReference, targetExpectMismatches } = await import('../src/engine/target-reference.ts');
  const norms = ['event-raw', 'illegal-reason'];
  const oas44 = { name: 'oas44', idFields: { oas: 44 as const } };
  // a 48-bit IPA (S2T0SZ=16) is out of range on an SMMU whose OAS (and so IAS) is 44 bits (§5.2 S2T0SZ)
  const id = 's2/granule-4k';
  const s = load(id);
  const golden = readFileSync(`golden/${id}.yaml`, 'utf8');
  const r = targetReference(s, profile, executeScenario, golden, norms, oas44);
  t.same(r.norms, [...norms, 'target-idregs']);
  t.equal(r.note, "compared with the reference model run with oas44's ID registers (the golden depends on oas 48→44)");
  t.not(r.expected, projectCanonical(golden, norms));
  t.match(r.expected, /C_BAD_STE/, 'the reference model with OAS 44 finds the STE ILLEGAL');
  // the emulator behind the contract with OAS 44 is such a target: it meets that expectation, not the golden
  const ep = execProfile(s);
  const obs = executeOnTarget(
    s,
    { profile },
    new EmulatorTarget(new SmmuDevice({ mem: new SparseMemory(), profile: { ...ep.profile, oas: 44 }, cachePolicy: ep.cachePolicy })),
  );
  t.equal(compareGolden(projectCanonical(canonicalGolden(obs), r.norms), r.expected, id).status, 'match');
  t.equal(compareGolden(projectCanonical(canonicalGolden(obs), norms), projectCanonical(golden, norms), id).status, 'mismatch');
  // a golden the reference model does not reproduce (stale, edited) stays the measure
  const stale = golden.replace("cons: '0x", "cons: '0x1");
  t.equal(targetReference(s, profile, executeScenario, stale, norms, oas44).expected, projectCanonical(stale, norms));
  // its inline `expect:` values hold for OAS 48 only: not applied on the OAS-44 target
  t.same(targetExpectMismatches(s, obs, r), []);
  // a scenario that does not depend on the OAS keeps the golden as its measure
  const plain = 'smoke/s1-translate';
  const p = targetReference(load(plain), profile, executeScenario, readFileSync(`golden/${plain}.yaml`, 'utf8'), norms, oas44);
  t.equal(p.note, undefined);
  t.same(p.norms, norms);
  t.equal(p.expected, projectCanonical(readFileSync(`golden/${plain}.yaml`, 'utf8'), norms));
});

t.test('inline expectations on a target: those about normalised values are not applied', async (t) => {
  const { expectNormalised } = await import('../src/target/normalise.ts');
  const all = ['event-raw', 'illegal-reason', 'dma-outcome'];
  t.ok(expectNormalised(['steps', 0, 'dma', 'expect', 'pa'], all), 'no PA from a target whose DMA reports no status');
  t.ok(expectNormalised(['steps', 0, 'dma', 'expect', 'result'], all));
  t.ok(expectNormalised(['steps', 0, 'dma', 'expect', 'fields', 'illegal'], all));
  t.notOk(expectNormalised(['steps', 0, 'dma', 'expect', 'events'], all), 'events come from the event queue: checked');
  t.notOk(expectNormalised(['steps', 0, 'cmdq', 'expect', 'result'], all), 'a CMDQ result is observed on every target');
  t.notOk(expectNormalised(['steps', 0, 'dma', 'expect', 'pa'], ['event-raw']), 'a target that reports the PA: checked');
});
