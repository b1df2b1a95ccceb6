// Software control of the SMMU (issue 12 part 2): boot placement/sizes/start indices, no reset
// batch, a command at a given ring index, register reads, raw L1 descriptors with any Span,
// zero-filled RAM and deliberately unbacked regions. Each assertion is the architected outcome.
import t from 'tap';
import { loadScenarioText } from './load.ts';
import type { Scenario } from '../scenario/types.ts';
import { executeScenario } from './execute.ts';
import type { Observation, StepRecord } from '../scenario/observation.ts';

function run(yaml: string): Observation {
  const r = loadScenarioText(`description: Software control test (SMMUv3 §6.3)\ntags: [t]\n${yaml}`, { file: 'inline.yaml' });
  if (r.scenario === undefined) throw new Error(r.errors.map((e) => `${e.path}: ${e.message}`).join('; '));
  return executeScenario(r.scenario as Scenario, { profile: { name: 'test', features: [] } });
}
const step = (o: Observation, n: number): StepRecord => o.steps[n - 1] as StepRecord;

t.test('the CMDQ can start at index 0 with no reset commands, or keep the Linux-like reset', async (t) => {
  const none = run('boot: { invalidate: false, cmdq: { start: 0 } }\nsteps:\n  - read_reg: { reg: SMMU_CMDQ_PROD }\n  - read_reg: { reg: SMMU_CMDQ_CONS }\n');
  t.equal(step(none, 1)['value'], 0n, 'no reset batch: PROD is still 0');
  t.equal(step(none, 2)['value'], 0n);
  const linux = run('steps:\n  - read_reg: { reg: SMMU_CMDQ_PROD }\n');
  t.equal(step(linux, 1)['value'], 4n, 'CFGI_ALL, TLBI_EL2_ALL, TLBI_NSNH_ALL, CMD_SYNC');
  const started = run('boot: { invalidate: false, cmdq: { log2size: 4, start: 0x1e } }\nsteps:\n  - read_reg: { reg: SMMU_CMDQ_CONS }\n');
  t.equal(step(started, 1)['value'], 0x1en, 'CONS as software wrote it before CMDQEN (index 14, wrap 1)');
});

t.test('a command at a given ring index: CONS points at it when it fails (CERROR_ILL)', async (t) => {
  const o = run(`boot: { invalidate: false, cmdq: { log2size: 4 } }
steps:
  - cmdq: { commands: [ { raw: [0xff, 0] } ], index: 12 }
`);
  const s = step(o, 1);
  t.equal(s['cerror'], 'CERROR_ILL');
  t.equal(s['executed'], 12, 'twelve CMD_SYNCs before it, all consumed');
  t.equal(s['cons'], '0x0100000c', 'CONS.ERR=CERROR_ILL (1), RD = 12 (SMMUv3 §6.3.28)');
  // Wrapping: from PROD 12, index 3 is reached after 7 more slots (12..15, then 0..2).
  const w = run(`boot: { invalidate: false, cmdq: { log2size: 4, start: 12 } }
steps:
  - cmdq: { commands: [ { op: TLBI_NSNH_ALL } ], index: 3 }
`);
  t.equal(step(w, 1)['commands'], 8);
  t.equal(step(w, 1)['prod'], '0x00000014', 'index 4 with the wrap bit set');
});

t.test('a command at a given ring index without fillers: the queue is restarted there', async (t) => {
  const o = run(`boot: { cmdq: { log2size: 4 } }
steps:
  - cmdq: { commands: [ { raw: [0xff, 0] } ], index: 12, filler: false }
`);
  const s = step(o, 1);
  t.equal(s['commands'], 1, 'no CMD_SYNC before it');
  t.equal(s['executed'], 0);
  t.equal(s['cerror'], 'CERROR_ILL');
  t.equal(s['cons'], '0x0100000c', 'CONS.RD = 12, on the failing command (SMMUv3 §6.3.28)');
  const w = run(`boot: { invalidate: false, cmdq: { log2size: 4, start: 0x1c } }
steps:
  - cmdq: { commands: [ { op: TLBI_NSNH_ALL } ], index: 3, filler: false }
`);
  t.same([step(w, 1)['commands'], step(w, 1)['executed'], step(w, 1)['prod']], [1, 1, '0x00000014'], 'restarted at 3 keeping the wrap bit of PROD 0x1c');
});

t.test('stream table base, format, LOG2SIZE, SPLIT and raw L1 descriptors with any Span', async (t) => {
  const o = run(`devices: [ { name: in, sid: 0x101 }, { name: out, sid: 0x123 } ]
boot:
  strtab: { base: 0x2000_0000, fmt: 2level, log2size: 12, split: 8, l1: [ { index: 1, span: 2 } ] }
streams: [ { device: in, config: bypass }, { device: out, config: bypass } ]
steps:
  - read_reg: { reg: SMMU_STRTAB_BASE_CFG }
  - dma: { device: in, iova: 0x1000, access: read }
  - dma: { device: out, iova: 0x1000, access: read }
`);
  t.equal(o.layout?.['strtab'], 0x2000_0000n);
  t.equal(step(o, 1)['value'], (1n << 16n) | (8n << 6n) | 12n, 'FMT=2-level, SPLIT=8, LOG2SIZE=12 (§6.3.24)');
  t.equal(step(o, 2)['result'], 'ok', 'StreamID 0x101: L2 index 1 is inside Span=2 (2 STEs)');
  t.equal(step(o, 3)['event'], 'C_BAD_STREAMID', 'StreamID 0x123: L2 index 0x23 is beyond the Span (§5.1)');
});

t.test('zero-filled RAM reads as zeros; an unbacked region aborts', async (t) => {
  // The STE points at a CD in RAM that nobody wrote: an all-zero CD is V=0, so C_BAD_CD (§5.4);
  // without the RAM declaration the same fetch is an external abort (F_CD_FETCH).
  const ste = 'streams: [ { device: nic0, config: s1, fields: { S1ContextPtr: 0x8000_0000 } } ]';
  const ram = run(
    `devices: [ { name: nic0, sid: 1 } ]\nmemory: { ram: [ { pa: 0x8000_0000, size: 4K } ] }\n${ste}\nsteps:\n  - dma: { device: nic0, iova: 0x1000, access: read }\n`,
  );
  t.equal(step(ram, 1)['event'], 'C_BAD_CD');
  const none = run(`devices: [ { name: nic0, sid: 1 } ]\n${ste}\nsteps:\n  - dma: { device: nic0, iova: 0x1000, access: read }\n`);
  t.equal(step(none, 1)['event'], 'F_CD_FETCH');
  // A stage-2 table whose root page is deliberately unbacked: the walk aborts (F_WALK_EABT).
  const eabt = run(`devices: [ { name: nic0, sid: 1 } ]
memory:
  s2_tables: [ { name: vm0, granule: 4k, ipa_bits: 40, at: 0x2000_0000, map: [ { ipa: 0x4000_0000, pa: 0x9000_0000, size: 4K, perm: rw } ] } ]
  unbacked: [ { pa: 0x2000_0000, size: 4K } ]
streams: [ { device: nic0, config: s2, s2_table: vm0 } ]
steps:
  - dma: { device: nic0, iova: 0x4000_0000, access: read }
`);
  t.equal(step(eabt, 1)['event'], 'F_WALK_EABT');
});

t.test('validate rejects boot programming the executor cannot honour, located', async (t) => {
  const errs = (y: string): string[] =>
    loadScenarioText(`description: Software control test (SMMUv3 §6.3)\ntags: [t]\n${y}steps: []\n`, { file: 'x.yaml' }).errors.map(
      (e) => `${e.code} ${e.path}`,
    );
  t.same(errs('boot: { strtab: { base: 0x2000_0010 } }\n'), ['BAD_VALUE boot.strtab.base']);
  t.same(errs('boot: { strtab: { l1: [ { index: 0, span: 1 } ] } }\n'), ['CONFLICT boot.strtab.l1[0]']);
  t.same(errs('boot: { cmdq: { log2size: 4, start: 0x20 } }\n'), ['BAD_VALUE boot.cmdq.start']);
  t.same(errs('boot: { strtab: { log2size: 24 } }\n'), ['CAP_EXCEEDED boot.strtab.log2size']);
  t.same(errs('memory: { ram: [ { pa: 0x1800, size: 4K } ] }\n'), ['BAD_VALUE memory.ram[0]']);
  t.same(errs('boot: { invalidate: false }\nhost: {}\n'), [], 'boot.invalidate: false with a host is accepted (and honoured, below)');
});

t.test('boot.invalidate: false with a host: the Linux host resets without its invalidation batches', async (t) => {
  const host = (boot: string): Observation =>
    run(`${boot}devices: [ { name: nic, sid: 0x10, vsid: 0x7, bdf: '01:00.0' } ]
host: {}
memory:
  s2_tables: [ { name: vm, granule: 4k, ipa_bits: 48, map: [ { ipa: 0x8000_0000, pa: 0x9000_0000, size: 2M, perm: rw } ] } ]
steps:
  - read_reg: { reg: SMMU_CMDQ_PROD }
  - hwpt_alloc: { name: s2, device: nic, s2_table: vm }
  - attach: { device: nic, hwpt: s2 }
`);
  const off = host('boot: { invalidate: false }\n');
  t.equal(step(off, 1)['value'], 0n, 'no reset invalidation: PROD is still 0');
  t.same([step(off, 2).result, step(off, 3).result], ['ok', 'ok'], 'the host works on from there');
  const on = host('');
  t.equal(step(on, 1)['value'], 6n, "Linux's three reset batches: CFGI_ALL, TLBI_EL2_ALL, TLBI_NSNH_ALL, each + CMD_SYNC");
  t.equal(off.cmdq['prod'], `0x${(Number(BigInt(on.cmdq['prod'] as string)) - 6).toString(16).padStart(8, '0')}`, 'every later command 6 slots earlier');
});
