// The inline-expectation checker on hand-made observations: a matching expectation passes, and
// for every field it checks, one wrong value gives exactly one mismatch at that field's path.
import t from 'tap';
import type { Expect, Scenario, Step } from '../scenario/types.ts';
import { checkExpectations, expectMismatches } from './check-expect.ts';
import type { EventRecord, Observation, StepRecord } from '../scenario/observation.ts';

const EVENT: EventRecord = {
  step: 1,
  type: 'F_PERMISSION',
  sid: 0x10n,
  ssid: 0x5n,
  s2: true,
  class: 'TT',
  rnw: false,
  pnu: true,
  ind: false,
  stall: false,
  stag: 0n,
  input_addr: 0x1234n,
  ipa: 0x8004_2000n,
  fetch_addr: 0n,
  ttrnw: 1,
};
const REC: StepRecord = {
  step: 1,
  op: 'dma',
  result: 'fault',
  pa: 0x8000_1000n,
  errno: 'EIO',
  cons: '0x01000005',
  cerror: 'CERROR_ILL',
  entry_num: 7,
  gerror: ['CMDQ_ERR'],
  executed: 3,
};
const OBS: Observation = {
  scenario: 'x/y',
  steps: [REC],
  events: [EVENT, { step: 2, type: 'F_TRANSLATION' }],
  guest_events: [],
  host_log: [],
  cmdq: {},
  regs: [{ step: 1, values: { SMMU_GERROR: 1n, SMMU_EVENTQ_PROD: 0x80000001n } }],
};
const GOOD: Expect = {
  result: 'fault',
  pa: 0x8000_1000n,
  errno: 'EIO',
  cons: 0x0100_0005n,
  cerror: 'CERROR_ILL',
  entry_num: 7,
  gerror: ['CMDQ_ERR'],
  fields: { executed: 3 },
  regs: { SMMU_GERROR: 1n, SMMU_EVENTQ_PROD: 0x8000_0001n },
  events: [
    {
      type: 'F_PERMISSION',
      sid: 0x10n,
      ssid: 5n,
      s2: true,
      class: 'TT',
      rnw: false,
      pnu: true,
      ind: false,
      stall: false,
      stag: 0n,
      input_addr: 0x1234n,
      ipa: 0x8004_2000n,
      fetch_addr: 0n,
      fields: { TTRnW: 1n },
    },
  ],
};
const scenario = (expect: Expect): Scenario =>
  ({ name: 'x/y', description: 'd', tags: ['t'], steps: [{ dma: { device: 'd', iova: 0n, access: 'read', expect } } as Step] }) as Scenario;
const paths = (e: Expect, obs: Observation = OBS) => expectMismatches(scenario(e), obs).map((m) => m.path.slice(4).join('.'));

t.test('a matching expectation passes', async (t) => {
  t.same(expectMismatches(scenario(GOOD), OBS), []);
  t.same(paths({ pa: 4096n * 0x8_0001n, cons: 0x1000005n, fields: { executed: '0x3' } }), [], 'numbers compare by value, whatever the spelling');
});

t.test('every checked step field: one wrong value, one mismatch at its path', async (t) => {
  const wrong: Record<string, Expect> = {
    result: { result: 'ok' },
    pa: { pa: 0x8000_2000n },
    errno: { errno: 'EINVAL' },
    cons: { cons: 0x0100_0006n },
    cerror: { cerror: 'CERROR_ABT' },
    entry_num: { entry_num: 6 },
    gerror: { gerror: ['CMDQ_ERR', 'SFM_ERR'] },
    'fields.executed': { fields: { executed: 4 } },
    'regs.SMMU_GERROR': { regs: { SMMU_GERROR: 0n } },
    'regs.SMMU_EVENTQ_PROD': { regs: { SMMU_EVENTQ_PROD: 0x1n } },
  };
  for (const [path, w] of Object.entries(wrong)) t.same(paths({ ...GOOD, ...w }), [path], path);
  t.same(paths({ errno: 0 }), ['errno'], 'errno 0 is not EIO');
  t.same(paths({ fields: { missing: 1 } }), ['fields.missing'], 'a field the record lacks is a mismatch');
  t.same(paths({ regs: { SMMU_CR0: 0n } }), ['regs.SMMU_CR0'], 'a register that was not read is a mismatch');
});

t.test('every checked event field: one wrong value, one mismatch at its path', async (t) => {
  const ev = GOOD.events?.[0];
  if (ev === undefined) throw new Error('fixture');
  const wrong: Record<string, object> = {
    type: { type: 'F_TRANSLATION' },
    sid: { sid: 0x11n },
    ssid: { ssid: 6n },
    s2: { s2: false },
    class: { class: 'IN' },
    rnw: { rnw: true },
    pnu: { pnu: false },
    ind: { ind: true },
    stall: { stall: true },
    stag: { stag: 1n },
    input_addr: { input_addr: 0x1235n },
    ipa: { ipa: 0x8004_3000n },
    fetch_addr: { fetch_addr: 8n },
    'fields.TTRnW': { fields: { TTRnW: 0n } },
  };
  for (const [path, w] of Object.entries(wrong)) t.same(paths({ events: [{ ...ev, ...w }] }), [`events.0.${path}`], path);
  t.same(paths({ events: [] }), ['events'], 'fewer events than recorded');
  t.same(paths({ events: [ev, ev] }), ['events'], 'more events than recorded');
});

t.test('all wrong fields are reported, with readable messages', async (t) => {
  const msgs = checkExpectations(scenario({ pa: 0x2000n, errno: 'ENOENT', events: [{ type: 'F_PERMISSION', sid: 0x11n, ipa: 0n }] }), OBS);
  t.same(msgs, [
    'step 1 (dma): expect.pa: expected 0x2000, got 0x80001000',
    'step 1 (dma): expect.errno: expected ENOENT, got EIO',
    'step 1 (dma): expect.events[0].sid: expected 0x11, got 0x10',
    'step 1 (dma): expect.events[0].ipa: expected 0x0, got 0x80042000',
  ]);
  const none: Observation = { ...OBS, steps: [] };
  t.same(checkExpectations(scenario({ result: 'ok' }), none), ['step 1 (dma): no step record to check expect against']);
});

t.test('a list field (a multi-transaction DMA) compares element by element, null for null', async (t) => {
  const rec: StepRecord = { ...REC, results: ['ok', 'fault'], pas: [0x8000_1ff0n, null] };
  const obs: Observation = { ...OBS, steps: [rec] };
  t.same(paths({ fields: { results: ['ok', 'fault'], pas: ['0x8000_1ff0', null] } }, obs), []);
  t.same(paths({ fields: { results: ['ok', 'ok'] } }, obs), ['fields.results']);
  t.same(paths({ fields: { pas: [0x8000_1ff0, 0] } }, obs), ['fields.pas'], 'null is not 0');
  t.same(paths({ fields: { pas: [0x8000_1ff0] } }, obs), ['fields.pas'], 'length matters');
  t.same(paths({ fields: { executed: [3] } }, obs), ['fields.executed'], 'a list is not a scalar');
  const m = expectMismatches(scenario({ fields: { pas: [1, null] } }), obs)[0];
  t.match(m?.message, /expect\.fields\.pas: expected \[1, null\], got \[0x80001ff0, null\]$/, 'shown without a throw (bigint lists)');
});
