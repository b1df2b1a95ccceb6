import t from 'tap';
import { coversGaps, observableFor } from './covers-observable.ts';

const golden = {
  events: [{ step: 1, type: 'F_TRANSLATION', s2: 1, class: 'TT' }],
  cmdq: { error: 'CERROR_ILL' },
};
const scenario = { steps: [{ cmdq: [{ op: 'TLBI_NH_VA' }, { op: 'SYNC' }] }, { resume: { device: 'd' } }] };

// [rule, holds on (scenario, golden)]; undefined = family not mechanically checkable.
const CASES: Array<[string, boolean | undefined]> = [
  ['event.F_TRANSLATION', true],
  ['event.F_TRANSLATION.s2', true],
  ['event.F_TRANSLATION.s2.TT', true],
  ['event.F_TRANSLATION.s2.IN', false],
  ['event.F_TRANSLATION.s1.IN', false],
  ['event.C_BAD_CD', false],
  ['cmdq.CERROR_ILL.first', true],
  ['cmdq.CERROR_ABT', false],
  ['cmd.TLBI_S2_IPA.illegal', true],
  ['cmd.unknown-opcode', true],
  ['cmd.TLBI_NH_VA.valid', true],
  ['cmd.CMD_SYNC.valid', true],
  ['cmd.RESUME.valid', true],
  ['cmd.CFGI_ALL.valid', false],
  ['walk.s1.affd', undefined],
  ['linux-10.4', undefined],
];

for (const [rule, want] of CASES) {
  t.test(rule, async (t) => {
    const o = observableFor(rule);
    if (want === undefined) t.equal(o, undefined, 'not mechanically checkable');
    else t.equal(o?.holds(scenario, golden), want);
  });
}

t.test('coversGaps names each unobserved claim with its index', async (t) => {
  t.same(
    coversGaps(['event.F_TRANSLATION.s2.TT', 'walk.s1.affd', 'event.F_ACCESS.s1.IN'], scenario, golden).map((g) => [g.rule, g.index]),
    [['event.F_ACCESS.s1.IN', 2]],
  );
});
