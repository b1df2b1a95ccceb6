/**
 * Loader checks for the host/guest keys and steps: schema shape, named references to host objects
 * (created by an earlier step, one namespace), located errors.
 */
import t from 'tap';
import { loadScenarioText } from '../engine/load.ts';

const HEAD = `description: host reference checks (linux-smmuv3-iommufd.md §6.3)
tags: [t]
devices: [{ name: nic, sid: 0x10, vsid: 7 }]
memory:
  s2_tables: [{ name: vm, granule: 4k, ipa_bits: 48, map: [] }]
  cd_tables: [{ name: gcd, ipa_space: vm, entries: [{ ssid: 0 }] }]
`;
const load = (body: string, head = `${HEAD}host: {}\n`) => loadScenarioText(`${head}steps:\n${body}`, { file: 'x.yaml' });
const codes = (r: ReturnType<typeof load>): string[] => r.errors.map((e) => `${e.code}@${e.line}:${e.path}`);

t.test('a complete host + guest scenario loads', async (t) => {
  const r = load(
    `  - hwpt_alloc: { name: s2, device: nic, s2_table: vm }
  - viommu: { name: vi, device: nic, hwpt: s2 }
  - vdevice: { viommu: vi, device: nic }
  - veventq: { name: q, viommu: vi, depth: 4 }
  - nested_hwpt: { name: n1, device: nic, pt: vi, ste: { config: s1, cd_table: gcd } }
  - attach: { device: nic, hwpt: n1 }
  - invalidate: { target: vi, commands: [{ op: TLBI_NH_ASID, asid: 1 }], entry_len: 24, surplus: 0 }
  - read_vevents: { veventq: q }
  - guest_cmdq: { commands: [{ op: SYNC }] }
  - guest_events: {}
  - msi: { device: nic, iova: 0x800_0040, data: 1 }
  - destroy: { object: q }
`,
    `${HEAD}host: { uapi: current, log_era: pre-6.14, msi: cookie, devices: [{ device: nic, ats: true }] }\nguest: { viommu: vi }\n`,
  );
  t.same(r.errors, []);
  t.equal(r.scenario?.host?.log_era, 'pre-6.14');
  t.equal(r.scenario?.steps.length, 12);
});

t.test('unknown host object names are located errors with a did-you-mean', async (t) => {
  const r = load(`  - hwpt_alloc: { name: parent, device: nic }
  - viommu: { name: vi, device: nic, hwpt: parnet }
`);
  t.same(codes(r), ['UNKNOWN_REFERENCE@10:steps[1].viommu.hwpt']);
  t.match(r.errors[0]?.message ?? '', /Unknown HWPT "parnet" \(did you mean "parent"\?\)/);
});

t.test('a name must be created by an earlier step', async (t) => {
  const r = load(`  - attach: { device: nic, hwpt: n1 }
  - hwpt_alloc: { name: n1, device: nic }
`);
  t.same(codes(r), ['UNKNOWN_REFERENCE@9:steps[0].attach.hwpt']);
});

t.test('host objects share one namespace', async (t) => {
  const r = load(`  - hwpt_alloc: { name: a, device: nic }
  - viommu: { name: a, device: nic, hwpt: a }
`);
  t.same(codes(r), ['DUPLICATE_NAME@10:steps[1].viommu.name']);
});

t.test('kinds are checked: a vIOMMU name is not a HWPT', async (t) => {
  const r = load(`  - hwpt_alloc: { name: s2, device: nic }
  - viommu: { name: vi, device: nic, hwpt: s2 }
  - attach: { device: nic, hwpt: vi }
`);
  t.same(codes(r), ['UNKNOWN_REFERENCE@11:steps[2].attach.hwpt']);
});

t.test('devices, CD tables and s2 tables named by host steps must be declared', async (t) => {
  const r = load(`  - hwpt_alloc: { name: s2, device: nc, s2_table: vn }
  - viommu: { name: vi, device: nic, hwpt: s2 }
  - nested_hwpt: { name: n1, device: nic, pt: vi, ste: { cd_table: gdc } }
  - invalidate: { target: vi, commands: [{ op: CFGI_CD, device: nix }] }
`);
  t.same(
    codes(r).sort(),
    [
      'UNKNOWN_REFERENCE@9:steps[0].hwpt_alloc.device',
      'UNKNOWN_REFERENCE@9:steps[0].hwpt_alloc.s2_table',
      'UNKNOWN_REFERENCE@11:steps[2].nested_hwpt.ste.cd_table',
      'UNKNOWN_REFERENCE@12:steps[3].invalidate.commands[0].device',
    ].sort(),
  );
});

t.test('host steps need `host:`, guest steps need `guest:`', async (t) => {
  const r = load('  - hwpt_alloc: { name: s2, device: nic }\n', HEAD);
  t.same(codes(r), ['CONFLICT@8:steps[0].hwpt_alloc']);
  const g = load('  - guest_events: {}\n');
  t.same(codes(g), ['CONFLICT@9:steps[0].guest_events']);
});

t.test('guest config: viommu (current) or nested_hwpt (rfc-2023) must name created objects', async (t) => {
  const r = load('  - hwpt_alloc: { name: s2, device: nic }\n', `${HEAD}host: {}\nguest: { viommu: nope }\n`);
  t.same(codes(r), ['UNKNOWN_REFERENCE@8:guest.viommu']);
  const rfc = load('  - hwpt_alloc: { name: s2, device: nic }\n', `${HEAD}host: { uapi: rfc-2023 }\nguest: { viommu: s2 }\n`);
  t.ok(codes(rfc).some((c) => c.startsWith('CONFLICT') && c.endsWith(':guest')));
});

t.test('schema: bad enum values and a 3-dword raw vSTE are located', async (t) => {
  const r = load(`  - nested_hwpt: { name: n1, device: nic, pt: x, ste: { raw: [1, 2, 3] } }\n`, `${HEAD}host: { uapi: rfc-2024 }\n`);
  t.ok(
    r.errors.some((e) => e.path === 'host.uapi' && e.line === 7),
    codes(r).join(' '),
  );
  t.ok(
    r.errors.some((e) => e.path.startsWith('steps[0].nested_hwpt.ste.raw')),
    codes(r).join(' '),
  );
});
