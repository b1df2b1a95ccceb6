import t from 'tap';
import type { Observation, StepRecord } from '../scenario/observation.ts';
import { expectedFromObservation, hostLinesFromSteps } from './observed.ts';

function obs(steps: StepRecord[], extra: Partial<Observation> = {}): Observation {
  return { scenario: 'x', steps, events: [], guest_events: [], host_log: [], cmdq: { prod: '0x00000000', cons: '0x00000000', error: 'CERROR_NONE' }, ...extra };
}

const ILL = ['unexpected global error reported (0x00000001), this could be serious', 'CMDQ error (cons 0x01000003): Illegal command'];

t.test('one GERROR handler run per new activation, none while it stays active', async (t) => {
  const steps: StepRecord[] = [
    { step: 1, op: 'cmdq', result: 'ok', cons: '0x00000002', cerror: 'CERROR_NONE', gerror: [] },
    { step: 2, op: 'cmdq', result: 'fault', cons: '0x01000003', cerror: 'CERROR_ILL', gerror: ['CMDQ_ERR'] },
    { step: 3, op: 'cmdq', result: 'fault', cons: '0x01000003', cerror: 'CERROR_ILL', gerror: ['CMDQ_ERR'] },
    { step: 4, op: 'ack_gerror', result: 'ok', cons: '0x00000004', cerror: 'CERROR_NONE', gerror: [] },
    { step: 5, op: 'cmdq', result: 'fault', cons: '0x02000006', cerror: 'CERROR_ABT', gerror: ['CMDQ_ERR'] },
  ];
  t.same(hostLinesFromSteps(obs(steps)), [
    ...ILL,
    'unexpected global error reported (0x00000001), this could be serious',
    'CMDQ error (cons 0x02000006): Abort on command fetch',
    'retrying command fetch',
  ]);
});

t.test('a step with a CERROR but no GERROR list, and GERROR still active at the end', async (t) => {
  t.same(hostLinesFromSteps(obs([{ step: 1, op: 'cmdq', result: 'fault', cons: '0x01000003', cerror: 'CERROR_ILL' }])), ILL);
  const fin = obs([], { gerror: { gerror: '0x00000100', gerrorn: '0x00000000', active: ['SFM_ERR'] } });
  t.same(hostLinesFromSteps(fin), ['unexpected global error reported (0x00000100), this could be serious', 'device has entered Service Failure Mode!']);
});

t.test('events become 4 raw dwords; the executor host log wins when it has CMDQ/GERROR lines', async (t) => {
  const ev = { step: 1, type: 'F_TRANSLATION', raw: [0x10n, 2n, 0x1000n, 0n] };
  const steps: StepRecord[] = [{ step: 1, op: 'cmdq', result: 'fault', cons: '0x01000003', cerror: 'CERROR_ILL', gerror: ['CMDQ_ERR'] }];
  const a = expectedFromObservation(obs(steps, { events: [ev] }));
  t.same(a, { events: [{ raw: [0x10n, 2n, 0x1000n, 0n] }], hostLog: ILL });
  const own = ['CMD_SYNC timeout at 0x00000012 [hwprod 0x00000013, hwcons 0x00000010]'];
  t.same(expectedFromObservation(obs(steps, { host_log: own })).hostLog, own);
  t.same(expectedFromObservation(obs(steps, { host_log: ['event 0x10 received:'] })).hostLog, ILL, 'event-only host log: rebuilt from steps');
  t.same(expectedFromObservation(obs([])).hostLog, [], 'nothing to print is still compared (extra lines in a trace count)');
});
