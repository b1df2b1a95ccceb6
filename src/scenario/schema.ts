/**
 * The scenario JSON Schema (draft 2020-12), built here once so shared shapes (STE fields, map
 * entries, expectations) are written in one place. `schemas/scenario.schema.json` is this object
 * serialised; test/schema-sync.test.ts fails if the committed file or src/scenario/types.ts drift.
 *
 * Conventions: every object has `additionalProperties: false`; integers that may be 64-bit use
 * `$defs/u64` (a YAML int below 2^53 or a hex/decimal string with `_` separators), and the loader
 * turns exactly those into bigint; small configuration numbers stay plain bounded integers.
 * A step is a map with exactly one key naming its kind, so the step union stays open: a new kind
 * is one more property of `$defs/step`, contributed by its definition in src/engine/steps/.
 */
import { CHOICES, CHOICE_NAMES } from './choices.ts';
import { PROFILE_FIELDS } from '../smmu/profile-fields.ts';
import { FEATURES, notModelledReason } from './features.ts';
import { CERRORS, COMMAND_OPS, ERRNOS, EVENT_TYPES, FAULT_KINDS, GERRORS, READ_REGISTERS, RESULT_KINDS } from './vocab.ts';

export type Json = Record<string, unknown>;

export const ref = (name: string): Json => ({ $ref: `#/$defs/${name}` });
export const int = (minimum: number, maximum: number, description?: string): Json => ({
  type: 'integer',
  minimum,
  maximum,
  ...(description !== undefined ? { description } : {}),
});
export const bool = (description: string): Json => ({ type: 'boolean', description });
export const enumOf = (values: readonly (string | number)[], description?: string): Json => ({
  enum: [...values],
  ...(description !== undefined ? { description } : {}),
});
export const arrayOf = (items: Json, extra: Json = {}): Json => ({ type: 'array', items, ...extra });
export function obj(properties: Record<string, Json>, required: readonly string[] = [], description?: string): Json {
  return {
    type: 'object',
    ...(description !== undefined ? { description } : {}),
    additionalProperties: false,
    properties,
    ...(required.length > 0 ? { required: [...required] } : {}),
  };
}

export const u64 = ref('u64');
export const name = ref('name');
export const expect = { expect: ref('expect') };

/** STE fields in typed form (SMMUv3 §5.2); `fields` reaches any other STE field by its architecture name. */
export const steFields: Record<string, Json> = {
  config: enumOf(['abort', 'bypass', 's1', 's2', 'nested'], 'STE.Config'),
  valid: bool('STE.V (default true)'),
  s1dss: enumOf(['terminate', 'bypass', 'ssid0'], 'STE.S1DSS: what a transaction without SubstreamID does'),
  s1fmt: enumOf(['linear', '2l_4k', '2l_64k'], 'STE.S1Fmt (default: from the CD table)'),
  s1cdmax: int(0, 20, 'STE.S1CDMax (default: from the CD table)'),
  cd_table: { ...name, description: 'name of a memory.cd_tables entry: STE.S1ContextPtr' },
  s2_table: { ...name, description: 'name of a memory.s2_tables entry: STE.S2TTB and the S2 walk parameters' },
  vmid: u64,
  s1stalld: bool('STE.S1STALLD'),
  eats: enumOf(['off', 'full', 'split'], 'STE.EATS'),
  strw: enumOf(['el1', 'el2', 'el2_e2h'], 'STE.STRW'),
  mev: bool('STE.MEV'),
  s2ptw: bool('STE.S2PTW'),
  s2r: bool('STE.S2R: record stage-2 faults'),
  s2s: bool('STE.S2S: stall stage-2 faults'),
  s2ha: bool('STE.S2HA'),
  s2hd: bool('STE.S2HD'),
  fields: { ...ref('fieldMap'), description: 'other STE fields by architecture name (STE codec), applied last' },
  raw: { ...ref('dwords'), description: 'the 8 STE dwords verbatim (overrides everything else)' },
};

export const streamSelect: Record<string, Json> = {
  device: { ...name, description: 'device whose StreamID selects the STE' },
  sid: { ...u64, description: 'StreamID (instead of device)' },
};

export const mapCommon: Record<string, Json> = {
  size: ref('size'),
  perm: ref('perm'),
  af: bool('access flag set (default true)'),
  attr: enumOf(['normal', 'normal_nc', 'device'], 'memory attributes (default normal)'),
  page_only: bool('map with last-level pages only, no blocks'),
};
export const s1Extra: Record<string, Json> = {
  priv: bool('privileged-only (AP[1] = 0)'),
  ng: bool('nG: non-global, tagged with the ASID'),
  xn: bool('XN/UXN regardless of perm'),
};

const cmdFields: Record<string, Json> = {
  op: enumOf(COMMAND_OPS, 'command opcode name without the CMD_ prefix'),
  device: { ...name, description: 'device whose StreamID fills the SID field' },
  sid: u64,
  ssid: u64,
  asid: u64,
  vmid: u64,
  addr: u64,
  leaf: bool('Leaf'),
  span: int(0, 31, 'CFGI_STE_RANGE Range'),
  size: int(0, 63, 'ATC_INV Size'),
  num: int(0, 31, 'range invalidation NUM'),
  scale: int(0, 31, 'range invalidation SCALE'),
  tg: enumOf(['4k', '16k', '64k'], 'range invalidation TG'),
  ttl: int(0, 3, 'TTL'),
  cs: enumOf(['none', 'irq', 'sev'], 'CMD_SYNC CS'),
  msiaddr: u64,
  msidata: u64,
  stag: u64,
  resp: enumOf(['retry', 'abort', 'term', 'deny', 'success', 'failure'], 'RESUME/PRI_RESP response'),
  fields: ref('fieldMap'),
  raw: { ...arrayOf(u64, { minItems: 2, maxItems: 2 }), description: 'the 2 command dwords verbatim' },
};

/** Descriptions double as markers so the error mapper can tell which definition failed. */
export const U64_DESCRIPTION = 'an integer below 2^53, or a hex (0x...) or decimal string up to 64 bits; _ separators allowed';
export const SIZE_DESCRIPTION = 'a byte count: an integer, a hex string, or a number with K/M/G suffix (4K, 2M, 1G)';
export const STEP_DESCRIPTION = 'one step: a map with exactly one key naming its kind';
export const FEATURES_DESCRIPTION = 'features on/off';
/** A description must cite the rule it checks: a section sign or the word "section" followed by a number. */
export const DESCRIPTION_RULE_PATTERN = '(§ ?[0-9]|[Ss]ection [0-9])';

export const SCENARIO_SCHEMA_ID = 'https://smmu-conform.dev/schemas/scenario.schema.json';

/**
 * The whole schema. `steps` are the step bodies by kind, in schema order (the step registry,
 * src/engine/steps/registry.ts, supplies them: this layer does not know the step kinds).
 */
export function buildScenarioSchema(steps: Readonly<Record<string, Json>>): Json {
  const defs: Record<string, Json> = {
    u64: {
      type: ['integer', 'string'],
      description: U64_DESCRIPTION,
      minimum: 0,
      maximum: Number.MAX_SAFE_INTEGER,
      pattern: '^(0[xX][0-9a-fA-F]+(_[0-9a-fA-F]+)*|[0-9]+(_[0-9]+)*)$',
    },
    size: {
      type: ['integer', 'string'],
      description: SIZE_DESCRIPTION,
      minimum: 1,
      maximum: Number.MAX_SAFE_INTEGER,
      pattern: '^(0[xX][0-9a-fA-F]+(_[0-9a-fA-F]+)*|[0-9]+(_[0-9]+)*[KMGkmg]?)$',
    },
    name: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_.-]*$', maxLength: 64 },
    perm: enumOf(['none', 'r', 'w', 'rw', 'x', 'rx', 'wx', 'rwx'], 'access permissions'),
    granule: enumOf(['4k', '16k', '64k']),
    dwords: arrayOf(u64, { minItems: 8, maxItems: 8 }),
    fieldMap: {
      type: 'object',
      description: 'architecture field name -> value',
      propertyNames: { pattern: '^[A-Za-z][A-Za-z0-9_]*$' },
      additionalProperties: u64,
    },
    smmu: obj(
      {
        version: enumOf(['v3.0', 'v3.1', 'v3.2'], 'architecture version, SMMU_AIDR (default v3.2); the validator checks the features the version requires'),
        oas: int(32, 52, 'output address size in bits (IDR5.OAS)'),
        sidsize: int(0, 32, 'IDR1.SIDSIZE'),
        ssidsize: int(0, 20, 'IDR1.SSIDSIZE'),
        granules: arrayOf(ref('granule'), { minItems: 1, uniqueItems: true }),
        stall_model: enumOf(['stall_and_terminate', 'terminate', 'stall_force'], 'IDR0.STALL_MODEL'),
        features: obj(
          Object.fromEntries(FEATURES.filter((f) => notModelledReason(f) === undefined).map((f) => [f, { type: 'boolean' }])),
          [],
          FEATURES_DESCRIPTION,
        ),
        idr: obj(
          Object.fromEntries(
            PROFILE_FIELDS.map((f) => {
              const doc = `SMMU_${f.reg}.${f.field}: ${f.doc}`;
              return [
                f.field,
                Array.isArray(f.values) ? enumOf(f.values, doc) : int((f.values as { min: number }).min, (f.values as { max: number }).max, doc),
              ];
            }),
          ),
          [],
          'ID register fields by architecture name, as raw encodings (applied after features)',
        ),
        impdef: obj(
          {
            cmd_res0: enumOf(['ill', 'ignore'], 'non-zero RES0 command fields: CERROR_ILL (default) or ignored (§4.1.5)'),
            gbpa_abort_reset: bool('reset value of SMMU_GBPA.ABORT (IMPLEMENTATION DEFINED, §6.3.14; default false)'),
            wired_irq: bool('a wired CMD_SYNC completion interrupt exists (§4.7.3; default false)'),
            merge_events: bool('merge identical events when STE.MEV=1 (§7.3.1; default false)'),
          },
          [],
          'IMPLEMENTATION DEFINED choices of the part',
        ),
        cmdq_log2size: int(0, 19),
        evtq_log2size: int(0, 19),
        priq_log2size: int(0, 19),
        strtab: enumOf(['linear', '2level'], 'stream table format'),
        split: enumOf([6, 8, 10], 'STRTAB_BASE_CFG.SPLIT for 2-level stream tables'),
        recinvsid: bool('SMMU_CR2.RECINVSID: record C_BAD_STREAMID'),
        event_drain: enumOf(
          ['each_step', 'explicit'],
          'each_step (default): the executor consumes the event queue after every step and attributes each record to that step; explicit: only drain_events steps consume it, attributing each record to the step that produced it',
        ),
        e2h: bool('SMMU_CR2.E2H at boot (needs IDR0.HYP): StreamWorld EL2 streams become EL2-E2H'),
        cache_policy: enumOf(['max', 'none'], 'max caches everything allowed (default); none never caches'),
        faults: arrayOf(ref('fault')),
      },
      [],
      'SMMU profile overrides',
    ),
    fault: obj(
      {
        kind: enumOf(FAULT_KINDS),
        pa: u64,
        size: ref('size'),
        count: int(1, 1_000_000, 'how many times (default: always)'),
      },
      ['kind'],
      'fault injection',
    ),
    device: obj(
      {
        name,
        sid: u64,
        vsid: u64,
        bdf: { type: 'string', pattern: '^([0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\\.[0-7]$', description: 'PCI bus:dev.fn' },
      },
      ['name', 'sid'],
    ),
    s1_map: obj({ va: u64, pa: u64, ipa: u64, ...mapCommon, ...s1Extra }, ['va', 'size', 'perm']),
    s2_map: obj({ ipa: u64, pa: u64, ...mapCommon }, ['ipa', 'pa', 'size', 'perm']),
    s1_table: obj(
      {
        name,
        granule: ref('granule'),
        va_bits: int(16, 52),
        map: arrayOf(ref('s1_map')),
        at: u64,
        ipa_space: { ...name, description: 's2_tables entry whose IPA space holds this table (nesting)' },
      },
      ['name', 'granule', 'va_bits', 'map'],
    ),
    s2_table: obj(
      {
        name,
        granule: ref('granule'),
        ipa_bits: int(16, 52),
        sl0: int(0, 3, 'VTCR.SL0 (default: derived)'),
        map: arrayOf(ref('s2_map')),
        at: u64,
      },
      ['name', 'granule', 'ipa_bits', 'map'],
    ),
    cd_entry: obj(
      {
        ssid: u64,
        asid: u64,
        valid: bool('CD.V (default true)'),
        tt0: { ...name, description: 's1_tables entry for TTB0' },
        tt1: { ...name, description: 's1_tables entry for TTB1' },
        epd0: bool('CD.EPD0'),
        epd1: bool('CD.EPD1'),
        t0sz: int(0, 63),
        t1sz: int(0, 63),
        tg0: ref('granule'),
        ips: int(0, 6, 'CD.IPS'),
        aa64: bool('CD.AA64 (default true)'),
        ha: bool('CD.HA'),
        hd: bool('CD.HD'),
        s: bool('CD.S: stall faults'),
        r: bool('CD.R: record faults'),
        a: bool('CD.A: abort on terminate'),
        aset: bool('CD.ASET'),
        mair: u64,
        fields: ref('fieldMap'),
        raw: ref('dwords'),
      },
      ['ssid'],
    ),
    cd_table: obj(
      {
        name,
        s1fmt: enumOf(['linear', '2l_4k', '2l_64k']),
        s1cdmax: int(0, 20),
        at: u64,
        ipa_space: { ...name, description: 's2_tables entry whose IPA space holds this table (nesting)' },
        entries: arrayOf(ref('cd_entry'), { minItems: 1 }),
      },
      ['name', 'entries'],
    ),
    raw_write: obj({ pa: u64, u64: arrayOf(u64, { minItems: 1 }) }, ['pa', 'u64']),
    memory: obj({
      s1_tables: arrayOf(ref('s1_table')),
      s2_tables: arrayOf(ref('s2_table')),
      cd_tables: arrayOf(ref('cd_table')),
      writes: arrayOf(ref('raw_write')),
      ram: {
        ...arrayOf(ref('region')),
        description: 'zero-filled RAM: reads of these PAs return zeros until written (unwritten memory is otherwise unbacked: an external abort)',
      },
      unbacked: { ...arrayOf(ref('region')), description: 'deliberately unbacked PA ranges (applied after tables, STEs and writes): every read aborts' },
    }),
    region: obj({ pa: u64, size: ref('size') }, ['pa', 'size'], 'a physical address range'),
    boot: obj(
      {
        strtab: obj(
          {
            base: { ...u64, description: 'SMMU_STRTAB_BASE.ADDR (when omitted: allocated, exec/layout.ts)' },
            fmt: enumOf(['linear', '2level'], 'SMMU_STRTAB_BASE_CFG.FMT (default: smmu.strtab, else linear)'),
            log2size: int(0, 32, 'SMMU_STRTAB_BASE_CFG.LOG2SIZE (default: 8+ bits for linear, SIDSIZE for 2-level)'),
            split: enumOf([6, 8, 10], 'SMMU_STRTAB_BASE_CFG.SPLIT (default: smmu.split, else 8)'),
            l1: { ...arrayOf(ref('l1_desc')), description: 'raw level-1 descriptors written before any STE (2-level only)' },
          },
          [],
          'stream table programming',
        ),
        cmdq: ref('boot_queue'),
        evtq: ref('boot_queue'),
        invalidate: bool(
          "issue the reset invalidation (default true): CFGI_ALL, TLBI_EL2_ALL, TLBI_NSNH_ALL, CMD_SYNC, or with a `host:` the Linux host's three batches; false starts the CMDQ with no commands",
        ),
      },
      [],
      'how software programs the SMMU at reset (SMMUv3 §6.3.23-§6.3.29)',
    ),
    boot_queue: obj(
      {
        base: { ...u64, description: 'queue base PA (when omitted: allocated)' },
        log2size: int(0, 19, 'LOG2SIZE (default: smmu.cmdq_log2size / evtq_log2size, else 8)'),
        start: { ...u64, description: 'PROD and CONS before the queue is enabled (index and wrap bit; default 0)' },
      },
      [],
      'a queue as software programs it',
    ),
    l1_desc: obj(
      {
        index: int(0, 2 ** 26 - 1, 'L1 entry: StreamID >> SPLIT'),
        span: int(0, 31, 'Span: 0 invalid, else the L2 table holds 2^(Span-1) STEs'),
        l2ptr: { ...u64, description: 'L2Ptr (when omitted: a zeroed table of 2^(Span-1) STEs)' },
      },
      ['index', 'span'],
      'a level-1 stream table descriptor (SMMUv3 §5.1)',
    ),
    stream: obj({ ...streamSelect, ...steFields }, [], 'an STE installed before the first step'),
    host: obj(
      {
        uapi: enumOf(['current', 'rfc-2023'], 'uAPI shape (default current)'),
        log_era: enumOf(['pre-6.14', '6.14+'], 'kernel log format era (default 6.14+)'),
        flush_pending_on_error: bool('issue the converted commands before a failing one (Linux: false)'),
        poll_budget: int(1, 1_000_000, 'CMD_SYNC polls before -ETIMEDOUT'),
        msi: enumOf(['cookie', 'flat'], 'MSI doorbell set-up in a NEST_PARENT with s2_table'),
        devices: arrayOf(ref('host_device')),
        smmus: int(1, 2, 'SMMU instances (default 1); SMMU 1 gets its own stream table and queues (exec/layout.ts HOST1)'),
      },
      [],
      'the Linux-like host (IOMMUFD uAPI + SMMUv3 driver) over the emulated SMMU; every declared device is bound',
    ),
    host_device: obj(
      {
        device: name,
        ats: bool('PCIe ATS capable'),
        canwbs: bool('CANWBS-coherent (default true)'),
        pasid_bits: int(0, 20, 'PASID width'),
        stall: bool('stall-capable master'),
        smmu: int(0, 1, 'SMMU instance the device sits behind (default 0; below host.smmus)'),
      },
      ['device'],
      'per-device host facts',
    ),
    guest: obj(
      {
        viommu: { ...name, description: 'vIOMMU the vSMMU forwards to (current uAPI)' },
        nested_hwpt: { ...name, description: 'nested HWPT whose invalidation walks the guest CMDQ (rfc-2023)' },
        ram_ipa: u64,
        ram_pa: u64,
        ram_size: ref('size'),
        cmdq_log2size: int(1, 19, 'guest CMDQ size (default 8)'),
        evtq_log2size: int(1, 19, 'guest EVTQ size (default 6)'),
      },
      [],
      'the guest-visible vSMMU: CMDQ at ram_ipa, EVTQ at +0x10000, stream table at +0x20000',
    ),
    vste: obj(
      {
        config: steFields['config'] as Json,
        valid: steFields['valid'] as Json,
        s1dss: steFields['s1dss'] as Json,
        s1fmt: steFields['s1fmt'] as Json,
        s1cdmax: steFields['s1cdmax'] as Json,
        cd_table: { ...name, description: 'memory.cd_tables entry in guest IPA space: S1ContextPtr (IPA)' },
        s1stalld: steFields['s1stalld'] as Json,
        eats: steFields['eats'] as Json,
        fields: { ...ref('fieldMap'), description: 'other STE dw0/dw1 fields by architecture name, applied last' },
        raw: { ...arrayOf(u64, { minItems: 2, maxItems: 2 }), description: 'ste[0], ste[1] verbatim' },
      },
      [],
      'a guest STE (dw0, dw1) as handed to IOMMU_HWPT_ALLOC',
    ),
    attach_probe: obj(
      {
        device: name,
        ssid: u64,
        iova: u64,
        access: enumOf(['read', 'write', 'exec']),
      },
      ['device', 'iova', 'access'],
      'a DMA run before the first STE write and after every CFGI_STE + CMD_SYNC of the update (linux-smmuv3-iommufd.md §1.3, §8)',
    ),
    command: obj(cmdFields),
    event_expect: obj(
      {
        type: enumOf(EVENT_TYPES),
        sid: u64,
        ssid: u64,
        s2: { type: 'boolean' },
        class: enumOf(['CD', 'TT', 'IN']),
        rnw: { type: 'boolean' },
        pnu: { type: 'boolean' },
        ind: { type: 'boolean' },
        stall: { type: 'boolean' },
        stag: u64,
        input_addr: u64,
        ipa: u64,
        fetch_addr: u64,
        fields: ref('fieldMap'),
      },
      ['type'],
      'partial event match: only the given fields are compared',
    ),
    expect: obj(
      {
        result: enumOf(RESULT_KINDS),
        pa: { ...u64, description: 'output address of the DMA' },
        errno: enumOf(ERRNOS, 'errno of a host step (0 = success)'),
        cons: { ...u64, description: 'SMMU_CMDQ_CONS after the step (ERR and wrap bit included)' },
        cerror: enumOf(CERRORS),
        entry_num: int(0, 0xffff_ffff, 'entry_num written back by IOMMU_HWPT_INVALIDATE'),
        gerror: arrayOf(enumOf(GERRORS), { uniqueItems: true }),
        sync: { ...arrayOf(enumOf(['msi', 'sev', 'irq'])), description: 'exactly these CMD_SYNC completion signals, in order (§4.7.3)' },
        values: { ...arrayOf(u64), description: 'read_mem: exactly these values, in order' },
        fields: {
          type: 'object',
          description: 'other fields of the step record by golden name -> value (a list field by a list, null where the record has null)',
          propertyNames: { pattern: '^[a-z][a-z0-9_]*$' },
          additionalProperties: {
            anyOf: [{ type: ['integer', 'string', 'boolean'] }, { type: 'array', items: { type: ['integer', 'string', 'boolean', 'null'] } }],
          },
        },
        regs: obj(Object.fromEntries(READ_REGISTERS.map((r) => [r, u64])), [], 'register values read after the step'),
        events: { ...arrayOf(ref('event_expect')), description: 'exactly these events, in order, for this step' },
      },
      [],
      'inline partial expectations on this step, by stable ids',
    ),
    step: {
      type: 'object',
      description: STEP_DESCRIPTION,
      minProperties: 1,
      maxProperties: 1,
      additionalProperties: false,
      properties: Object.fromEntries(Object.keys(steps).map((k) => [k, ref(`step_${k}`)])),
    },
    ...Object.fromEntries(Object.entries(steps).map(([k, v]) => [`step_${k}`, v])),
  };
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: SCENARIO_SCHEMA_ID,
    title: 'smmu-conform scenario',
    type: 'object',
    additionalProperties: false,
    required: ['description', 'tags', 'steps'],
    properties: {
      name: { type: 'string', pattern: '^[a-z0-9][a-z0-9_.-]*(/[a-z0-9][a-z0-9_.-]*)*$', description: 'path under scenarios/ without .yaml' },
      description: {
        type: 'string',
        minLength: 10,
        pattern: DESCRIPTION_RULE_PATTERN,
        description: 'what is checked and the rule it checks, citing the spec section (e.g. "SMMUv3 §7.3.9")',
      },
      tags: arrayOf({ type: 'string', pattern: '^[a-z0-9][a-z0-9_-]*$' }, { uniqueItems: true }),
      requires: arrayOf(enumOf(FEATURES), { uniqueItems: true, description: 'features the profile must have, else SKIP' }),
      covers: arrayOf(
        { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$' },
        {
          uniqueItems: true,
          description: 'ids of the rules this scenario checks (src/scenario/rules.ts); feeds the coverage map',
        },
      ),
      permitted: obj(
        Object.fromEntries(
          CHOICE_NAMES.map((c) => [
            c,
            arrayOf(enumOf(CHOICES[c].values), { minItems: 2, uniqueItems: true, description: `${CHOICES[c].section}: ${CHOICES[c].what}` }),
          ]),
        ),
        [],
        "IMPLEMENTATION DEFINED choices this scenario depends on, with every value the architecture permits: a target passes with any of them; the golden records the reference model's",
      ),
      smmu: ref('smmu'),
      devices: arrayOf(ref('device')),
      memory: ref('memory'),
      boot: ref('boot'),
      streams: arrayOf(ref('stream')),
      host: ref('host'),
      guest: ref('guest'),
      steps: arrayOf(ref('step')),
    },
    $defs: defs,
  };
}
