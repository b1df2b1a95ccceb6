/** The generator's areas: what each one draws (one file per family under areas/). */
import type { Draft } from './draft.ts';
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
}

export const AREAS = {
  s1: { generate: s1Area, what: 'stage-1 tables of every granule and size (TTB0/TTB1, TBI, EPD, IPS, AF, permissions) and DMA at their edges' },
  s2: { generate: s2Area, what: 'stage-2 tables of every granule, size, start level and concatenation (S2PS, AF, S2AP/XN) and DMA at their edges' },
  nested: { generate: nestedArea, what: 'nested streams: guest stage-1 tables in IPA space over stage 2, outputs across stage-2 boundaries' },
  ste: {
    generate: steArea,
    what: 'stream tables linear and 2-level (SPLIT, LOG2SIZE, level-1 Span) and STEs of every Config, legal and ILLEGAL field combinations',
  },
  cd: { generate: cdArea, what: 'CD tables linear and 2-level, S1CDMax/SSIDSIZE and SubstreamIDs at their limits, invalid and ILLEGAL CDs, S1DSS' },
  cmdq: {
    generate: cmdqArea,
    what: 'command batches: every opcode, edge and illegal fields, reserved opcodes, CMD_SYNC misplaced or missing, wrapping queues',
  },
  caching: { generate: cachingArea, what: 'remaps, STE and CD rewrites and invalidations of every scope interleaved with DMA under cache_policy max' },
  stall: {
    generate: stallArea,
    what: 'stalling faults (CD.S, STE.S2S, stall_force) resumed with retry or abort, resumes of nothing, CMD_RESUME/CMD_STALL_TERM at their edges',
  },
  faults: {
    generate: faultsArea,
    what: 'fault injection: external aborts on the STE, CD, root table, data and event queue; command fetch aborts, stalled and overflowing queues',
  },
  httu: { generate: httuArea, what: 'hardware Access flag / dirty state update (CD.HA/HD, STE.S2HA/S2HD) on AF=0 leaves, descriptors read back' },
  host: {
    generate: hostArea,
    what: 'the Linux-like host layer (IOMMUFD): nest parent, vIOMMU, vDEVICE, vEVENTQ, nested HWPTs (refused vSTE bits too) attached and replaced, guest DMA and invalidations, parent stage-2 changes, destroys',
  },
  el2: { generate: el2Area, what: 'StreamWorld EL2 and EL2-E2H stage-1 streams (STRW, CR2.E2H) remapped and invalidated with TLBI_EL2_* and EL1 TLBIs' },
} as const satisfies Record<string, Area>;

export type AreaName = keyof typeof AREAS;
export const AREA_NAMES = Object.keys(AREAS) as AreaName[];

export function isAreaName(a: string): a is AreaName {
  return Object.hasOwn(AREAS, a);
}
