/**
 * Round trip emulator → Linux log → importer → compare: each scenario is run with the real
 * executor, its event records (and the host's GERROR/CMDQ error lines) are printed the way the
 * arm-smmu-v3 driver prints them (src/linux/messages.ts, both eras, dmesg prefix and timestamps), the
 * text is imported again, and `trace compare` of the scenario against that log must match.
 * One changed field must show up as the first divergence at that record and field.
 */
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCliOutErr } from './support/run-cli.ts';
import { executeScenario } from '../src/engine/execute.ts';
import type { Observation } from '../src/scenario/observation.ts';
import { formatEventLog, withDmesgPrefix, type LogEra } from '../src/linux/messages.ts';
import { FEATURES } from '../src/scenario/features.ts';
import { loadScenarioFile } from '../src/engine/load.ts';
import { crossCheck } from '../src/trace/decode.ts';
import { eventCodec } from '../src/arch/event.ts';
import { importDmesg } from '../src/trace/dmesg.ts';
import { expectedFromObservation } from '../src/trace/observed.ts';
import { runTraceCompare } from '../src/trace/cli.ts';
import { type ExpectedRecords } from '../src/trace/compare.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DEVICE = 'arm-smmu-v3.0.auto';
const ERAS: readonly LogEra[] = ['pre-6.14', '6.14+'];
const tmp = mkdtempSync(join(tmpdir(), 'trace-rt-'));

/** Scenarios with no event, one event, two events, nested stage-2 faults and a CMDQ error. */
const SCENARIOS = [
  'smoke/s1-translate',
  'smoke/s1-translation-fault',
  'smoke/nested-s2-fault-on-s1-walk',
  'smoke/cmdq-cerror-ill-mid-batch',
  's1/one-record-each-no-merge',
  's1/walk-eabt-class-vs-translation',
  'nested/compose-permissions',
  'nested/priority-s1-permission-over-s2-translation',
];

function run(id: string): { file: string; obs: Observation; expected: ExpectedRecords } {
  const file = join(ROOT, 'scenarios', `${id}.yaml`);
  const loaded = loadScenarioFile(file, { file: `scenarios/${id}.yaml`, id });
  if (loaded.scenario === undefined) throw new Error(`${id}: ${loaded.errors.map((e) => e.message).join('; ')}`);
  const obs = executeScenario(loaded.scenario, { profile: { name: 'emulator', features: [...FEATURES] } });
  return { file, obs, expected: expectedFromObservation(obs) };
}

/**
 * The log a host would print: other kernel noise, each event, then the GERROR handler's lines,
 * with the command at CONS that a real log shows (the Observation does not know it: not compared).
 */
function hostLog(events: readonly (readonly bigint[])[], hostLines: readonly string[], era: LogEra): string {
  const out = ['[   99.000000] nvme nvme0: 8/0/0 default/read/poll queues'];
  events.forEach((raw, i) => {
    out.push(...withDmesgPrefix(formatEventLog(raw, { era, client: '0000:01:00.0' }), { device: DEVICE, timestamp: 100 + i / 1000 }));
  });
  const lines = hostLines.flatMap((l) =>
    l.startsWith('CMDQ error') ? [l, 'skipping command in error state:', '\t0x00000000000000ff', '\t0x0000000000000000'] : [l],
  );
  out.push(...withDmesgPrefix(lines, { device: DEVICE, timestamp: 200 }));
  return `${out.join('\n')}\n`;
}

function write(name: string, text: string): string {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
}

const viaCli = (args: string[]): Promise<{ code: number; out: string; err: string }> => runCliOutErr(ROOT, args);

const runs = new Map(SCENARIOS.map((id) => [id, run(id)]));

t.test('the chosen scenarios cover events and CMDQ errors', async (t) => {
  const nEvents = [...runs.values()].map((r) => r.expected.events.length);
  t.ok(nEvents.includes(0) && nEvents.includes(1) && nEvents.includes(2), `event counts ${nEvents.join(',')}`);
  const cmdq = runs.get('smoke/cmdq-cerror-ill-mid-batch')?.expected.hostLog ?? [];
  t.same(cmdq, ['unexpected global error reported (0x00000001), this could be serious', 'CMDQ error (cons 0x01000005): Illegal command']);
});

for (const id of SCENARIOS) {
  t.test(`${id}: log (both eras) → import gives the same raw records; compare matches`, async (t) => {
    const r = runs.get(id);
    if (r === undefined) return;
    const raws = r.expected.events.map((e) => e.raw);
    for (const era of ERAS) {
      const text = hostLog(raws, r.expected.hostLog ?? [], era);
      const tr = importDmesg(text);
      t.same(tr.diagnostics, [], `${era}: no diagnostics`);
      t.same(crossCheck(tr), [], `${era}: decoded text agrees with raw`);
      const ev = tr.records.filter((x) => x.kind === 'event');
      t.same(
        ev.map((x) => x.raw),
        raws,
        `${era}: same raw records back`,
      );
      t.ok(
        ev.every((x) => x.instance === DEVICE && x.timestamp !== undefined),
        `${era}: instance and timestamps kept`,
      );
      if (ev.length > 0)
        t.equal(
          ev.every((x) => x.logged !== undefined),
          era === '6.14+',
          `${era}: decoded lines attached only for 6.14+`,
        );
      const log = write(`${id.replace(/\//g, '_')}-${era}.log`, text);
      const res = await viaCli(['trace', 'compare', `scenarios/${id}.yaml`, log]);
      t.equal(res.code, 0, `${era}: ${res.out}${res.err}`);
      t.match(
        res.out,
        `records: ${raws.length + (r.expected.hostLog !== undefined && r.expected.hostLog.length > 0 ? 2 : 0)} match, 0 differ, 0 missing, 0 extra`,
      );
      t.match(res.out, /RESULT: MATCH/);
    }
  });
}

t.test('one changed field: first divergence at that record and field', async (t) => {
  let checked = 0;
  for (const [id, r] of runs) {
    const raws = r.expected.events.map((e) => e.raw);
    for (let k = 0; k < raws.length; k++) {
      const raw = raws[k] ?? [];
      const codec = eventCodec(Number(raw[0] ?? 0n) & 0xff);
      for (const field of ['StreamID', 'InputAddr', 'RnW', 'CLASS'].filter((f) => codec.has(f))) {
        const old = codec.get(raw, field);
        const bad = codec.with(raw, field, field === 'CLASS' ? (old + 1n) % 3n : field === 'RnW' ? old ^ 1n : old + 0x40n);
        const mutated = raws.map((x, i) => (i === k ? bad : x));
        for (const era of ERAS) {
          const text = hostLog(mutated, r.expected.hostLog ?? [], era);
          const tr = importDmesg(text);
          const recNo = (tr.records.map((x, i) => ({ x, i })).filter(({ x }) => x.kind === 'event')[k]?.i ?? -1) + 1;
          const res = await runTraceCompare([r.file, write('mut.log', text)], () => r.expected);
          const what = `${id} event #${k + 1} ${field} ${era}`;
          t.equal(res.exitCode, 1, what);
          t.match(res.stdout, new RegExp(`first divergence: expected event #${k + 1} vs trace record #${recNo} \\(lines \\d+-\\d+\\): ${field}\\n`), what);
          t.match(res.stdout, new RegExp(`\\n  \\* ${field} +0x${old.toString(16)} +0x${codec.get(bad, field).toString(16)}`), `${what}: side by side`);
          t.match(res.stdout, `records: ${raws.length - 1} match, 1 differ`, what);
          checked++;
        }
      }
    }
  }
  t.ok(checked >= 20, `${checked} mutations checked`);
});

t.test('a changed CMDQ error line is reported on that line', async (t) => {
  const r = runs.get('smoke/cmdq-cerror-ill-mid-batch');
  if (r === undefined) return;
  const text = hostLog([], r.expected.hostLog ?? [], '6.14+').replace('cons 0x01000005', 'cons 0x01000006');
  const res = await viaCli(['trace', 'compare', 'smoke/cmdq-cerror-ill-mid-batch', write('cmdq-mut.log', text)]);
  t.equal(res.code, 1, res.out);
  t.match(
    res.out,
    /first divergence: CONS of trace record #2 \(lines 3-6\)\n    expected  CMDQ error CERROR_ILL cons=0x01000005\n    trace     CMDQ error CERROR_ILL cons=0x01000006 command=\[0x00000000000000ff, 0x0000000000000000\] \(opcode 0xff\)\n/,
  );
  t.match(res.out, /differs: trace record #2 \(lines 3-6\): CONS expected 0x1000005 got 0x1000006/);
  const noErr = await viaCli(['trace', 'compare', 'smoke/cmdq-cerror-ill-mid-batch', write('cmdq-none.log', hostLog([], [], '6.14+'))]);
  t.equal(noErr.code, 1, 'the CMDQ error lines are expected');
  t.match(noErr.out, /missing: expected GERROR active=0x1\nmissing: expected CMDQ error CERROR_ILL cons=0x01000005/);
});
