/** The generator's areas: what each one draws (one file per family under areas/). */
import type { Draft } from './draft.ts';
import type { Rng } from './rng.ts';
import { nestedArea, s1Area, s2Area } from './areas/translate.ts';

export interface Area {
  readonly generate: (rng: Rng, d: Draft) => void;
  readonly what: string;
}

export const AREAS = {
  s1: { generate: s1Area, what: 'stage-1 tables of every granule and size (TTB0/TTB1, TBI, EPD, IPS, AF, permissions) and DMA at their edges' },
  s2: { generate: s2Area, what: 'stage-2 tables of every granule, size, start level and concatenation (S2PS, AF, S2AP/XN) and DMA at their edges' },
  nested: { generate: nestedArea, what: 'nested streams: guest stage-1 tables in IPA space over stage 2, outputs across stage-2 boundaries' },
} as const satisfies Record<string, Area>;

export type AreaName = keyof typeof AREAS;
export const AREA_NAMES = Object.keys(AREAS) as AreaName[];

export function isAreaName(a: string): a is AreaName {
  return Object.hasOwn(AREAS, a);
}
