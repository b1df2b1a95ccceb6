/**
 * Emulator Observation → compare input (ExpectedRecords): the raw dwords of the physical event
 * queue, and the non-event lines a Linux host would print (GERROR handler, CMDQ errors).
 *
 * The executor's own `host_log` is used when it holds such lines. Otherwise they are rebuilt with
 * the Linux formatter (src/linux/messages.ts) from the step records: each time a step reports GERROR
 * bits that were not active before, the host's GERROR handler runs once and prints every active
 * bit it handles (GERROR_ERR_MASK), and for CMDQ_ERR the CMDQ error lines for the CONS value the
 * step reported (CONS.ERR is only meaningful while CMDQ_ERR is active, §6.3.28). The command at
 * CONS (`skipping command in error state:` + 2 dwords) is left out: the Observation does not hold it.
 */
import type { Observation, ObsValue } from '../scenario/observation.ts';
import { GERROR } from '../arch/registers.ts';
import { formatGerror } from '../linux/messages.ts';
import { type ExpectedRecords } from './compare.ts';
import { importDmesg } from './dmesg.ts';

const OTHER_KINDS = new Set(['cmdq_error', 'sync_timeout', 'cmdq_timeout', 'overflow', 'gerror']);

function bitOf(name: string): number | undefined {
  return GERROR.fields.find((f) => f.name === name)?.lo;
}

function names(v: ObsValue | undefined): string[] | undefined {
  if (!Array.isArray(v)) return undefined;
  return v.filter((x): x is string => typeof x === 'string');
}

function u32(v: ObsValue | undefined): number | undefined {
  if (typeof v === 'number') return v >>> 0;
  if (typeof v === 'bigint') return Number(BigInt.asUintN(32, v));
  if (typeof v === 'string' && /^(0x[0-9a-f]+|\d+)$/i.test(v)) return Number(BigInt.asUintN(32, BigInt(v)));
  return undefined;
}

/** Lines the Linux GERROR handler would print over the run, from the step records. */
export function hostLinesFromSteps(obs: Observation): string[] {
  const lines: string[] = [];
  let prev = new Set<string>();
  const visit = (active: string[], cons: number | undefined): void => {
    const now = new Set(active);
    const fresh = active.some((n) => !prev.has(n));
    prev = now;
    if (!fresh) return;
    let mask = 0;
    for (const n of active) {
      const b = bitOf(n);
      if (b !== undefined) mask |= 1 << b;
    }
    // The command at CONS is not part of the Observation: drop its two dwords, so it is not compared.
    const g = formatGerror(mask, now.has('CMDQ_ERR') ? { cons: cons ?? 0 } : undefined);
    const skip = g.indexOf('skipping command in error state:');
    if (skip >= 0) g.splice(skip, 3);
    lines.push(...g);
  };
  for (const s of obs.steps) {
    let active = names(s['gerror']);
    const cerror = s['cerror'];
    // A step that reports a CERROR but no GERROR list: CMDQ_ERR is what raised it.
    if (active === undefined && typeof cerror === 'string' && cerror !== 'CERROR_NONE') active = ['CMDQ_ERR'];
    if (active !== undefined) visit(active, u32(s['cons']));
  }
  const fin = names(obs.gerror?.['active']);
  if (fin !== undefined) visit(fin, u32(obs.cmdq['cons']));
  return lines;
}

/** Compare input for a scenario run. `hostLog` is always set, so unexpected CMDQ/GERROR lines in a trace count as extra. */
export function expectedFromObservation(obs: Observation): ExpectedRecords {
  const events = obs.events.map((e) => {
    const raw = Array.isArray(e.raw) ? e.raw : [];
    return {
      raw: [0, 1, 2, 3].map((i) => {
        const v = raw[i];
        return typeof v === 'bigint' ? BigInt.asUintN(64, v) : typeof v === 'number' || typeof v === 'string' ? BigInt.asUintN(64, BigInt(v)) : 0n;
      }),
    };
  });
  const own = [...obs.host_log];
  const ownHasOther = own.length > 0 && importDmesg(own.join('\n')).records.some((r) => OTHER_KINDS.has(r.kind));
  return { events, hostLog: ownHasOther ? own : hostLinesFromSteps(obs) };
}
