import t from 'tap';
import { setup } from '../pgtable/fixtures.ts';
import { type PageTableBuilder } from '../pgtable/builder.ts';
import { translate } from './translate.ts';
import { WalkTrace } from './walk-trace.ts';

t.test('trace records fetches with decisions, then TLB hits', async (t) => {
  const s = setup({ s1: { granule: 4096, iaBits: 39 }, policy: 'max' });
  (s.s1 as PageTableBuilder).map(0x1000n, 0xa000n, 0x1000n);
  const trace = new WalkTrace();
  s.env.trace = trace;
  const req = { iova: 0x1000n, read: true, write: false, instruction: false, privileged: true };
  translate(s.env, s.cfg, req);
  t.same(
    trace.records.map((r) => (r.kind === 'fetch' ? `${r.level}:${r.decision}` : r.kind)),
    ['1:table', '2:table', '3:page'],
  );
  trace.clear();
  translate(s.env, s.cfg, req);
  t.match(trace.records, [{ kind: 'tlb-hit', cache: 'leaf', level: 3 }]);
  trace.clear();
  translate(s.env, s.cfg, { ...req, iova: 0x5000n });
  t.match(trace.records, [
    { kind: 'tlb-hit', cache: 'walk-s1', level: 2 },
    { kind: 'fetch', level: 3, decision: 'invalid', raw: 0n },
  ]);
  t.match(trace.format()[1], /^S1 L3 PA 0x[0-9a-f]+ = 0x0000000000000000: invalid$/);
});

t.test('aborted fetch and the trace being off', async (t) => {
  const s = setup({ s1: { granule: 4096, iaBits: 39 }, policy: 'none' });
  (s.s1 as PageTableBuilder).setRaw(2, 0x20_0000n, 0x7700_0000n | 3n);
  const trace = new WalkTrace();
  s.env.trace = trace;
  const req = { iova: 0x20_0000n, read: true, write: false, instruction: false, privileged: true };
  translate(s.env, s.cfg, req);
  t.match(trace.records.at(-1), { kind: 'fetch', level: 3, pa: 0x7700_0000n, decision: 'abort' });
  t.equal((trace.records.at(-1) as { raw?: bigint }).raw, undefined);
  s.env.trace = undefined;
  t.match(translate(s.env, s.cfg, req), { ok: false, fault: { type: 'F_WALK_EABT' } });
});
