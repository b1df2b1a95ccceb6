// Inline `expect:` through the real runner and executor: a failed expectation names every wrong
// field at the scenario's file:line:col, and --update / --update --create refuse to write a
// golden while any inline expectation fails.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { cli } from '../src/cli/app.ts';

const scenario = (pa: string, sid: string, cons: string, gerrorReg: string) => `description: Inline expectations are checked (SMMUv3 §7.3.9).
tags: [s1]
requires: [s1]
smmu: { oas: 48, strtab: linear }
devices: [ { name: nic0, sid: 0x10 } ]
memory:
  s1_tables: [ { name: pt0, granule: 4k, va_bits: 48, map: [ { va: 0x1000, pa: 0x8000_0000, size: 4K, perm: rw } ] } ]
  cd_tables: [ { name: cd0, entries: [ { ssid: 0, asid: 5, tt0: pt0 } ] } ]
streams: [ { device: nic0, config: s1, cd_table: cd0 } ]
steps:
  - dma: { device: nic0, iova: 0x1008, access: read, expect: { result: ok, pa: ${pa} } }
  - dma:
      device: nic0
      iova: 0x2000
      access: read
      expect:
        result: fault
        events: [ { type: F_TRANSLATION, sid: ${sid}, input_addr: 0x2000 } ]
  - cmdq:
      commands: [ { raw: ['0x0', 0] } ]
      expect: { cerror: CERROR_ILL, cons: ${cons}, gerror: [CMDQ_ERR], regs: { SMMU_GERROR: ${gerrorReg} } }
`;
const GOOD = scenario('0x8000_0008', '0x10', '0x0100_0004', '0x1');

async function run(cwd: string, args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await cli(args, { stdout: (s) => (out += s), stderr: (s) => (out += s), env: {}, cwd, isTTY: false });
  return { code, out };
}

function project(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'smmu-expect-'));
  mkdirSync(join(dir, 'scenarios', 's1'), { recursive: true });
  mkdirSync(join(dir, 'golden'));
  writeFileSync(join(dir, 'scenarios', 's1', 'x.yaml'), text);
  return dir;
}

t.test('the fixture is right: every expectation holds on the emulator', async (t) => {
  const dir = project(GOOD);
  const r = await run(dir, ['run', '--update', '--create', '--jobs', '1']);
  t.equal(r.code, 0, r.out);
  t.ok(existsSync(join(dir, 'golden', 's1', 'x.yaml')));
});

t.test('every wrong field is reported at its file:line:col', async (t) => {
  const dir = project(scenario('0x8000_1008', '0x11', '0x0100_0005', '0x0'));
  const r = await run(dir, ['run', '--jobs', '1']);
  t.equal(r.code, 1);
  const lines = r.out.split('\n').filter((l) => l.trim().startsWith('scenarios/s1/x.yaml:'));
  t.same(
    lines.map((l) => l.trim()),
    [
      'scenarios/s1/x.yaml:11:80: step 1 (dma): expect.pa: expected 0x80001008, got 0x80000008',
      'scenarios/s1/x.yaml:18:47: step 2 (dma): expect.events[0].sid: expected 0x11, got 16 (0x10)',
      'scenarios/s1/x.yaml:21:43: step 3 (cmdq): expect.cons: expected 0x1000005, got 0x01000004',
      'scenarios/s1/x.yaml:21:97: step 3 (cmdq): expect.regs.SMMU_GERROR: expected 0x0, got 0x1',
    ],
    r.out,
  );
});

t.test('--update --create refuses to create a golden while an inline expectation fails', async (t) => {
  const dir = project(scenario('0x8000_1008', '0x10', '0x0100_0004', '0x1'));
  const r = await run(dir, ['run', '--update', '--create', '--jobs', '1']);
  t.equal(r.code, 1);
  t.match(r.out, /Not creating golden\/s1\/x\.yaml: 1 inline expectation\(s\) of s1\/x fail/);
  t.notOk(existsSync(join(dir, 'golden', 's1', 'x.yaml')), 'no golden written');
});

t.test('--update refuses to rewrite a golden while an inline expectation fails', async (t) => {
  const dir = project(GOOD);
  t.equal((await run(dir, ['run', '--update', '--create', '--jobs', '1'])).code, 0);
  const golden = join(dir, 'golden', 's1', 'x.yaml');
  const before = readFileSync(golden, 'utf8');
  writeFileSync(golden, before.replace("pa: '0x0000000080000008'", "pa: '0x0000000080000010'"));
  writeFileSync(join(dir, 'scenarios', 's1', 'x.yaml'), scenario('0x8000_0008', '0x10', '0x0100_0004', '0x3'));
  const r = await run(dir, ['run', '--update', '--jobs', '1']);
  t.equal(r.code, 1);
  t.match(r.out, /Not updating golden\/s1\/x\.yaml: 1 inline expectation\(s\) of s1\/x fail/);
  t.match(readFileSync(golden, 'utf8'), /pa: '0x0000000080000010'/, 'golden left as it was');
});
