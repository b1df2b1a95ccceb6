// Loader fuzz, variants 5000..9999 of 10,000 (see fuzz-loader.ts).
import t from 'tap';
import { fuzzLoader } from './fuzz-loader.ts';

t.test('mutated scenarios 5000..9999: load or located rejection, never a crash', async (t) => {
  const r = fuzzLoader(5000, 10000);
  t.same(r.problems, [], 'no crashes and every error located');
  t.equal(r.loaded + r.rejected, 5000);
  t.ok(r.loaded > 100 && r.rejected > 1000, `both outcomes are exercised (loaded ${r.loaded}, rejected ${r.rejected})`);
});
