/**
 * How many cases a fuzz or property test runs. `npm test` uses the small count (fast, still
 * catches regressions); `npm run fuzz` sets FUZZ=large; FUZZ=<n> runs exactly n (to reproduce or
 * to soak). One variable for every fuzzer so a soak run is one command.
 */
export function fuzzCount(small: number, large: number, env: NodeJS.ProcessEnv = process.env): number {
  const v = env['FUZZ'];
  if (v === undefined || v === '' || v === 'small') return small;
  if (v === 'large') return large;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`FUZZ must be small, large or a positive integer, not "${v}"`);
  return n;
}
