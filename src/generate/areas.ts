/** The generator's areas: what each one draws (one file per family under areas/). */
import type { Feature } from '../scenario/features.ts';
import type { Draft, PartLimits } from './draft.ts';
import type { Rng } from './rng.ts';
import { cachingArea } from './areas/caching.ts';
import { cmdqArea } from './areas/cmdq.ts';
import { cdArea, steArea } from './areas/config.ts';
import { el2Area } from './areas/el2.ts';
import { faultsArea } from './areas/faults.ts';
import { hostArea } from './areas/host.ts';
import { httuArea } from './areas/httu.ts';
import { stallArea } from './areas/stall.ts';
import { nestedArea, s1Area, s2Area } from './areas/translate.ts';

export interface Area {
  readonly generate: (rng: Rng, d: Draft) => void;
  readonly what: string;
  /** Features every scenario of the area needs, on any part (the rest it draws only where the part has them). */
  readonly needs?: readonly Feature[];
  /** At least one of these (a stream of either stage). */
  readonly needsOneOf?: readonly Feature[];
  /** Every scenario injects faults (a target must be able to, TargetCapabilities.faultInjection). */
  readonly injects?: true;
}

export const AREAS = {
  s1: { generate: s1Area, needs: ['s1'], what: 'stage-1 tables of every granule and size (TTB0/TTB1, TBI, EPD, IPS, AF, permissions) and DMA at their edges' },
  s2: {
    generate: s2Area,
    needs: ['s2'],
    what: 'stage-2 tables of every granule, size, start level and concatenation (S2PS, AF, S2AP/XN) and DMA at their edges',
  },
  nested: {
    generate: nestedArea,
    needs: ['s1', 's2', 'nesting'],
    what: 'nested streams: guest stage-1 tables in IPA space over stage 2, outputs across stage-2 boundaries',
  },
  ste: {
    generate: steArea,
    needsOneOf: ['s1', 's2'],
    what: 'stream tables linear and 2-level (SPLIT, LOG2SIZE, level-1 Span) and STEs of every Config, legal and ILLEGAL field combinations',
  },
  cd: {
    generate: cdArea,
    needs: ['s1'],
    what: 'CD tables linear and 2-level, S1CDMax/SSIDSIZE and SubstreamIDs at their limits, invalid and ILLEGAL CDs, S1DSS',
  },
  cmdq: {
    generate: cmdqArea,
    needs: ['s1'],
    what: 'command batches: every opcode, edge and illegal fields, reserved opcodes, CMD_SYNC misplaced or missing, wrapping queues',
  },
  caching: {
    generate: cachingArea,
    needsOneOf: ['s1', 's2'],
    what: 'remaps, STE and CD rewrites and invalidations of every scope interleaved with DMA under cache_policy max',
  },
  stall: {
    generate: stallArea,
    needs: ['stall'],
    needsOneOf: ['s1', 's2'],
    what: 'stalling faults (CD.S, STE.S2S, stall_force) resumed with retry or abort, resumes of nothing, CMD_RESUME/CMD_STALL_TERM at their edges',
  },
  faults: {
    generate: faultsArea,
    needs: ['s1'],
    injects: true,
    what: 'fault injection: external aborts on the STE, CD, root table, data and event queue; command fetch aborts, stalled and overflowing queues',
  },
  httu: {
    generate: httuArea,
    needsOneOf: ['s1', 's2'],
    what: 'hardware Access flag / dirty state update (CD.HA/HD, STE.S2HA/S2HD) on AF=0 leaves, descriptors read back',
  },
  host: {
    generate: hostArea,
    needs: ['s1', 's2', 'nesting'],
    what: 'the Linux-like host layer (IOMMUFD): nest parent, vIOMMU, vDEVICE, vEVENTQ, nested HWPTs (refused vSTE bits too) attached and replaced, guest DMA and invalidations, parent stage-2 changes, destroys',
  },
  el2: {
    generate: el2Area,
    needs: ['s1', 'hyp'],
    what: 'StreamWorld EL2 and EL2-E2H stage-1 streams (STRW, CR2.E2H) remapped and invalidated with TLBI_EL2_* and EL1 TLBIs',
  },
} as const satisfies Record<string, Area>;

export type AreaName = keyof typeof AREAS;
export const AREA_NAMES = Object.keys(AREAS) as AreaName[];

export function isAreaName(a: string): a is AreaName {
  return Object.hasOwn(AREAS, a);
}

/** Why `area` cannot run on `part` (what it lacks), or undefined when it can. */
export function runsOn(area: AreaName, part: PartLimits): string | undefined {
  const a: Area = AREAS[area];
  const has = (f: Feature): boolean => part.features.includes(f);
  const lacks = (a.needs ?? []).filter((f) => !has(f));
  if (lacks.length > 0) return `needs ${lacks.join(', ')}`;
  if (a.needsOneOf !== undefined && !a.needsOneOf.some(has)) return `needs one of ${a.needsOneOf.join(', ')}`;
  if (a.injects === true && part.faultInjection === false) return 'needs fault injection';
  return undefined;
}

/** The areas that run on `part`: a campaign against a target draws from these (no area whose every scenario would be SKIP). */
export function areasFor(part: PartLimits): AreaName[] {
  return AREA_NAMES.filter((a) => runsOn(a, part) === undefined);
}
