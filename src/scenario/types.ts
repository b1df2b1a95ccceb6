/**
 * The typed scenario model, as the loader hands it to the engine. It mirrors
 * schemas/scenario.schema.json key for key; `SHAPES` below lists every object's keys and required
 * keys, the compiler checks those lists against these interfaces, and test/schema-sync.test.ts
 * checks them against the schema, so the three cannot drift apart.
 *
 * Every `$defs/u64` or `$defs/size` value arrives as bigint (64-bit safe); small configuration
 * numbers (bit widths, log2 sizes) stay numbers.
 */
import type { GranuleName } from '../arch/ttd.ts';
import type { ChoiceName } from './choices.ts';
import type { Feature } from './features.ts';
import type { CerrorName, CommandOp, ErrnoName, EventType, FaultKind, GerrorName, ReadRegisterName, ResultKind } from './vocab.ts';

export type U64 = bigint;
export type Perm = 'none' | 'r' | 'w' | 'rw' | 'x' | 'rx' | 'wx' | 'rwx';
export type FieldMap = Readonly<Record<string, U64>>;
/** Exactly 8 dwords (STE, CD). */
export type Dwords = readonly U64[];

export interface Scenario {
  /** Path under scenarios/ without `.yaml`; filled from the path when the file omits it. */
  readonly name: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly requires?: readonly Feature[];
  /** Rule ids from src/scenario/rules.ts that this scenario checks. */
  readonly covers?: readonly string[];
  /** IMPLEMENTATION DEFINED choices and every permitted value (src/scenario/choices.ts). */
  readonly permitted?: Readonly<Partial<Record<ChoiceName, readonly string[]>>>;
  readonly smmu?: SmmuBlock;
  readonly devices?: readonly Device[];
  readonly memory?: Memory;
  readonly boot?: Boot;
  readonly streams?: readonly StreamInstall[];
  /** The Linux-like host (IOMMUFD uAPI + SMMUv3 driver) on top of the emulated SMMU. */
  readonly host?: HostConfig;
  /** The guest-visible vSMMU a VMM presents over the host (needs `host`). */
  readonly guest?: GuestConfig;
  readonly steps: readonly Step[];
}

export interface HostDeviceConfig {
  readonly device: string;
  readonly ats?: boolean;
  readonly canwbs?: boolean;
  readonly pasid_bits?: number;
  readonly stall?: boolean;
  /** Index of the SMMU instance the device sits behind (default 0; below `host.smmus`). */
  readonly smmu?: number;
}
export interface HostConfig {
  readonly uapi?: 'current' | 'rfc-2023';
  readonly log_era?: 'pre-6.14' | '6.14+';
  readonly flush_pending_on_error?: boolean;
  readonly poll_budget?: number;
  /** MSI doorbell set-up in the nest parent's stage 2, done when a NEST_PARENT gets its tables. */
  readonly msi?: 'cookie' | 'flat';
  readonly devices?: readonly HostDeviceConfig[];
  /**
   * Number of SMMU instances (default 1). SMMU 0 is the scenario's device; SMMU 1 is a second
   * SmmuDevice with the same profile in the same PA space, booted from its own allocator range
   * (exec/layout.ts HOST1). Only host steps reach SMMU 1 (dma/msi steps and event draining use
   * SMMU 0).
   */
  readonly smmus?: number;
}
export interface GuestConfig {
  /** current uAPI: the vIOMMU the vSMMU forwards to. */
  readonly viommu?: string;
  /** rfc-2023 uAPI: the nested HWPT whose invalidation walks the guest CMDQ. */
  readonly nested_hwpt?: string;
  readonly ram_ipa?: U64;
  readonly ram_pa?: U64;
  readonly ram_size?: U64;
  readonly cmdq_log2size?: number;
  readonly evtq_log2size?: number;
}

/**
 * A scenario's `smmu:` block: an input format for the emulator's one profile type
 * (src/smmu/profile.ts SmmuProfile), mapped by src/scenario/profile-block.ts, plus set-up.
 */
export interface SmmuBlock {
  /** Architecture version (AIDR): v3.0, v3.1 or v3.2 (default). */
  readonly version?: 'v3.0' | 'v3.1' | 'v3.2';
  readonly oas?: number;
  readonly sidsize?: number;
  readonly ssidsize?: number;
  readonly granules?: readonly GranuleName[];
  readonly stall_model?: 'stall_and_terminate' | 'terminate' | 'stall_force';
  readonly features?: Readonly<Partial<Record<Feature, boolean>>>;
  /** ID register fields by architecture name (src/smmu/profile-fields.ts), raw encodings. */
  readonly idr?: Readonly<Record<string, number>>;
  readonly impdef?: {
    readonly cmd_res0?: 'ill' | 'ignore';
    readonly gbpa_abort_reset?: boolean;
    readonly wired_irq?: boolean;
    readonly merge_events?: boolean;
  };
  readonly cmdq_log2size?: number;
  readonly evtq_log2size?: number;
  readonly priq_log2size?: number;
  readonly strtab?: 'linear' | '2level';
  readonly split?: 6 | 8 | 10;
  readonly recinvsid?: boolean;
  /** Who consumes the event queue: the executor after every step (default) or only drain_events steps. */
  readonly event_drain?: 'each_step' | 'explicit';
  /** SMMU_CR2.E2H set at boot (§6.3.12; RES0 without IDR0.HYP). */
  readonly e2h?: boolean;
  readonly cache_policy?: 'max' | 'none';
  readonly faults?: readonly FaultInjection[];
}

export interface FaultInjection {
  readonly kind: FaultKind;
  readonly pa?: U64;
  readonly size?: U64;
  readonly count?: number;
}

export interface Device {
  readonly name: string;
  readonly sid: U64;
  readonly vsid?: U64;
  readonly bdf?: string;
}

export interface MapCommon {
  readonly size: U64;
  readonly perm: Perm;
  readonly af?: boolean;
  readonly attr?: 'normal' | 'normal_nc' | 'device';
  readonly page_only?: boolean;
}
export interface S1Map extends MapCommon {
  readonly va: U64;
  /** Output address when stage 1 is the only stage. */
  readonly pa?: U64;
  /** Output address when the table is a nested guest table (stage 2 translates it). */
  readonly ipa?: U64;
  readonly priv?: boolean;
  readonly ng?: boolean;
  readonly xn?: boolean;
}
export interface S2Map extends MapCommon {
  readonly ipa: U64;
  readonly pa: U64;
}
export interface S1Table {
  readonly name: string;
  readonly granule: GranuleName;
  readonly va_bits: number;
  readonly map: readonly S1Map[];
  readonly at?: U64;
  readonly ipa_space?: string;
}
export interface S2Table {
  readonly name: string;
  readonly granule: GranuleName;
  readonly ipa_bits: number;
  readonly sl0?: number;
  readonly map: readonly S2Map[];
  readonly at?: U64;
}
export interface CdEntry {
  readonly ssid: U64;
  readonly asid?: U64;
  readonly valid?: boolean;
  readonly tt0?: string;
  readonly tt1?: string;
  readonly epd0?: boolean;
  readonly epd1?: boolean;
  readonly t0sz?: number;
  readonly t1sz?: number;
  readonly tg0?: GranuleName;
  readonly ips?: number;
  readonly aa64?: boolean;
  readonly ha?: boolean;
  readonly hd?: boolean;
  readonly s?: boolean;
  readonly r?: boolean;
  readonly a?: boolean;
  readonly aset?: boolean;
  readonly mair?: U64;
  readonly fields?: FieldMap;
  readonly raw?: Dwords;
}
export interface CdTable {
  readonly name: string;
  readonly s1fmt?: 'linear' | '2l_4k' | '2l_64k';
  readonly s1cdmax?: number;
  readonly at?: U64;
  readonly ipa_space?: string;
  readonly entries: readonly CdEntry[];
}
export interface RawWrite {
  readonly pa: U64;
  readonly u64: readonly U64[];
}
export interface Region {
  readonly pa: U64;
  readonly size: U64;
}
export interface Memory {
  readonly s1_tables?: readonly S1Table[];
  readonly s2_tables?: readonly S2Table[];
  readonly cd_tables?: readonly CdTable[];
  readonly writes?: readonly RawWrite[];
  /** Zero-filled RAM (reads return zeros until written); other unwritten memory aborts. */
  readonly ram?: readonly Region[];
  /** Deliberately unbacked ranges, applied after tables, STEs and writes: reads abort. */
  readonly unbacked?: readonly Region[];
}

/** A raw level-1 stream table descriptor (§5.1): Span 0 is invalid, else 2^(Span-1) STEs at L2Ptr. */
export interface L1Desc {
  readonly index: number;
  readonly span: number;
  readonly l2ptr?: U64;
}
export interface BootStrtab {
  readonly base?: U64;
  readonly fmt?: 'linear' | '2level';
  readonly log2size?: number;
  readonly split?: 6 | 8 | 10;
  readonly l1?: readonly L1Desc[];
}
export interface BootQueue {
  readonly base?: U64;
  readonly log2size?: number;
  /** PROD = CONS before the queue is enabled (index with wrap bit). */
  readonly start?: U64;
}
/** How software programs the SMMU at reset (exec: src/smmu/boot.ts). */
export interface Boot {
  readonly strtab?: BootStrtab;
  readonly cmdq?: BootQueue;
  readonly evtq?: BootQueue;
  /** The reset invalidation batch (default true); false: the CMDQ starts with no commands. */
  readonly invalidate?: boolean;
}

/** STE in typed form (SMMUv3 §5.2). `raw` wins over everything; `fields` is applied after the typed keys. */
export interface SteFields {
  readonly config?: 'abort' | 'bypass' | 's1' | 's2' | 'nested';
  readonly valid?: boolean;
  readonly s1dss?: 'terminate' | 'bypass' | 'ssid0';
  readonly s1fmt?: 'linear' | '2l_4k' | '2l_64k';
  readonly s1cdmax?: number;
  readonly cd_table?: string;
  readonly s2_table?: string;
  readonly vmid?: U64;
  readonly s1stalld?: boolean;
  readonly eats?: 'off' | 'full' | 'split';
  readonly strw?: 'el1' | 'el2' | 'el2_e2h';
  readonly mev?: boolean;
  readonly s2ptw?: boolean;
  readonly s2r?: boolean;
  readonly s2s?: boolean;
  readonly s2ha?: boolean;
  readonly s2hd?: boolean;
  readonly fields?: FieldMap;
  readonly raw?: Dwords;
}
/** Selects the STE by `device` (its StreamID) or by `sid`; exactly one is given. */
export interface StreamInstall extends SteFields {
  readonly device?: string;
  readonly sid?: U64;
}

export interface Command {
  readonly op?: CommandOp;
  readonly device?: string;
  readonly sid?: U64;
  readonly ssid?: U64;
  readonly asid?: U64;
  readonly vmid?: U64;
  readonly addr?: U64;
  readonly leaf?: boolean;
  readonly span?: number;
  readonly size?: number;
  readonly num?: number;
  readonly scale?: number;
  readonly tg?: GranuleName;
  readonly ttl?: number;
  readonly cs?: 'none' | 'irq' | 'sev';
  readonly msiaddr?: U64;
  readonly msidata?: U64;
  readonly stag?: U64;
  readonly resp?: 'retry' | 'abort' | 'term' | 'deny' | 'success' | 'failure';
  readonly fields?: FieldMap;
  readonly raw?: readonly U64[];
}

export interface EventExpect {
  readonly type: EventType;
  readonly sid?: U64;
  readonly ssid?: U64;
  readonly s2?: boolean;
  readonly class?: 'CD' | 'TT' | 'IN';
  readonly rnw?: boolean;
  readonly pnu?: boolean;
  readonly ind?: boolean;
  readonly stall?: boolean;
  readonly stag?: U64;
  readonly input_addr?: U64;
  readonly ipa?: U64;
  readonly fetch_addr?: U64;
  readonly fields?: FieldMap;
}
/** Inline partial expectation on one step, by stable identifiers (never message text). */
export interface Expect {
  readonly result?: ResultKind;
  /** Output address of a DMA (step record `pa`). */
  readonly pa?: U64;
  /** errno of a host step: 0 or the name (EINVAL, EIO, ...). */
  readonly errno?: ErrnoName;
  /** CMDQ_CONS after the step, ERR field and wrap bit included (SMMUv3 §6.3.28). */
  readonly cons?: U64;
  readonly cerror?: CerrorName;
  /** entry_num written back by IOMMU_HWPT_INVALIDATE (linux-smmuv3-iommufd.md §6.6). */
  readonly entry_num?: number;
  /** Active GERROR bits after the step, exactly. */
  readonly gerror?: readonly GerrorName[];
  /** CMD_SYNC completion signals of the step, in order (the kind of each `sync` record entry). */
  readonly sync?: readonly ('msi' | 'sev' | 'irq')[];
  /** read_mem: the values read. */
  readonly values?: readonly U64[];
  /** Any other field of the step record, by its golden name; a list field (a DMA's `results`, `pas`) by a list, null where the record has null. */
  readonly fields?: Readonly<Record<string, ExpectScalar | readonly (ExpectScalar | null)[]>>;
  /** Register values read after the step (and after its events are drained). */
  readonly regs?: Readonly<Partial<Record<ReadRegisterName, U64>>>;
  readonly events?: readonly EventExpect[];
}
/** A value of `expect.fields`: compared with the record's value (numbers by value, hex strings as numbers). */
export type ExpectScalar = number | U64 | string | boolean;
/** A guest STE as handed to the host (iommu_hwpt_arm_smmuv3 ste[2]): the stage-1 keys of SteFields; `raw` = [dw0, dw1]. */
export type VSte = Pick<SteFields, 'config' | 'valid' | 's1dss' | 's1fmt' | 's1cdmax' | 'cd_table' | 's1stalld' | 'eats' | 'fields'> & {
  readonly raw?: readonly U64[];
};
export interface AttachProbe {
  readonly device: string;
  readonly ssid?: U64;
  readonly iova: U64;
  readonly access: 'read' | 'write' | 'exec';
}

/** Every step body may carry an inline expectation. */
export interface WithExpect {
  readonly expect?: Expect;
}

/**
 * Step kind -> body. Open on purpose: each step kind is defined once, in its own file under
 * src/engine/steps/ (body type, schema fragment, executor handler, explain renderer, example), and
 * that file adds its body here by declaration merging; src/engine/steps/registry.ts lists the
 * kinds and the compiler checks that every kind merged here has a complete definition there.
 * This layer never names a step kind, so it does not depend on the executor.
 */
// biome-ignore lint/suspicious/noEmptyInterface: open on purpose, each step file merges its kind into it
export interface StepBodies {}
export type StepKind = keyof StepBodies;
/** A step is a one-key map: `{ dma: {...} }`. */
export type Step = { readonly [K in StepKind]: { readonly [P in K]: StepBodies[P] } }[StepKind];

/** The kind of a step: its one key (the schema allows exactly one). */
export function stepKind(step: Step): StepKind {
  const k = Object.keys(step)[0];
  if (k === undefined) throw new TypeError('Cannot classify step: it names no step kind');
  return k as StepKind;
}
export function stepBody<K extends StepKind>(step: Step, kind: K): StepBodies[K] | undefined {
  return (step as Partial<StepBodies>)[kind];
}
/** The inline expectation of a step, whatever its kind. */
export function stepExpect(step: Step): Expect | undefined {
  const body = (step as unknown as Readonly<Record<string, WithExpect | undefined>>)[stepKind(step)];
  return body?.expect;
}

// ---- key lists checked by the compiler against the interfaces and by a test against the schema ----

export type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];
export type Missing<A, B> = Exclude<A, B> extends never ? unknown : { missing: Exclude<A, B> };
export interface Shape {
  readonly all: readonly string[];
  readonly required: readonly string[];
}
export function shape<T>() {
  return <const A extends readonly (keyof T & string)[], const R extends readonly (RequiredKeys<T> & string)[]>(
    all: A & Missing<keyof T, A[number]>,
    required: R & Missing<RequiredKeys<T>, R[number]>,
  ): Shape => ({ all, required });
}

/** The keys of StreamInstall (a `streams:` entry); the `ste` step takes them too. */
export const STREAM_INSTALL_KEYS = [
  'device',
  'sid',
  'config',
  'valid',
  's1dss',
  's1fmt',
  's1cdmax',
  'cd_table',
  's2_table',
  'vmid',
  's1stalld',
  'eats',
  'strw',
  'mev',
  's2ptw',
  's2r',
  's2s',
  's2ha',
  's2hd',
  'fields',
  'raw',
] as const;

/** Schema location (`#` = root, else a `$defs` name) -> keys of the TS type that models it. */
export const SHAPES: Readonly<Record<string, Shape>> = {
  '#': shape<Scenario>()(
    ['name', 'description', 'tags', 'requires', 'covers', 'permitted', 'smmu', 'devices', 'memory', 'boot', 'streams', 'host', 'guest', 'steps'],
    ['name', 'description', 'tags', 'steps'],
  ),
  host: shape<HostConfig>()(['uapi', 'log_era', 'flush_pending_on_error', 'poll_budget', 'msi', 'devices', 'smmus'], []),
  host_device: shape<HostDeviceConfig>()(['device', 'ats', 'canwbs', 'pasid_bits', 'stall', 'smmu'], ['device']),
  guest: shape<GuestConfig>()(['viommu', 'nested_hwpt', 'ram_ipa', 'ram_pa', 'ram_size', 'cmdq_log2size', 'evtq_log2size'], []),
  attach_probe: shape<AttachProbe>()(['device', 'ssid', 'iova', 'access'], ['device', 'iova', 'access']),
  vste: shape<VSte>()(['config', 'valid', 's1dss', 's1fmt', 's1cdmax', 'cd_table', 's1stalld', 'eats', 'fields', 'raw'], []),
  smmu: shape<SmmuBlock>()(
    [
      'version',
      'oas',
      'sidsize',
      'ssidsize',
      'granules',
      'stall_model',
      'features',
      'idr',
      'impdef',
      'cmdq_log2size',
      'evtq_log2size',
      'priq_log2size',
      'strtab',
      'split',
      'recinvsid',
      'event_drain',
      'e2h',
      'cache_policy',
      'faults',
    ],
    [],
  ),
  fault: shape<FaultInjection>()(['kind', 'pa', 'size', 'count'], ['kind']),
  device: shape<Device>()(['name', 'sid', 'vsid', 'bdf'], ['name', 'sid']),
  s1_map: shape<S1Map>()(['va', 'pa', 'ipa', 'size', 'perm', 'af', 'attr', 'page_only', 'priv', 'ng', 'xn'], ['va', 'size', 'perm']),
  s2_map: shape<S2Map>()(['ipa', 'pa', 'size', 'perm', 'af', 'attr', 'page_only'], ['ipa', 'pa', 'size', 'perm']),
  s1_table: shape<S1Table>()(['name', 'granule', 'va_bits', 'map', 'at', 'ipa_space'], ['name', 'granule', 'va_bits', 'map']),
  s2_table: shape<S2Table>()(['name', 'granule', 'ipa_bits', 'sl0', 'map', 'at'], ['name', 'granule', 'ipa_bits', 'map']),
  cd_entry: shape<CdEntry>()(
    ['ssid', 'asid', 'valid', 'tt0', 'tt1', 'epd0', 'epd1', 't0sz', 't1sz', 'tg0', 'ips', 'aa64', 'ha', 'hd', 's', 'r', 'a', 'aset', 'mair', 'fields', 'raw'],
    ['ssid'],
  ),
  cd_table: shape<CdTable>()(['name', 's1fmt', 's1cdmax', 'at', 'ipa_space', 'entries'], ['name', 'entries']),
  raw_write: shape<RawWrite>()(['pa', 'u64'], ['pa', 'u64']),
  memory: shape<Memory>()(['s1_tables', 's2_tables', 'cd_tables', 'writes', 'ram', 'unbacked'], []),
  region: shape<Region>()(['pa', 'size'], ['pa', 'size']),
  boot: shape<Boot>()(['strtab', 'cmdq', 'evtq', 'invalidate'], []),
  boot_queue: shape<BootQueue>()(['base', 'log2size', 'start'], []),
  l1_desc: shape<L1Desc>()(['index', 'span', 'l2ptr'], ['index', 'span']),
  stream: shape<StreamInstall>()(STREAM_INSTALL_KEYS, []),
  command: shape<Command>()(
    [
      'op',
      'device',
      'sid',
      'ssid',
      'asid',
      'vmid',
      'addr',
      'leaf',
      'span',
      'size',
      'num',
      'scale',
      'tg',
      'ttl',
      'cs',
      'msiaddr',
      'msidata',
      'stag',
      'resp',
      'fields',
      'raw',
    ],
    [],
  ),
  event_expect: shape<EventExpect>()(
    ['type', 'sid', 'ssid', 's2', 'class', 'rnw', 'pnu', 'ind', 'stall', 'stag', 'input_addr', 'ipa', 'fetch_addr', 'fields'],
    ['type'],
  ),
  expect: shape<Expect>()(['result', 'pa', 'errno', 'cons', 'cerror', 'entry_num', 'gerror', 'sync', 'values', 'fields', 'regs', 'events'], []),
};
