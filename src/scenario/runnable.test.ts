// Totality rules (runnable.ts): each crash class the mutation fuzzer found is rejected by validate
// with a code, a path and the rule, or (tests in src/engine/totality.test.ts) runs to an answer.
import t from 'tap';
import { loadScenarioText } from '../engine/load.ts';

const BASE = `description: Totality rule test (SMMUv3 §3.2)
tags: [t]
devices: [ { name: nic0, sid: 0x10 } ]
`;
function errors(yaml: string): string[] {
  const r = loadScenarioText(BASE + yaml, { file: 'x.yaml' });
  return r.errors.map((e) => `${e.code} ${e.path} ${e.line}:${e.col} ${e.message}`);
}
const PT = (map: string, extra = ''): string => `memory:
  s1_tables:
    - { name: pt0, granule: 4k, va_bits: 48${extra}, map: [ ${map} ] }
`;

t.test('fields: unknown names and over-wide values (STE, CD, commands)', async (t) => {
  t.match(errors(`streams: [ { device: nic0, config: bypass, fields: { Bogus: 1 } } ]\nsteps: []\n`), [
    /^BAD_VALUE streams\[0\]\.fields\.Bogus 4:\d+ STE has no field "Bogus".*§5\.2/,
  ]);
  t.match(errors(`streams: [ { device: nic0, config: bypass, fields: { PPAR: 2 } } ]\nsteps: []\n`), [/^BAD_VALUE streams\[0\]\.fields\.PPAR .*does not fit/]);
  t.match(errors(`streams: [ { device: nic0, config: s2, vmid: 0x10000 } ]\nsteps: []\n`), [/^BAD_VALUE streams\[0\]\.vmid .*S2VMID/]);
  t.match(errors(`${PT('')}  cd_tables: [ { name: cd0, entries: [ { ssid: 0, asid: 0x1_0000, tt0: pt0 } ] } ]\nsteps: []\n`), [
    /^BAD_VALUE memory\.cd_tables\[0\]\.entries\[0\]\.asid .*ASID/,
  ]);
  t.match(errors(`steps:\n  - cmdq: { commands: [ { op: TLBI_NH_ALL, fields: { NotAField: 1 } } ] }\n`), [
    /^BAD_VALUE steps\[0\]\.cmdq\.commands\[0\]\.fields\.NotAField .*no field "NotAField"/,
  ]);
  t.match(errors(`steps:\n  - cmdq: { commands: [ { op: CFGI_STE_RANGE, fields: { SSec: 2 } } ] }\n`), [/SSec/]);
  t.match(errors(`steps:\n  - cmdq: { commands: [ { op: TLBI_NH_ALL, asid: 3 } ] }\n`), [
    /^BAD_VALUE steps\[0\]\.cmdq\.commands\[0\]\.asid .*no ASID parameter/,
  ]);
});

t.test('IDs: StreamID beyond the stream table or 32 bits, SubstreamID beyond 20 bits', async (t) => {
  t.match(errors(`smmu: { sidsize: 8 }\nstreams: [ { sid: 0x100, config: bypass } ]\nsteps: []\n`), [/^BAD_VALUE streams\[0\]\.sid .*covers 8 bits/]);
  t.match(errors(`steps:\n  - ste: { sid: 0x1_0000_0000, config: bypass }\n`), [/covers 16 bits/, /wider than 32 bits/]);
  t.match(errors(`steps:\n  - dma: { device: nic0, iova: 0x1000, access: read, ssid: 0x10_0000 }\n`), [
    /^BAD_VALUE steps\[0\]\.dma\.ssid .*wider than 20 bits.*§3\.3\.2/,
  ]);
  // Inside 20 bits but beyond SSIDSIZE is architected (C_BAD_SUBSTREAMID), so it is accepted.
  t.same(errors(`smmu: { ssidsize: 4 }\nsteps:\n  - dma: { device: nic0, iova: 0x1000, access: read, ssid: 0x8_0000 }\n`), []);
});

t.test('write_reg to a register the emulator does not implement', async (t) => {
  t.match(errors(`steps:\n  - write_reg: { reg: SMMU_PRIQ_PROD, value: 0 }\n`), [/^BAD_VALUE steps\[0\]\.write_reg\.reg .*not implemented/]);
  t.same(errors(`steps:\n  - write_reg: { reg: SMMU_CMDQ_PROD, value: 0 }\n`), []);
});

t.test('mappings: alignment, input range, overlap, descriptor cap; tables: geometry, 64-byte placement', async (t) => {
  t.match(errors(`${PT('{ va: 0x1800, pa: 0x8000_0000, size: 4K, perm: rw }')}steps: []\n`), [
    /^BAD_VALUE memory\.s1_tables\[0\]\.map\[0\]\.va .*not aligned to the 4K granule/,
  ]);
  t.match(errors(`${PT('{ va: 0x1000, pa: 0x8000_0800, size: 4K, perm: rw }')}steps: []\n`), [/map\[0\]\.pa .*output address/]);
  t.match(errors(`${PT('{ va: 0x1000, pa: 0x8000_0000, size: 6K, perm: rw }')}steps: []\n`), [/map\[0\]\.size .*not a multiple/]);
  t.match(errors(`${PT("{ va: '0x1_0000_0000_0000', pa: 0x8000_0000, size: 4K, perm: rw }")}steps: []\n`), [/outside the 48-bit input range/]);
  // The TTB1 range at the top of the VA space is inside the range.
  t.same(errors(`${PT("{ va: '0xffff_ffff_ffff_f000', pa: 0x8000_0000, size: 4K, perm: rw }")}steps: []\n`), []);
  t.match(errors(`${PT('{ va: 0x1000, pa: 0x8000_0000, size: 8K, perm: rw }, { va: 0x2000, pa: 0x9000_0000, size: 4K, perm: r }')}steps: []\n`), [
    /^CONFLICT memory\.s1_tables\[0\]\.map\[1\] .*overlaps the mapping at memory\.s1_tables\[0\]\.map\[0\]/,
  ]);
  // 16 TiB mapped page by page (va and pa not block-congruent): 2^32 leaves, over the cap.
  t.match(errors(`${PT("{ va: 0x1000, pa: '0x1_0000_0000', size: '0x1000_0000_0000', perm: rw }")}steps: []\n`), [/^CAP_EXCEEDED .*leaf descriptors/]);
  // The same size block-aligned needs few descriptors.
  t.same(errors(`${PT("{ va: 0x4000_0000, pa: '0x1_0000_0000', size: '0x1000_0000_0000', perm: rw }")}steps: []\n`), []);
  t.match(errors(`${PT('', ', at: 0x1000_0020')}steps: []\n`), [/^BAD_VALUE memory\.s1_tables\[0\]\.at .*64-byte aligned/]);
  t.match(errors(`memory:\n  s2_tables: [ { name: vm0, granule: 4k, ipa_bits: 48, sl0: 0, map: [] } ]\nsteps: []\n`), [
    /ipa_bits .*Cannot build 4K stage-2 tables/,
  ]);
  t.match(errors(`${PT('')}steps:\n  - map: { table: pt0, va: 0x1001, pa: 0x8000_0000, size: 4K, perm: rw }\n`), [
    /^BAD_VALUE steps\[0\]\.map\.va .*not aligned/,
  ]);
});

t.test('host devices inside SIDSIZE, ext_abort with pa, aligned raw writes, vdevice with viommu', async (t) => {
  t.match(errors(`smmu: { sidsize: 4 }\nhost: {}\nsteps: []\n`), [/^BAD_VALUE devices\[0\]\.sid .*cannot bind device "nic0"/]);
  t.match(errors(`steps:\n  - inject_fault: { kind: ext_abort }\n`), [/^CONFLICT steps\[0\]\.inject_fault .*needs `pa`/]);
  t.match(errors(`smmu: { faults: [ { kind: ext_abort } ] }\nsteps: []\n`), [/^CONFLICT smmu\.faults\[0\]/]);
  t.match(errors(`steps:\n  - write: { pa: 0x1004, u64: [1] }\n`), [/^BAD_VALUE steps\[0\]\.write\.pa .*8-byte aligned/]);
  t.match(errors(`memory: { writes: [ { pa: 0x1001, u64: [1] } ] }\nsteps: []\n`), [/^BAD_VALUE memory\.writes\[0\]\.pa/]);
  t.match(errors(`host: {}\nsteps:\n  - vdevice: { device: nic0 }\n`), [/^CONFLICT steps\[0\]\.vdevice .*needs a vIOMMU/]);
  t.same(errors(`host: { uapi: rfc-2023 }\nsteps:\n  - vdevice: { device: nic0 }\n`), []);
});

t.test('host device on an SMMU that does not exist; attach probe of an undeclared device', async (t) => {
  t.match(errors(`host: { devices: [ { device: nic0, smmu: 1 } ] }\nsteps: []\n`), [/^CONFLICT host\.devices\[0\]\.smmu .*SMMU 1 does not exist/]);
  t.match(errors(`host: {}\nsteps:\n  - attach: { device: nic0, probe: { device: gpu, iova: 0x1000, access: read } }\n`), [
    /^UNKNOWN_REFERENCE steps\[0\]\.attach\.probe\.device/,
  ]);
});

t.test('a run-level --profile part is what IDs and sizes are checked against (its smmu: block over it)', async (t) => {
  const under = (yaml: string, profile: Record<string, unknown>): string[] =>
    loadScenarioText(BASE + yaml, { file: 'x.yaml', profile }).errors.map((e) => `${e.code} ${e.path} ${e.message}`);
  const st = `streams: [ { sid: 0x100, config: bypass } ]\nsteps: []\n`;
  t.same(errors(st), [], 'the default part has SIDSIZE 16');
  t.match(under(st, { sidSize: 8 }), [/^BAD_VALUE streams\[0\]\.sid .*covers 8 bits/], '--profile with SIDSIZE 8');
  t.same(under(`smmu: { sidsize: 12 }\n${st}`, { sidSize: 8 }), [], "the scenario's own smmu: block wins over --profile");
  t.match(under(`boot: { strtab: { fmt: 2level } }\nsteps: []\n`, { stLevel: 0 }), [/^CONFLICT boot\.strtab\.fmt .*ST_LEVEL/]);
});

t.test('queue sizes beyond SMMU_IDR1.CMDQS/EVENTQS are located errors; the default is capped', async (t) => {
  t.match(errors(`smmu: { idr: { CMDQS: 4 } }\nboot: { cmdq: { log2size: 5 } }\nsteps: []\n`), [
    /^BAD_VALUE boot\.cmdq\.log2size 5:\d+ A command queue of 2\^5 entries is larger than this SMMU allows: SMMU_IDR1\.CMDQS=4/,
  ]);
  t.match(
    errors(`smmu: { idr: { EVENTQS: 2 }, evtq_log2size: 3 }\nsteps: []\n`),
    [/^PROFILE_RULE smmu\.evtq_log2size .*IDR1\.EVENTQS 2/],
    "the smmu: block's own key: profile-block.ts",
  );
  t.match(
    loadScenarioText(`${BASE}boot: { cmdq: { log2size: 6 } }\nsteps: []\n`, { file: 'x.yaml', profile: { cmdqs: 5 } }).errors.map((e) => e.path),
    ['boot.cmdq.log2size'],
    'against --profile too',
  );
  t.same(errors(`smmu: { idr: { CMDQS: 4, EVENTQS: 2 } }\nsteps: []\n`), [], 'no explicit size: the default 2^8 is capped to the part');
});

t.test('host stage-2 work is bounded too: s2_map leaves count against the cap, guest RAM is whole pages within the RAM cap', async (t) => {
  const HOST = `host: {}
memory:
  s2_tables: [ { name: vm, granule: 4k, ipa_bits: 48, map: [] } ]
steps:
  - hwpt_alloc: { name: s2, device: nic0, s2_table: vm }
  - viommu: { name: vi, device: nic0, hwpt: s2 }
`;
  // 64 GiB with IPA - PA not a multiple of 2 MiB: only pages, 2^24 leaves (fuzzer: ran for minutes)
  t.match(errors(`${HOST}  - s2_map: { hwpt: s2, ipa: 0x1000, pa: 0x2000_0000, size: 64G, perm: rw }\n`), [
    /^CAP_EXCEEDED steps\[2\]\.s2_map \d+:\d+ Mappings need up to 16777218 leaf descriptors; the cap is 1048576/,
  ]);
  t.same(errors(`${HOST}  - s2_map: { hwpt: s2, ipa: 0x4000_0000, pa: 0x8000_0000, size: 64G, perm: rw }\n`), [], 'block-aligned: 64 leaves of 1 GiB');
  t.match(errors(`guest: { viommu: vi, ram_size: 0x1800 }\n${HOST}`), [/^BAD_VALUE guest\.ram_size .*not 4 KiB aligned/]);
  t.match(errors(`guest: { viommu: vi, ram_size: 1G }\n${HOST}`), [/^CAP_EXCEEDED guest\.ram_size .*guest RAM of 0x40000000 bytes/]);
});

t.test('resume: a STAG wider than 16 bits is a located error (fuzzer: CMD_RESUME encode threw)', async (t) => {
  t.match(errors(`steps:\n  - resume: { device: nic0, stag: 0x1_0000, action: retry }\n`), [
    /^BAD_VALUE steps\[0\]\.resume\.stag 5:\d+ STAG 0x10000 is wider than 16 bits/,
  ]);
  t.same(errors(`steps:\n  - resume: { device: nic0, stag: 0xffff, action: retry }\n`), []);
});

t.test('a table address must fit the pointer that holds it (fuzzer: the CD encoder threw on TTB0 = 0xffff_0000_0000_0000)', async (t) => {
  t.match(errors(`${PT('', ", at: '0xffff_0000_0000_0000'")}steps: []\n`), [/^BAD_VALUE memory\.s1_tables\[0\]\.at .*CD\.TTB0\/TTB1 hold bits \[55:4\]/]);
  t.same(errors(`${PT('', ", at: '0x00ff_0000_0000_0000'")}steps: []\n`), [], 'bit 55 and below fits');
  t.match(errors(`memory:\n  s1_tables: []\n  cd_tables: [ { name: cd0, at: '0x100_0000_0000_0000', entries: [ { ssid: 0 } ] } ]\nsteps: []\n`), [
    /^BAD_VALUE memory\.cd_tables\[0\]\.at .*S1ContextPtr holds bits \[55:6\]/,
  ]);
});

t.test('soak classes: an s2_unmap beyond the HWPT IPA space, a read_mem off its width (located)', async (t) => {
  const HOST = `host: {}
memory:
  s2_tables: [ { name: vm, granule: 4k, ipa_bits: 48, map: [] } ]
steps:
  - hwpt_alloc: { name: s2, device: nic0, s2_table: vm }
`;
  t.match(errors(`${HOST}  - s2_unmap: { hwpt: s2, ipa: 0x1000, size: '0xffff_ffff_ffff_f000' }\n`), [
    /^BAD_VALUE steps\[1\]\.s2_unmap\.size .*outside the 48-bit IPA space of HWPT "s2"/,
  ]);
  t.same(errors(`${HOST}  - s2_unmap: { hwpt: s2, ipa: 0x1000, size: 4K }\n`), []);
  t.match(errors(`steps:\n  - read_mem: { pa: 0x8000_0004 }\n`), [/^BAD_VALUE steps\[0\]\.read_mem\.pa .*8-byte aligned pa/]);
  t.same(errors(`steps:\n  - read_mem: { pa: 0x8000_0004, width: 32 }\n`), []);
});
