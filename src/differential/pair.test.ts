// The reference outcome a deviation is named against (issue 16 part 3): of the outcomes every
// permitted choice gives, the one the target follows furthest in the scenario's own order, not in
// the text's (every step record precedes every event, so the text order would put a late
// command's record before an early step's event).
import t from 'tap';
import { followRank, later } from './pair.ts';

const got = [
  'steps:',
  '  - { step: 1, op: dma, result: fault }',
  '  - { step: 5, op: cmdq, result: ok, executed: 1 }',
  'events:',
  '  - { step: 1, type: F_TRANSLATION, class: CD }',
  '',
].join('\n');
// choice A: the command at step 5 faults (CERROR_ILL), the event of step 1 is as the target's
const a = got.replace('result: ok, executed: 1', 'result: fault, executed: 0');
// choice B: the command is as the target's, the event of step 1 has another CLASS
const b = got.replace('class: CD', 'class: IN');

t.test('the outcome the target follows furthest in scenario order wins, not the longest common text', async (t) => {
  t.ok(a.indexOf('fault, executed') < b.indexOf('class: IN'), 'in the text, A departs before B does');
  t.ok(later(followRank(a, got), followRank(b, got)), 'A (departs at step 5) ranks after B (departs at step 1)');
  t.notOk(later(followRank(b, got), followRank(a, got)), 'and not the other way round');
  t.same(followRank(got, got).slice(0, 2), [Number.MAX_SAFE_INTEGER, 0], 'equal observations never depart');
});

t.test('on the same step, the command where the queues part decides', async (t) => {
  const early = got.replace('executed: 1', 'executed: 0');
  const late = got.replace('executed: 1', 'executed: 3');
  t.same(followRank(early, got).slice(0, 2), [5, 0], 'parts before the first command');
  t.same(followRank(late, got).slice(0, 2), [5, 1], 'parts after the one command both executed');
  t.ok(later(followRank(late, got), followRank(early, got)));
});
