/**
 * Are we running under CI? Golden updates are refused there. The CI variable is read by value
 * (CI=true/1/yes refuse; CI=false/0/no/empty do not, and an explicit false also overrides the
 * vendor checks, as in ci-info). CI systems that do not set CI (Azure Pipelines' TF_BUILD,
 * Jenkins' BUILD_ID, ...) are recognised from ci-info's vendor table, which its maintainers keep
 * current; ci-info's own `isCI` reads process.env once at import, so the table is evaluated here
 * against the environment the command was given (tests pass their own).
 */
import { createRequire } from 'node:module';

type Env = Readonly<Record<string, string | undefined>>;

/** One entry of ci-info's vendors.json `env` field. */
type VendorEnv = string | { readonly env: string; readonly includes: string } | { readonly any: readonly string[] } | Readonly<Record<string, string>>;
interface Vendor {
  readonly name: string;
  readonly env: VendorEnv | readonly VendorEnv[];
}

const VENDORS = createRequire(import.meta.url)('ci-info/vendors.json') as readonly Vendor[];

/** Variables ci-info treats as CI markers besides the vendor table (Jenkins, TeamCity, TaskCluster, Codeship). */
const GENERIC = ['BUILD_ID', 'BUILD_NUMBER', 'CI_APP_ID', 'CI_BUILD_ID', 'CI_BUILD_NUMBER', 'CI_NAME', 'CONTINUOUS_INTEGRATION', 'RUN_ID'] as const;

const FALSE_VALUES = ['', '0', 'false', 'no'];

function matches(env: Env, e: VendorEnv): boolean {
  const set = (k: string): boolean => (env[k] ?? '') !== '';
  if (typeof e === 'string') return set(e);
  if ('includes' in e && typeof e.includes === 'string' && typeof e.env === 'string') return (env[e.env] ?? '').includes(e.includes);
  if ('any' in e && Array.isArray(e.any)) return (e.any as readonly string[]).some(set);
  return Object.entries(e as Record<string, string>).every(([k, v]) => env[k] === v);
}

/** The CI system's name when the environment says we run under CI, else undefined. */
export function detectCi(env: Env): string | undefined {
  const ci = env['CI'];
  if (ci !== undefined && FALSE_VALUES.includes(ci.trim().toLowerCase())) return undefined;
  for (const v of VENDORS) {
    const all = Array.isArray(v.env) ? (v.env as readonly VendorEnv[]) : [v.env as VendorEnv];
    if (all.every((e) => matches(env, e))) return v.name;
  }
  if (ci !== undefined) return `CI=${ci}`;
  const generic = GENERIC.find((k) => (env[k] ?? '') !== '');
  return generic === undefined ? undefined : `${generic} is set`;
}

/** True when the environment says we run under CI (see detectCi). */
export function isCi(env: Env): boolean {
  return detectCi(env) !== undefined;
}
