// Loader fuzz: mutated scenarios either load or are rejected with located, coded errors
// (see fuzz-loader.ts). 1,000 variants in `npm test`, 20,000 under `npm run fuzz` (FUZZ=large).
import t from 'tap';
import { fuzzCount } from './fuzz-size.ts';
import { fuzzLoader } from './fuzz-loader.ts';

const N = fuzzCount(1000, 20000);

t.test(`mutated scenarios 0..${N - 1}: load or located rejection, never a crash`, async (t) => {
  const r = fuzzLoader(0, N);
  t.same(r.problems, [], 'no crashes and every error located');
  t.equal(r.loaded + r.rejected, N);
  t.ok(r.loaded > N / 100 && r.rejected > N / 10, `both outcomes are exercised (loaded ${r.loaded}, rejected ${r.rejected})`);
});

t.test('FUZZ selects the count', async (t) => {
  t.equal(fuzzCount(3, 9, {}), 3);
  t.equal(fuzzCount(3, 9, { FUZZ: 'large' }), 9);
  t.equal(fuzzCount(3, 9, { FUZZ: '17' }), 17);
  t.throws(() => fuzzCount(3, 9, { FUZZ: 'lots' }), /FUZZ must be small, large or a positive integer/);
});
