/**
 * A scenario under construction: the areas add devices, tables, streams and steps to a Draft,
 * and `finish` freezes it into the loader's Scenario type (only keys that were given, in the
 * schema's key order, so the YAML of it loads back to the same object).
 */
import type { Feature } from '../scenario/features.ts';
import type {
  Boot,
  CdEntry,
  CdTable,
  Device,
  HostConfig,
  RawWrite,
  Region,
  S1Map,
  S1Table,
  S2Map,
  S2Table,
  Scenario,
  SmmuBlock,
  Step,
  StreamInstall,
} from '../scenario/types.ts';

export type Mutable<T> = { -readonly [K in keyof T]: T[K] };
export type MS1Table = Mutable<Omit<S1Table, 'map'>> & { map: S1Map[] };
export type MS2Table = Mutable<Omit<S2Table, 'map'>> & { map: S2Map[] };
export type MCdTable = Mutable<Omit<CdTable, 'entries'>> & { entries: CdEntry[] };

/**
 * The SMMU part scenarios are drawn for (`generate --profile`, or a fuzz target's ID registers and
 * capabilities): the areas draw only what it can run, so few scenarios are SKIP on it.
 */
export interface PartLimits {
  readonly features: readonly Feature[];
  /** SMMU_IDR5.OAS in bits (default 48). */
  readonly oas?: number;
  /** Transactions with a SubstreamID can be issued (IDR1.SSIDSIZE > 0 and a source that sends them; default yes). */
  readonly substreams?: boolean;
  /** Faults can be injected (the faults area; default yes). */
  readonly faultInjection?: boolean;
}

export class Draft {
  /** The part's output address size (SMMU_IDR5.OAS): output addresses and stage-2 inputs stay below it. */
  readonly oas: number;
  readonly #part: PartLimits | undefined;
  /** `part`: the part to draw for (default: the reference model's part, every feature). */
  constructor(part?: PartLimits) {
    this.oas = part?.oas ?? 48;
    this.#part = part;
  }
  /** The part has feature `f` (every feature when no part was given). */
  offers(f: Feature): boolean {
    return this.#part === undefined || this.#part.features.includes(f);
  }
  /** Transactions may carry a SubstreamID. */
  get substreams(): boolean {
    return this.#part?.substreams !== false;
  }
  readonly devices: Device[] = [];
  readonly s1: MS1Table[] = [];
  readonly s2: MS2Table[] = [];
  readonly cds: MCdTable[] = [];
  readonly streams: StreamInstall[] = [];
  readonly steps: Step[] = [];
  readonly ram: Region[] = [];
  /** Raw memory writes applied after the tables (a descriptor the typed map cannot express, e.g. DBM=1). */
  readonly writes: RawWrite[] = [];
  readonly tags = new Set<string>(['generated']);
  /** Features the SMMU must have (`requires:`), so a part without them reports SKIP. */
  readonly requires = new Set<Feature>();
  /** What the scenario exercises, with the section that states the rule (goes into the description). */
  readonly about: string[] = [];
  smmu: Mutable<SmmuBlock> = {};
  boot: Mutable<Boot> | undefined;
  /** The Linux-like host layer (`host:`), for the host area's IOMMUFD steps. */
  host: HostConfig | undefined;

  device(name: string, sid: bigint): string {
    this.devices.push({ name, sid });
    return name;
  }
  step(s: Step): void {
    this.steps.push(s);
  }
  readonly #ids = new Map<string, Set<number>>();
  /**
   * An ASID or VMID no other context of this scenario uses, edges first: TLB entries are tagged
   * by them (§3.17), so two streams with different tables sharing one would alias by design.
   */
  uniqueId(kind: 'asid' | 'vmid', rng: { edgeInt(lo: number, hi: number): number; int(lo: number, hi: number): number }): bigint {
    const used = this.#ids.get(kind) ?? new Set<number>();
    this.#ids.set(kind, used);
    let v = rng.edgeInt(0, 0xffff);
    while (used.has(v)) v = rng.int(0, 0xffff);
    used.add(v);
    return BigInt(v);
  }
  /** Give the SMMU a feature switch (smmu.features). */
  feature(f: Feature, on: boolean): void {
    this.smmu.features = { ...(this.smmu.features ?? {}), [f]: on };
  }
  /**
   * Hardware translation-table update is used: mostly on a part that has it (IDR0.HTTU), sometimes
   * deliberately without (HA/HD are then ILLEGAL, C_BAD_CD / C_BAD_STE, §5.2 S2HA, §5.4 HA); always
   * without on a part that lacks it.
   */
  httu(rngBool: boolean): void {
    if (this.smmu.features?.httu !== undefined) return;
    if (rngBool && this.offers('httu')) {
      this.feature('httu', true);
      this.need('httu');
    } else this.note('HA/HD without IDR0.HTTU (ILLEGAL: §5.2 S2HA, §5.4 HA)');
  }
  need(...fs: Feature[]): void {
    for (const f of fs) this.requires.add(f);
  }
  note(what: string): void {
    if (!this.about.includes(what)) this.about.push(what);
  }

  finish(name: string, area: string, seed: number): Scenario {
    const memory = {
      ...(this.s2.length > 0 ? { s2_tables: this.s2 } : {}),
      ...(this.s1.length > 0 ? { s1_tables: this.s1 } : {}),
      ...(this.cds.length > 0 ? { cd_tables: this.cds } : {}),
      ...(this.writes.length > 0 ? { writes: this.writes } : {}),
      ...(this.ram.length > 0 ? { ram: this.ram } : {}),
    };
    const about = this.about.length > 0 ? this.about.join('; ') : 'random configuration';
    return {
      name,
      description: `Generated (area ${area}, seed 0x${seed.toString(16).padStart(8, '0')}): ${about}. Checked by the reference-model properties of src/generate/properties.ts, not by a golden (SMMUv3 §3.2, §5.2, §5.4, §7.3).`,
      tags: [...this.tags, area].filter((t, i, a) => a.indexOf(t) === i),
      ...(this.requires.size > 0 ? { requires: [...this.requires] } : {}),
      ...(Object.keys(this.smmu).length > 0 ? { smmu: this.smmu } : {}),
      ...(this.devices.length > 0 ? { devices: this.devices } : {}),
      ...(Object.keys(memory).length > 0 ? { memory } : {}),
      ...(this.boot !== undefined ? { boot: this.boot } : {}),
      ...(this.streams.length > 0 ? { streams: this.streams } : {}),
      ...(this.host !== undefined ? { host: this.host } : {}),
      steps: this.steps,
    };
  }
}
