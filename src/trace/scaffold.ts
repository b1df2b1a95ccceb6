/**
 * `trace scaffold LOG`: a starting scenario that reproduces the records of a kernel log
 * (issue 15 item 8). Each event record becomes a DMA from a device with the logged StreamID
 * (and SubstreamID), at the logged address, with the logged access (RnW, InD, PnU), under the
 * configuration that yields that event type; each CMDQ error places a command at the logged
 * CONS index (`cmdq.index`). Records it cannot reproduce are listed as comments saying why, with
 * a stable id in brackets, never dropped silently.
 *
 * Translation faults (stage 1 on an S1 stream with a CD per SubstreamID; stage 2 on an S2 stream
 * when IPA = the input address, else on a nested stream whose stage 1 maps the input page to the
 * logged IPA; CLASS=CD / CLASS=TT stage-2 faults on a nested stream whose CD table / stage-1 root
 * sits at the logged IPA; stalls by CD.S at stage 1, STE.S2S at stage 2):
 * - F_TRANSLATION: the page is not mapped (for CLASS=CD/TT: unmapped at stage 2 by an `unmap`
 *   step, since guest-structure pages are mapped automatically) (§7.3.13);
 * - F_ADDR_SIZE: stage 1 CD.IPS = 32 bits and the page maps above 4 GB; stage 2 STE.S2PS = 32
 *   bits and the IPA maps above 4 GB (§7.3.14, §5.2 S2PS);
 * - F_ACCESS: the page is mapped with AF=0 (§7.3.15);
 * - F_PERMISSION: read-only page for a write, no execute for an instruction fetch, stage 1
 *   privileged-only page for an unprivileged read, stage 2 write-only page for a read or for the
 *   CD / descriptor read (§7.3.16);
 * - F_WALK_EABT: the table walk placed by hand so the logged FetchAddr is the descriptor of the
 *   aborting level, which then aborts (§7.3.12; scaffold-walk.ts); at stage 2 of a nested stream
 *   on an IPA the scaffold picks (the record has none) for the input page, CD table or S1 root;
 *   at stage 1 of a nested stream with its stage-1 tables in IPA space mapped one to one onto PA;
 * - F_STREAM_DISABLED: SubstreamID 0 with STE.S1DSS=SUBSTREAM0 (§7.3.7, §5.2 S1DSS);
 * - C_BAD_STE: the stream is not installed, STE.V=0 (§7.3.5);
 * - C_BAD_STREAMID: the linear stream table ends above every other StreamID of the log and at or
 *   below this one, CR2.RECINVSID=1 (§7.3.3, §6.3.25);
 * - C_BAD_CD: the CD of that SubstreamID has V=0 (§7.3.11);
 * - C_BAD_SUBSTREAMID: the SubstreamID is beyond the CD table, 2^S1CDMax (§7.3.9);
 * - F_STE_FETCH: the linear stream table placed so the logged FetchAddr is that StreamID's STE
 *   (STRTAB_BASE aligned to the table size, §6.3.24), which then aborts (§7.3.4);
 * - F_CD_FETCH: the CD table placed at the logged FetchAddr less the SubstreamID's offset, the CD
 *   then aborts (§7.3.10);
 * - CERROR_ILL: the logged command at CONS; CERROR_ABT: a command at CONS whose fetch aborts
 *   (injected); CERROR_ATC_INV_SYNC: an ATC_INV before CONS whose endpoint never answers
 *   (injected), the CMD_SYNC at CONS (§7.1, §4.7.3).
 * F_UUT, F_BAD_ATS_TREQ, F_TRANSL_FORBIDDEN, F_VMS_FETCH and the other types the emulator never
 * raises are reported with the id `not-emulated`, and so are PRI page requests (the emulator has
 * no PRI queue, IDR0.PRI = 0).
 */
import { CLASS_NAME, decodeEvent } from '../arch/event.ts';
import { type HandWalk, awayFrom, handWalk } from './scaffold-walk.ts';
import { type Trace } from './types.ts';
import { hex } from '../arch/hex.ts';

const PAGE = 0xfffn;
const MASK56 = (1n << 56n) - 1n;
const FOUR_GB = 0x1_0000_0000n;

/** Stable ids of the reasons a record is not reproduced (the text after them may change). */
export const SCAFFOLD_NOTE_IDS = ['not-emulated', 'conflict', 'unsupported', 'incomplete'] as const;
export type ScaffoldNoteId = (typeof SCAFFOLD_NOTE_IDS)[number];

/** Why the emulator never raises these types (no configuration can reproduce them). */
const NOT_EMULATED: Readonly<Record<number, string>> = {
  0x01: 'unsupported upstream transactions (atomics, cache maintenance, ...) are not modelled',
  0x05: 'ATS translation requests are not modelled (ATS is modelled for ATC invalidation only)',
  0x07: 'ATS-translated transactions are not modelled',
  0x0c: 'TLB conflicts cannot arise: the emulator keeps one entry per address',
  0x0d: 'configuration cache conflicts cannot arise',
  0x24: 'PRI page requests are not modelled',
  0x25: 'no VMS (virtual machine structure, MPAM/VMSPtr) is modelled',
};

export interface Scaffold {
  readonly yaml: string;
  /** Records reproduced / left as comments. */
  readonly reproduced: number;
  readonly skipped: number;
}

/** What a page must look like for the event to happen there ('unmapped': no descriptor). */
interface PageNeed {
  readonly perm: string;
  readonly unmapped?: boolean;
  readonly af?: false;
  readonly priv?: true;
  /** Map above 4 GB (F_ADDR_SIZE with CD.IPS / STE.S2PS = 32 bits). */
  readonly high?: true;
  /** Nested stage 1: the IPA the page maps to (a stage-2 fault on the input). */
  readonly ipa?: bigint;
  /** Stage 2 maps the IPA page to the same PA (hand-built stage-1 tables of a nested stream). */
  readonly identity?: true;
}

interface Cd {
  valid: boolean;
  ips32: boolean;
  /** CD.S: faults stall (set by the first translation fault of this CD; the others must agree). */
  stall?: boolean;
  /** Page address -> need, for this SubstreamID's stage-1 table. */
  readonly pages: Map<bigint, PageNeed>;
  /** Stage-1 walk placed by hand (F_WALK_EABT at stage 1). */
  walk?: HandWalk;
  /** Nested: the stage-1 root at this IPA faults at stage 2 (CLASS=TT). */
  ttAt?: bigint;
}

type Role = 's1' | 's2' | 'nested' | 'no_ste' | 'bypass' | 'bad_sid';

interface Stream {
  readonly sid: bigint;
  readonly name: string;
  readonly role: Role;
  readonly cds: Map<bigint, Cd>;
  /** Stage 2: IPA page -> need. */
  readonly pages: Map<bigint, PageNeed>;
  /** Smallest SubstreamID logged in C_BAD_SUBSTREAMID (the CD table must end below it). */
  badSsid?: bigint;
  /** PA of the CD table (F_CD_FETCH), IPA on a nested stream (CLASS=CD). */
  cdAt?: bigint;
  /** The CD fetch itself faults at stage 2 (CLASS=CD): no other record can use the stream. */
  cdFault?: true;
  /** STE.S2S: stage-2 faults stall (the first stage-2 fault decides, the others must agree). */
  s2s?: boolean;
  /** STE.S2PS = 32 bits (stage-2 F_ADDR_SIZE). */
  s2ps32?: boolean;
  /** Stage-2 walk placed by hand (F_WALK_EABT at stage 2). */
  s2walk?: HandWalk;
  /** STE.S1DSS=SUBSTREAM0 with a CD table of at least two entries (F_STREAM_DISABLED). */
  ssid0?: true;
  /** Records placed on this stream. */
  used: number;
}

/** One decoded event record and where it was logged. */
interface Rec {
  /** InputAddr. */
  readonly addr: bigint;
  readonly type: number;
  readonly f: Readonly<Record<string, bigint>>;
  readonly sid: bigint;
  readonly ssid: bigint | undefined;
  /** `NAME (0xNN)`. */
  readonly name: string;
  /** `line N`. */
  readonly at: string;
}

/** Scenario-wide settings a record can ask for. */
interface Globals {
  /** STRTAB_BASE of the linear stream table (F_STE_FETCH), with its LOG2SIZE. */
  strtab?: { base: bigint; log2size: number };
  /** 64-byte structures made unreadable after setup (fetch aborts). */
  readonly aborts: bigint[];
  /** An ATS endpoint whose invalidations never complete (CERROR_ATC_INV_SYNC). */
  atc?: true;
  /** CMDQ_BASE.LOG2SIZE large enough for every logged CONS index (above the default 8). */
  cmdqLog2?: number;
  /** Next page for hand-built walk tables. */
  walkPage: bigint;
}

const sameNeed = (a: PageNeed, b: PageNeed): boolean =>
  a.perm === b.perm && a.unmapped === b.unmapped && a.af === b.af && a.priv === b.priv && a.high === b.high && a.ipa === b.ipa && a.identity === b.identity;

/** The page a fault on the transaction's own access needs, or why no page can give it. */
function pageNeed(type: number, f: Readonly<Record<string, bigint>>, stage: 1 | 2): PageNeed | string {
  const exec = f['InD'] === 1n;
  const read = f['RnW'] === 1n;
  if (exec && !read) return 'an instruction fetch that writes (InD=1, RnW=0) is no transaction';
  const full = exec ? 'rwx' : 'rw';
  switch (type) {
    case 0x10:
      return { perm: 'rw', unmapped: true };
    case 0x11:
      return { perm: full, high: true };
    case 0x12:
      return { perm: full, af: false };
    case 0x13:
      if (exec) return { perm: 'rw' };
      if (!read) return { perm: 'r' };
      if (stage === 2) return { perm: 'w' };
      if (f['PnU'] === 0n) return { perm: 'rw', priv: true };
      return 'a privileged data read has no stage-1 permission fault (AArch64 stage 1 always grants read)';
    default:
      return 'not a translation fault';
  }
}

/** The stage-2 page of a CD or stage-1 descriptor read (CLASS=CD/TT) that faults with `type`. */
function structureNeed(type: number, f: Readonly<Record<string, bigint>>, cls: 'CD' | 'TT'): PageNeed | string {
  switch (type) {
    case 0x10:
      return { perm: 'rw', unmapped: true };
    case 0x11:
      return { perm: 'rw', high: true };
    case 0x12:
      return { perm: 'rw', af: false };
    case 0x13:
      // The walk reads the descriptor; TTRnW=0 is a hardware update (HTTU) write, not scaffolded.
      if (cls === 'TT' && f['TTRnW'] === 0n) return 'a stage-2 permission fault on a descriptor write (TTRnW=0, hardware AF/dirty update) is not scaffolded';
      return { perm: 'w' };
    default:
      return 'not a translation fault';
  }
}

const NAMES: Readonly<Record<number, string>> = { 0x10: 'F_TRANSLATION', 0x11: 'F_ADDR_SIZE', 0x12: 'F_ACCESS', 0x13: 'F_PERMISSION' };
const CITES: Readonly<Record<number, string>> = {
  0x10: 'F_TRANSLATION, SMMUv3 §7.3.13',
  0x11: 'F_ADDR_SIZE for an output address beyond CD.IPS or STE.S2PS, SMMUv3 §7.3.14',
  0x12: 'F_ACCESS for AF=0, SMMUv3 §7.3.15',
  0x13: 'F_PERMISSION, SMMUv3 §7.3.16',
};

/** The record's CLASS by name (§7.3; the field is in every record that has one here). */
function classOf(f: Readonly<Record<string, bigint>>): 'CD' | 'TT' | 'IN' | 'RESERVED' {
  return CLASS_NAME[Number(f['CLASS'] ?? 3n)] as 'CD' | 'TT' | 'IN' | 'RESERVED';
}

/** StreamIDs whose records need a nested (stage 1 + stage 2) stream. */
function nestedStreams(trace: Trace): Set<bigint> {
  const out = new Set<bigint>();
  for (const r of trace.records) {
    if (r.kind !== 'event' || r.raw.length < 4) continue;
    const e = decodeEvent(r.raw);
    const f = e.fields;
    if (f['S2'] !== 1n) continue;
    const cls = f['CLASS'];
    const addr = f['InputAddr'] ?? 0n;
    const page = addr & ~PAGE & MASK56;
    if (e.type >= 0x10 && e.type <= 0x13 && (cls !== 2n || f['SSV'] === 1n || (f['IPA'] ?? 0n) !== page)) out.add(f['StreamID'] ?? 0n);
    // A stage-2 walk abort on the input whose FetchAddr is no descriptor of the input address's
    // own walk: the input went through stage 1 first (the IPA is not in the record).
    let k = 0n;
    const away = typeof handWalk(addr, f['FetchAddr'] ?? 0n, () => (k += 0x1000n)) === 'string';
    if (e.type === 0x0b && (cls !== 2n || f['SSV'] === 1n || away)) out.add(f['StreamID'] ?? 0n);
  }
  return out;
}

export function scaffoldScenario(trace: Trace, source: string): Scaffold {
  const streams = new Map<bigint, Stream>();
  const nested = nestedStreams(trace);
  const globals: Globals = { aborts: [], walkPage: 0x8800_0000n };
  const steps: string[] = [];
  const notes: string[] = [];
  let reproduced = 0;
  /** Sections of the rules the reproduced records follow, for the description. */
  const cites = new Set<string>();
  const walkPage = (): bigint => {
    const p = globals.walkPage;
    globals.walkPage += 0x1000n;
    return p;
  };

  /** The stream of `sid` in `role` (s1/s2 become nested when the log needs it), or why it cannot be. */
  const stream = (sid: bigint, want: Role): Stream | string => {
    const role = (want === 's1' || want === 's2') && nested.has(sid) ? 'nested' : want;
    let s = streams.get(sid);
    if (s === undefined) {
      s = { sid, name: `dev${sid.toString(16)}`, role, cds: new Map(), pages: new Map(), used: 0 };
      streams.set(sid, s);
    }
    if (s.role !== role)
      return `StreamID ${hex(sid)} is already scaffolded as ${s.role === 'no_ste' ? 'an uninstalled stream' : `an ${s.role.toUpperCase()} stream`} [conflict]`;
    if (s.cdFault) return `the CD fetch of StreamID ${hex(sid)} faults for an earlier record, so no other record can use the stream [conflict]`;
    return s;
  };
  const cd = (s: Stream, ssid: bigint): Cd => {
    let c = s.cds.get(ssid);
    if (c === undefined) {
      c = { valid: true, ips32: false, pages: new Map() };
      s.cds.set(ssid, c);
    }
    return c;
  };
  /** Record the page a fault needs; false when the same page already needs something else. */
  const claim = (pages: Map<bigint, PageNeed>, page: bigint, need: PageNeed): boolean => {
    const had = pages.get(page);
    if (had !== undefined) return sameNeed(had, need);
    pages.set(page, need);
    return true;
  };
  const dma = (s: Stream, ssid: bigint | undefined, addr: bigint, f: Readonly<Record<string, bigint>>, result = 'fault'): string => {
    const access = f['InD'] === 1n ? 'exec' : f['RnW'] === 0n ? 'write' : 'read';
    const priv = f['PnU'] === 1n ? ', priv: true' : '';
    return `  - dma: { device: ${s.name}${ssid !== undefined ? `, ssid: ${hex(ssid)}` : ''}, iova: ${hex(addr)}, access: ${access}${priv}, expect: { result: ${result} } }`;
  };
  const abort = (pa: bigint): void => {
    // 64 bytes around the descriptor / structure: one injection per block.
    const block = pa & ~63n;
    if (globals.aborts.includes(block)) return;
    globals.aborts.push(block);
    steps.push(`  - inject_fault: { kind: ext_abort, pa: ${hex(block)}, size: 64 }`);
  };
  /** STE.S2S must agree across the stream's stage-2 faults (one bit per STE). */
  const s2Stall = (s: Stream, stalled: boolean, name: string): string | undefined => {
    if (s.s2s !== undefined && s.s2s !== stalled)
      return `${name} sid=${hex(s.sid)}: ${stalled ? 'stalled' : 'not stalled'} at stage 2, but an earlier stage-2 fault of the stream was ${s.s2s ? 'stalled' : 'not'} (STE.S2S is one bit per STE) [conflict]`;
    s.s2s = stalled;
    return undefined;
  };

  /** One event record: its steps pushed and true, or the reason it is not reproduced. */
  const event = (raw: readonly bigint[], at: string): string | true => {
    const e = decodeEvent(raw);
    const f = e.fields;
    const sid = f['StreamID'] ?? 0n;
    const ssid = f['SSV'] === 1n ? (f['SubstreamID'] ?? 0n) : undefined;
    const name = `${e.name} (0x${e.type.toString(16).padStart(2, '0')})`;
    const why = NOT_EMULATED[e.type];
    if (why !== undefined) return `${name} sid=${hex(sid)}: the emulator never raises ${e.name} (${why}), so no scenario reproduces it [not-emulated]`;
    if (e.type === 0x04) {
      const s = stream(sid, 'no_ste');
      if (typeof s === 'string') return s;
      cites.add('C_BAD_STE for STE.V=0, SMMUv3 §7.3.5');
      steps.push(`  # ${at}: C_BAD_STE (the device's stream is not installed: STE.V=0)`);
      steps.push(`  - dma: { device: ${s.name}, iova: 0x0, access: read, expect: { result: fault } }`);
      return true;
    }
    if (e.type === 0x02) {
      const s = stream(sid, 'bad_sid');
      if (typeof s === 'string') return s;
      cites.add('C_BAD_STREAMID for a StreamID beyond 2^STRTAB_BASE_CFG.LOG2SIZE with CR2.RECINVSID=1, SMMUv3 §7.3.3');
      steps.push(`  # ${at}: C_BAD_STREAMID (the StreamID is beyond the linear stream table)`);
      steps.push(`  - dma: { device: ${s.name}, iova: 0x0, access: read, expect: { result: fault } }`);
      return true;
    }
    if (e.type === 0x06) {
      const s = stream(sid, 's1');
      if (typeof s === 'string') return s;
      s.ssid0 = true;
      cd(s, 0n);
      s.used++;
      cites.add('F_STREAM_DISABLED for SubstreamID 0 with STE.S1DSS=SUBSTREAM0, SMMUv3 §7.3.7, §5.2');
      steps.push(`  # ${at}: F_STREAM_DISABLED (SubstreamID 0 while STE.S1DSS=SUBSTREAM0 reserves CD 0 for traffic without one)`);
      steps.push(dma(s, 0n, 0x1000n, { RnW: 1n }));
      return true;
    }
    if (e.type === 0x0a) {
      const s = stream(sid, 's1');
      if (typeof s === 'string') return s;
      const c = cd(s, ssid ?? 0n);
      if (c.valid && (c.pages.size > 0 || c.walk !== undefined || c.ttAt !== undefined))
        return `the CD of SubstreamID ${hex(ssid ?? 0n)} must be valid for an earlier record [conflict]`;
      c.valid = false;
      s.used++;
      cites.add('C_BAD_CD for CD.V=0, SMMUv3 §7.3.11');
      steps.push(`  # ${at}: C_BAD_CD (the CD of SubstreamID ${hex(ssid ?? 0n)} has V=0)`);
      steps.push(dma(s, ssid, 0x1000n, { RnW: 1n }));
      return true;
    }
    if (e.type === 0x08) {
      const bad = f['SubstreamID'] ?? 0n;
      const s = stream(sid, 's1');
      if (typeof s === 'string') return s;
      s.badSsid = s.badSsid === undefined || bad < s.badSsid ? bad : s.badSsid;
      cd(s, 0n);
      s.used++;
      cites.add('C_BAD_SUBSTREAMID for a SubstreamID beyond 2^STE.S1CDMax, SMMUv3 §7.3.9');
      steps.push(`  # ${at}: C_BAD_SUBSTREAMID (SubstreamID ${hex(bad)} is beyond the CD table)`);
      steps.push(dma(s, bad, 0x1000n, { RnW: 1n }));
      return true;
    }
    const rec: Rec = { addr: f['InputAddr'] ?? 0n, type: e.type, f, sid, ssid, name, at };
    if (e.type === 0x03 || e.type === 0x09) return fetchFault(rec);
    if (e.type === 0x0b) return walkAbort(rec);
    if (e.type < 0x10 || e.type > 0x13) return `${name} sid=${hex(sid)}: no scaffold for this event type yet; set up its configuration by hand [unsupported]`;
    return translationFault(rec);
  };

  /** F_STE_FETCH / F_CD_FETCH: the structure placed at the logged FetchAddr, then aborted. */
  const fetchFault = ({ type, f, sid, ssid, name, at }: Rec): string | true => {
    const fetch = f['FetchAddr'] ?? 0n;
    const sse = type === 0x03;
    const index = sse ? sid : (ssid ?? 0n);
    const base = fetch - index * 64n;
    if (base < 0n || (base & 63n) !== 0n)
      return `${name} sid=${hex(sid)}: FetchAddr ${hex(fetch)} is no ${sse ? 'STE' : 'CD'} address of a linear table [unsupported]`;
    if (sse) {
      // A linear stream table is aligned to its size (§6.3.24): the StreamID indexes it from an aligned base.
      let log2size = 8;
      for (const k of [...streams.keys(), sid]) while (1n << BigInt(log2size) <= k) log2size++;
      if ((base & ((64n << BigInt(log2size)) - 1n)) !== 0n)
        return `${name} sid=${hex(sid)}: STE address ${hex(fetch)} is not StreamID ${hex(sid)} of a linear stream table aligned to its ${64 << log2size}-byte size [unsupported]`;
      if (globals.strtab !== undefined && globals.strtab.base !== base)
        return `${name} sid=${hex(sid)}: an earlier record put the stream table at ${hex(globals.strtab.base)} [conflict]`;
      const s = stream(sid, 'bypass');
      if (typeof s === 'string') return s;
      globals.strtab = { base, log2size };
      cites.add('F_STE_FETCH for an external abort on the STE fetch, FetchAddr = STRTAB_BASE + StreamID x 64, SMMUv3 §7.3.4, §5.1');
    } else {
      const s = stream(sid, 's1');
      if (typeof s === 'string') return s;
      if (s.cdAt !== undefined && s.cdAt !== base) return `${name} sid=${hex(sid)}: an earlier record put its CD table at ${hex(s.cdAt)} [conflict]`;
      // Nested: the CD table is in IPA space, mapped one to one onto PA so FetchAddr is its IPA too.
      if (s.role === 'nested')
        for (const p of new Set([base & ~PAGE, fetch & ~PAGE]))
          if (!claim(s.pages, p, { perm: 'rw', identity: true }))
            return `${name} sid=${hex(sid)}: IPA ${hex(p)} already needs another stage-2 mapping for an earlier record [conflict]`;
      s.cdAt = base;
      cd(s, ssid ?? 0n);
      cites.add('F_CD_FETCH for an external abort on the CD fetch, FetchAddr = the CD address, SMMUv3 §7.3.10, §5.4');
    }
    abort(fetch);
    const s = streams.get(sid) as Stream;
    s.used++;
    steps.push(`  # ${at}: ${sse ? 'F_STE_FETCH' : 'F_CD_FETCH'} (the ${sse ? 'STE' : 'CD'} at ${hex(fetch)} cannot be read: an external abort from here on)`);
    steps.push(dma(s, ssid, 0x1000n, { RnW: 1n }));
    return true;
  };

  /** An F_WALK_EABT placed: the descriptor at `fetch` aborts, and the record's transaction runs on `s`. */
  const walkAborted = ({ addr, f, ssid }: Rec, s: Stream, fetch: bigint, comment: string): true => {
    abort(fetch);
    s.used++;
    cites.add('F_WALK_EABT for an external abort on a descriptor fetch, FetchAddr = the descriptor PA, SMMUv3 §7.3.12');
    steps.push(comment);
    steps.push(dma(s, ssid, addr, f));
    return true;
  };

  /** F_WALK_EABT: the walk placed by hand so the logged FetchAddr is the aborting descriptor. */
  const walkAbort = (rec: Rec): string | true => {
    const { addr, f, sid, ssid, name, at } = rec;
    const fetch = f['FetchAddr'] ?? 0n;
    const stage = f['S2'] === 1n ? 2 : 1;
    const cls = f['CLASS'];
    if (f['InD'] === 1n && f['RnW'] === 0n) return `${name} sid=${hex(sid)}: an instruction fetch that writes (InD=1, RnW=0) is no transaction [unsupported]`;
    if (nested.has(sid)) return nestedWalkAbort(rec);
    const walk = handWalk(addr, fetch, walkPage);
    if (typeof walk === 'string') return `${name} sid=${hex(sid)}: ${walk} [unsupported]`;
    let s: Stream | string;
    if (stage === 1) {
      if (cls !== 1n) return `${name} sid=${hex(sid)}: a stage-1 walk abort has CLASS=TT (§7.3.12), the log says CLASS=${cls} [unsupported]`;
      s = stream(sid, 's1');
      if (typeof s === 'string') return s;
      const c = cd(s, ssid ?? 0n);
      if (!c.valid || c.pages.size > 0 || c.walk !== undefined)
        return `${name} sid=${hex(sid)}: the stage-1 table of SubstreamID ${hex(ssid ?? 0n)} is used by an earlier record, and the walk must be placed by hand [conflict]`;
      if (c.stall !== undefined && c.stall) return `${name} sid=${hex(sid)}: the CD stalls faults for an earlier record [conflict]`;
      c.walk = walk;
    } else {
      s = stream(sid, 's2');
      if (typeof s === 'string') return s;
      if (s.pages.size > 0 || s.s2walk !== undefined || s.s2ps32)
        return `${name} sid=${hex(sid)}: the stage-2 table is used by an earlier record, and the walk must be placed by hand [conflict]`;
      s.s2walk = walk;
    }
    return walkAborted(
      rec,
      s,
      fetch,
      `  # ${at}: F_WALK_EABT at stage ${stage} (the level-${walk.level} descriptor at ${hex(fetch)} cannot be read: an external abort)`,
    );
  };

  /**
   * F_WALK_EABT at stage 2 of a nested stream: the record has no IPA, so the scaffold picks the
   * IPA whose stage-2 walk reads the logged FetchAddr (level-0 index 256, keeping it apart from
   * every other IPA of the stream, level-1 index from FetchAddr[11:3]) and puts there the
   * input page's stage-1 output (CLASS=IN), the CD table (CLASS=CD) or the stage-1 root (CLASS=TT).
   */
  const nestedWalkAbort = (rec: Rec): string | true => {
    const { addr, f, sid, ssid, name, at } = rec;
    const fetch = f['FetchAddr'] ?? 0n;
    const cls = classOf(f);
    if (cls === 'RESERVED') return `${name} sid=${hex(sid)}: CLASS=3 is reserved [unsupported]`;
    if (f['S2'] !== 1n) return nestedStage1WalkAbort(rec);
    const ipa = (256n << 39n) | (((fetch & 0xfffn) >> 3n) << 30n);
    const walk = handWalk(ipa, fetch, walkPage);
    if (typeof walk === 'string') return `${name} sid=${hex(sid)}: ${walk} [unsupported]`;
    const s = stream(sid, 's2');
    if (typeof s === 'string') return s;
    if (s.s2walk !== undefined || s.s2ps32) return `${name} sid=${hex(sid)}: the stage-2 table is placed for an earlier record [conflict]`;
    const c = cd(s, ssid ?? 0n);
    if (cls === 'CD') {
      if (s.used > 0) return `${name} sid=${hex(sid)} with CLASS=CD: the CD fetch must abort, but earlier records use the stream [conflict]`;
      s.cdAt = ipa;
      s.cdFault = true;
    } else if (cls === 'TT') {
      if (c.pages.size > 0 || c.ttAt !== undefined || !c.valid)
        return `${name} sid=${hex(sid)} with CLASS=TT: the stage-1 root must abort, but earlier records use the CD of SubstreamID ${hex(ssid ?? 0n)} [conflict]`;
      c.ttAt = ipa;
    } else {
      if (!c.valid || c.ttAt !== undefined)
        return `${name} sid=${hex(sid)}: the CD of SubstreamID ${hex(ssid ?? 0n)} cannot translate for an earlier record [conflict]`;
      if (!claim(c.pages, addr & ~PAGE, { perm: f['InD'] === 1n ? 'rwx' : 'rw', ipa }))
        return `${name} sid=${hex(sid)}: page ${hex(addr & ~PAGE)} already needs another stage-1 mapping for an earlier record [conflict]`;
    }
    s.s2walk = walk;
    const what = cls === 'IN' ? 'the input page maps' : cls === 'CD' ? 'the CD table is' : 'the stage-1 root is';
    return walkAborted(
      rec,
      s,
      fetch,
      `  # ${at}: F_WALK_EABT at stage 2, CLASS=${cls} (${what} at IPA ${hex(ipa)}, whose stage-2 descriptor at ${hex(fetch)} cannot be read)`,
    );
  };

  /**
   * F_WALK_EABT at stage 1 of a nested stream (CLASS=TT): the stage-1 tables are placed by hand
   * as for a stage-1 stream, in IPA space that stage 2 maps one to one onto PA, so the logged
   * FetchAddr (a PA) is also the IPA of the aborting descriptor.
   */
  const nestedStage1WalkAbort = (rec: Rec): string | true => {
    const { addr, f, sid, ssid, name, at } = rec;
    const fetch = f['FetchAddr'] ?? 0n;
    if (f['CLASS'] !== 1n) return `${name} sid=${hex(sid)}: a stage-1 walk abort has CLASS=TT (§7.3.12), the log says CLASS=${f['CLASS']} [unsupported]`;
    const walk = handWalk(addr, fetch, walkPage);
    if (typeof walk === 'string') return `${name} sid=${hex(sid)}: ${walk} [unsupported]`;
    const s = stream(sid, 's1');
    if (typeof s === 'string') return s;
    const c = cd(s, ssid ?? 0n);
    if (!c.valid || c.pages.size > 0 || c.walk !== undefined || c.ttAt !== undefined)
      return `${name} sid=${hex(sid)}: the stage-1 table of SubstreamID ${hex(ssid ?? 0n)} is used by an earlier record, and the walk must be placed by hand [conflict]`;
    const pages = [walk.root, ...walk.writes.map((w) => w.pa & ~PAGE), fetch & ~PAGE];
    for (const p of pages)
      if (!claim(s.pages, p, { perm: 'rw', identity: true }))
        return `${name} sid=${hex(sid)}: IPA ${hex(p)} already needs another stage-2 mapping for an earlier record [conflict]`;
    c.walk = walk;
    return walkAborted(
      rec,
      s,
      fetch,
      `  # ${at}: F_WALK_EABT at stage 1 (the level-${walk.level} descriptor at ${hex(fetch)}, IPA = PA, cannot be read: an external abort)`,
    );
  };

  /** F_TRANSLATION / F_ADDR_SIZE / F_ACCESS / F_PERMISSION. */
  const translationFault = ({ addr, type, f, sid, ssid, name, at }: Rec): string | true => {
    const stalled = f['Stall'] === 1n;
    const page = addr & ~PAGE;
    const stage = f['S2'] === 1n ? 2 : 1;
    const cls = classOf(f);
    const ipa = (f['IPA'] ?? 0n) & ~PAGE;
    if (addr >> 48n !== 0n) return `${name} sid=${hex(sid)}: address ${hex(addr)} is beyond the 48-bit range the scaffold maps [unsupported]`;
    if (cls !== 'IN' && stage === 1)
      return `${name} sid=${hex(sid)} with CLASS=${cls} at stage 1: a stage-1 fault is on the input address (CLASS=IN); stage-1 descriptor faults are F_WALK_EABT or stage 2 [unsupported]`;
    if (cls === 'RESERVED') return `${name} sid=${hex(sid)}: CLASS=3 is reserved [unsupported]`;
    let how: string;
    // what the faulting page or structure needs, and the stream: stage 2 for every fault but a stage-1 one on the input
    const need = cls === 'IN' ? pageNeed(type, f, stage) : structureNeed(type, f, cls);
    if (typeof need === 'string') return `${name} sid=${hex(sid)}: ${need} [unsupported]`;
    const s = stream(sid, stage === 2 ? 's2' : 's1');
    if (typeof s === 'string') return s;
    if (cls !== 'IN') {
      // Stage 2 faults on the CD (CLASS=CD) or a stage-1 descriptor (CLASS=TT) of a nested stream.
      if (cls === 'CD') {
        if (s.used > 0) return `${name} sid=${hex(sid)} with CLASS=CD: the CD fetch must fault, but earlier records use the stream [conflict]`;
        const base = ipa - (((ssid ?? 0n) * 64n) & ~PAGE);
        if (base < 0n) return `${name} sid=${hex(sid)}: IPA ${hex(ipa)} cannot hold the CD of SubstreamID ${hex(ssid ?? 0n)} [unsupported]`;
        s.cdAt = base;
        s.cdFault = true;
        cd(s, ssid ?? 0n);
      } else {
        const c = cd(s, ssid ?? 0n);
        if (c.pages.size > 0 || c.ttAt !== undefined || !c.valid)
          return `${name} sid=${hex(sid)} with CLASS=TT: the stage-1 root must fault, but earlier records use the CD of SubstreamID ${hex(ssid ?? 0n)} [conflict]`;
        c.ttAt = ipa;
      }
      if (!claim(s.pages, ipa, need)) return `${name} sid=${hex(sid)}: IPA ${hex(ipa)} already needs another stage-2 mapping for an earlier record [conflict]`;
      const stall = s2Stall(s, stalled, name);
      if (stall !== undefined) return stall;
      if (need.high) s.s2ps32 = true;
      if (need.unmapped) steps.push(`  - unmap: { table: vm${sid.toString(16)}, ipa: ${hex(ipa)}, size: 4K, invalidate: true, expect: { result: ok } }`);
      how = `the ${cls === 'CD' ? 'CD' : 'stage-1 root table'} is at IPA ${hex(ipa)}, which stage 2 has ${describe(need)}`;
    } else if (stage === 2 && !nested.has(sid)) {
      // A stage-2 fault of an S2-only stream: the IPA is the input address (§7.3.13-16).
      if (s.s2walk !== undefined) return `${name} sid=${hex(sid)}: the stage-2 walk is placed by hand for an earlier record [conflict]`;
      if (!claim(s.pages, page, need)) return `${name} sid=${hex(sid)}: page ${hex(page)} already needs another mapping for an earlier record [conflict]`;
      const stall = s2Stall(s, stalled, name);
      if (stall !== undefined) return stall;
      if (need.high) s.s2ps32 = true;
      how = `the page is ${describe(need)}`;
    } else if (stage === 2) {
      // Nested, CLASS=IN: stage 1 maps the input page to the logged IPA, which faults at stage 2.
      const c = cd(s, ssid ?? 0n);
      if (!c.valid || c.ttAt !== undefined)
        return `${name} sid=${hex(sid)}: the CD of SubstreamID ${hex(ssid ?? 0n)} cannot translate for an earlier record [conflict]`;
      if (!claim(c.pages, page, { perm: f['InD'] === 1n ? 'rwx' : 'rw', ipa }))
        return `${name} sid=${hex(sid)}: page ${hex(page)} already needs another stage-1 mapping for an earlier record [conflict]`;
      if (!claim(s.pages, ipa, need)) return `${name} sid=${hex(sid)}: IPA ${hex(ipa)} already needs another stage-2 mapping for an earlier record [conflict]`;
      const stall = s2Stall(s, stalled, name);
      if (stall !== undefined) return stall;
      if (need.high) s.s2ps32 = true;
      how = `stage 1 maps it to IPA ${hex(ipa)}, which stage 2 has ${describe(need)}`;
    } else {
      const c = cd(s, ssid ?? 0n);
      if (!c.valid) return `${name} sid=${hex(sid)}: the CD of SubstreamID ${hex(ssid ?? 0n)} is invalid for an earlier record [conflict]`;
      if (c.walk !== undefined || c.ttAt !== undefined)
        return `${name} sid=${hex(sid)}: the stage-1 walk of SubstreamID ${hex(ssid ?? 0n)} faults for an earlier record [conflict]`;
      if (c.stall !== undefined && c.stall !== stalled)
        return `${name} sid=${hex(sid)}: ${stalled ? 'stalled' : 'not stalled'}, but an earlier fault of the same CD was ${c.stall ? 'stalled' : 'not'} (CD.S is one bit per CD) [conflict]`;
      if (!claim(c.pages, page, need)) return `${name} sid=${hex(sid)}: page ${hex(page)} already needs another mapping for an earlier record [conflict]`;
      if (need.high) c.ips32 = true;
      c.stall = stalled;
      how = `the page is ${need.high ? 'mapped above 4 GB, CD.IPS = 32 bits' : describe(need)}${stalled ? '; CD.S=1: the transaction stalls' : ''}`;
    }
    if (stage === 2 && stalled) how += '; STE.S2S=1: the transaction stalls';
    s.used++;
    cites.add(CITES[type] ?? name);
    const where = cls === 'IN' ? '' : `, CLASS=${cls}`;
    steps.push(`  # ${at}: ${NAMES[type] ?? name} at stage ${stage}${where}${ssid !== undefined ? `, SubstreamID ${hex(ssid)}` : ''} (${how})`);
    steps.push(dma(s, ssid, addr, f, stalled ? 'stall' : 'fault'));
    return true;
  };

  for (const r of trace.records) {
    const at = `line ${r.lines[0] ?? '?'}`;
    if (r.kind === 'event') {
      if (r.truncated || r.damaged !== undefined || r.raw.length < 4 || r.known !== undefined) {
        notes.push(`${at}: event record is incomplete; not reproduced [incomplete]`);
        continue;
      }
      const done = event(r.raw, at);
      if (done === true) reproduced++;
      else notes.push(`${at}: ${done}`);
    } else if (r.kind === 'cmdq_error') {
      const done = cmdqError(r, at, steps, notes, cites, globals);
      if (done) reproduced++;
    } else if (r.kind === 'pri') {
      notes.push(`${at}: PRI page request sid=${hex(r.sid)}: the emulator has no PRI queue (IDR0.PRI = 0), so no scenario reproduces it [not-emulated]`);
    } else if (r.kind === 'gerror' || r.kind === 'suppressed') {
      // GERROR lines follow from the CMDQ error they report; rate-limit gaps are not events.
    } else if (r.kind !== 'qemu' && r.kind !== 'command') notes.push(`${at}: ${r.kind} record: not reproduced [unsupported]`);
  }
  return { yaml: render(source, [...streams.values()], globals, steps, notes, cites), reproduced, skipped: notes.length };
}

const describe = (n: PageNeed): string =>
  n.unmapped
    ? 'not mapped'
    : n.high
      ? 'mapped above 4 GB, STE.S2PS = 32 bits'
      : n.af === false
        ? 'mapped with AF=0'
        : `mapped ${n.perm}${n.priv ? ', privileged only' : ''}`;

type CmdqErrorRecord = Extract<Trace['records'][number], { kind: 'cmdq_error' }>;

/** A CMDQ error: the command that fails with the logged CERROR placed at the logged CONS index. */
function cmdqError(r: CmdqErrorRecord, at: string, steps: string[], notes: string[], cites: Set<string>, globals: Globals): boolean {
  if (r.cons === undefined) {
    notes.push(`${at}: CMDQ error CERROR ${r.cerror} without its CONS value [incomplete]`);
    return false;
  }
  // CONS.RD (§6.3.27) is the index and, above it, the wrap bit of a queue whose size the log does
  // not say: the scaffold takes the smallest queue (at least 2^8 entries) in which the logged value
  // is an index of the first pass, so CONS comes out the same.
  const rd = r.cons & 0xfffff;
  let log2 = 8;
  while (log2 < 19 && rd >= 1 << log2) log2++;
  const index = rd & ((1 << log2) - 1);
  const wrap =
    rd !== index
      ? `${at}: CONS ${hex(r.cons)} has the wrap bit of a 2^19-entry queue set; the scaffold places the command at index ${index} of the first pass`
      : undefined;
  if (log2 > (globals.cmdqLog2 ?? 8)) globals.cmdqLog2 = log2;
  if (r.cerror === 1) {
    if (r.command === undefined || r.command.length < 2 || r.commandDamaged !== undefined) {
      notes.push(`${at}: CERROR_ILL without both command dwords logged: the illegal command is unknown [incomplete]`);
      return false;
    }
    cites.add('CERROR_ILL stops CONS on the illegal command, SMMUv3 §7.1');
    steps.push(`  # ${at}: CMDQ error (cons ${hex(r.cons)}): the logged command at CONS index ${index}`);
    steps.push(
      `  - cmdq: { index: ${index}, filler: false, commands: [ { raw: ['${hex(r.command[0] ?? 0n)}', '${hex(r.command[1] ?? 0n)}'] } ], expect: { result: fault, cerror: CERROR_ILL, gerror: [CMDQ_ERR] } }`,
    );
  } else if (r.cerror === 2) {
    cites.add('CERROR_ABT stops CONS on the command whose fetch aborted, SMMUv3 §7.1');
    steps.push(`  # ${at}: CMDQ error (cons ${hex(r.cons)}): the fetch of the command at CONS index ${index} aborts (injected)`);
    // The queue restarts at the index (no CMD_SYNC fillers), so the aborted fetch is that slot's.
    steps.push('  - inject_fault: { kind: cmdq_fetch_abort, count: 1 }');
    steps.push(
      `  - cmdq: { index: ${index}, filler: false, commands: [ { op: CFGI_ALL } ], expect: { result: fault, cerror: CERROR_ABT, gerror: [CMDQ_ERR] } }`,
    );
  } else if (r.cerror === 3) {
    if (index === 0) {
      notes.push(
        `${at}: CERROR_ATC_INV_SYNC at CONS index 0: its ATC_INV would sit at the end of the previous pass, which the scaffold does not place [unsupported]`,
      );
      return false;
    }
    globals.atc = true;
    cites.add('CERROR_ATC_INV_SYNC stops CONS on the CMD_SYNC after an ATC invalidation that did not complete, SMMUv3 §7.1, §4.7.3');
    steps.push(`  # ${at}: CMDQ error (cons ${hex(r.cons)}): an ATC_INV the endpoint never completes (injected), then the CMD_SYNC at CONS index ${index}`);
    steps.push(
      `  - cmdq: { index: ${index - 1}, filler: false, commands: [ { op: ATC_INV, device: ats_ep, size: 52 } ], sync: true, expect: { result: fault, cerror: CERROR_ATC_INV_SYNC, gerror: [CMDQ_ERR] } }`,
    );
  } else {
    notes.push(`${at}: CMDQ error with CERROR ${r.cerror}: not an error code the architecture defines (§7.1) [unsupported]`);
    return false;
  }
  if (wrap !== undefined) notes.push(wrap);
  return true;
}

/**
 * C_BAD_SUBSTREAMID needs 2^S1CDMax <= the bad SubstreamID, above every SubstreamID used: the
 * S1CDMax, null when none fits, undefined when the log has no such record (default S1CDMax).
 * F_STREAM_DISABLED by SubstreamID 0 needs substreams: S1CDMax >= 1.
 */
function cdMax(s: Stream): number | null | undefined {
  if (s.badSsid === undefined) return s.ssid0 && [...s.cds.keys()].every((k) => k === 0n) ? 1 : undefined;
  let used = s.ssid0 ? 1n : 0n;
  for (const k of s.cds.keys()) if (k > used) used = k;
  let max = 0;
  while (1n << BigInt(max) <= used) max++;
  return 1n << BigInt(max) <= s.badSsid ? max : null;
}

function render(source: string, streams: readonly Stream[], globals: Globals, steps: string[], notes: string[], cites: ReadonlySet<string>): string {
  const out: string[] = [
    '# yaml-language-server: $schema=../../schemas/scenario.schema.json',
    `# Scaffolded by \`smmu-conform trace scaffold\` from ${source}: a starting point. Check every`,
    '# configuration against the real one before trusting a MATCH, and cite the rule in the description.',
    'description: >',
    `  Reproduces the SMMU records of ${source} (scaffold; ${[...cites].join('; ') || 'no record reproduced; event records, SMMUv3 §7.3'}).`,
    'tags: [scaffold]',
  ];
  const s1 = streams.filter((s) => s.role === 's1');
  const s2 = streams.filter((s) => s.role === 's2');
  const nest = streams.filter((s) => s.role === 'nested');
  const withCds = [...s1, ...nest];
  const withS2 = [...s2, ...nest];
  const stalls = withCds.some((s) => [...s.cds.values()].some((c) => c.stall === true)) || withS2.some((s) => s.s2s === true);
  const requires = [
    ...(withCds.length > 0 ? ['s1'] : []),
    ...(withS2.length > 0 ? ['s2'] : []),
    ...(nest.length > 0 ? ['nesting'] : []),
    ...(stalls ? ['stall'] : []),
    ...(globals.atc ? ['ats'] : []),
  ];
  if (requires.length > 0) out.push(`requires: [${requires.join(', ')}]`);
  const smmu: string[] = [];
  const devices = streams.map((s) => `  - { name: ${s.name}, sid: ${hex(s.sid)} }`);
  if (globals.cmdqLog2 !== undefined && globals.cmdqLog2 > 8) smmu.push(`cmdq_log2size: ${globals.cmdqLog2}`);
  if (globals.atc) {
    // An ATS endpoint of its own, on a StreamID no record uses; every declared device stops
    // completing ATC invalidations (the injection has no StreamID).
    let sid = 0n;
    for (const s of streams) if (s.sid >= sid) sid = s.sid + 1n;
    devices.push(`  - { name: ats_ep, sid: ${hex(sid)} }`);
    smmu.push('faults: [ { kind: atc_inv_timeout } ]');
  }
  if (devices.length > 0) out.push('devices:', ...devices);
  let pa = 0x8000_0000n;
  let high = FOUR_GB;
  const nextPa = (n: PageNeed): bigint => {
    const at = n.high ? high : pa;
    if (n.high) high += 0x1000n;
    else pa += 0x1000n;
    return at;
  };
  const flags = (n: PageNeed): string => `perm: ${n.perm}${n.af === false ? ', af: false' : ''}${n.priv ? ', priv: true' : ''}`;
  const mem: string[] = [];
  const writes: string[] = [];
  const handWrites = (w: HandWalk): void => {
    for (const x of w.writes) writes.push(`    - { pa: ${hex(x.pa)}, u64: [ '${hex(x.value)}' ] }`);
  };
  /** Stage-1 output IPAs of nested streams (mapped at stage 2 to fresh PAs), per stream. */
  const outIpas = new Map<Stream, bigint[]>();
  const ipaPool = (s: Stream): (() => bigint) => {
    const used = new Set<bigint>([
      ...s.pages.keys(),
      ...(s.cdAt !== undefined ? [s.cdAt] : []),
      ...[...s.cds.values()].flatMap((c) => (c.ttAt !== undefined ? [c.ttAt] : [])),
    ]);
    let next = 0x5000_0000n;
    const list: bigint[] = [];
    outIpas.set(s, list);
    return () => {
      while (used.has(next)) next += 0x1000n;
      list.push(next);
      next += 0x1000n;
      return next - 0x1000n;
    };
  };
  if (withCds.length > 0) {
    mem.push('  s1_tables:');
    for (const s of withCds) {
      const ipaOf = s.role === 'nested' ? ipaPool(s) : undefined;
      for (const [ssid, c] of s.cds) {
        // One page far from the logged addresses keeps the table non-empty; a hand-built walk's
        // root entry is kept for that walk.
        const fill = c.walk !== undefined ? awayFrom(c.walk.addr) : 0x7fff_f000_0000n;
        const map = [
          ipaOf !== undefined
            ? `{ va: ${hex(fill)}, ipa: ${hex(ipaOf())}, size: 4K, perm: rw }`
            : `{ va: ${hex(fill)}, pa: ${hex(0x8fff_0000n)}, size: 4K, perm: rw }`,
        ];
        for (const [page, n] of c.pages) {
          if (n.unmapped) continue;
          if (ipaOf !== undefined) map.push(`{ va: ${hex(page)}, ipa: ${hex(n.ipa ?? (n.high ? nextPa(n) : ipaOf()))}, size: 4K, ${flags(n)} }`);
          else map.push(`{ va: ${hex(page)}, pa: ${hex(nextPa(n))}, size: 4K, ${flags(n)} }`);
        }
        const at = c.walk !== undefined ? `, at: ${hex(c.walk.root)}` : c.ttAt !== undefined ? `, at: ${hex(c.ttAt)}` : '';
        const space = s.role === 'nested' ? `, ipa_space: vm${s.sid.toString(16)}` : '';
        mem.push(`    - { name: pt${s.sid.toString(16)}_${ssid.toString(16)}, granule: 4k, va_bits: 48${at}${space}, map: [ ${map.join(', ')} ] }`);
        if (c.walk !== undefined) handWrites(c.walk);
      }
    }
  }
  if (withS2.length > 0) {
    mem.push('  s2_tables:');
    for (const s of withS2) {
      const bits = s.s2ps32 ? 32 : 48;
      const fill = s.s2walk !== undefined ? awayFrom(s.s2walk.addr) : s.s2ps32 ? 0xffff_f000n : 0xff_ffff_f000n;
      const map = [`{ ipa: ${hex(fill)}, pa: ${hex(0x8fff_1000n)}, size: 4K, perm: rw }`];
      // A CD / stage-1 table page that must be missing is mapped automatically at set-up and
      // removed by an `unmap` step; every other need is an explicit mapping here.
      for (const [page, n] of s.pages) if (!n.unmapped) map.push(`{ ipa: ${hex(page)}, pa: ${hex(n.identity ? page : nextPa(n))}, size: 4K, ${flags(n)} }`);
      for (const ipa of outIpas.get(s) ?? []) map.push(`{ ipa: ${hex(ipa)}, pa: ${hex(nextPa({ perm: 'rw' }))}, size: 4K, perm: rw }`);
      if (s.s2ps32) {
        const wide = [...s.pages.keys(), ...(outIpas.get(s) ?? [])].find((k) => k >= FOUR_GB);
        if (wide !== undefined) notes.push(`stage-2 F_ADDR_SIZE of StreamID ${hex(s.sid)}: STE.S2PS = 32 bits leaves no room for IPA ${hex(wide)} [conflict]`);
      }
      const at = s.s2walk !== undefined ? `, at: ${hex(s.s2walk.root)}` : '';
      mem.push(`    - { name: vm${s.sid.toString(16)}, granule: 4k, ipa_bits: ${bits}${at}, map: [ ${map.join(', ')} ] }`);
      if (s.s2walk !== undefined) handWrites(s.s2walk);
    }
  }
  if (withCds.length > 0) {
    mem.push('  cd_tables:');
    let asid = 1;
    for (const s of withCds) {
      const max = cdMax(s);
      const entries = [...s.cds].map(
        ([ssid, c]) =>
          `{ ssid: ${hex(ssid)}, asid: ${asid++}, tt0: pt${s.sid.toString(16)}_${ssid.toString(16)}${c.valid ? '' : ', valid: false'}${c.ips32 ? ', ips: 0' : ''}${c.stall ? ', s: true' : ''} }`,
      );
      const at = s.cdAt !== undefined ? `, at: ${hex(s.cdAt)}` : '';
      const space = s.role === 'nested' ? `, ipa_space: vm${s.sid.toString(16)}` : '';
      mem.push(
        `    - { name: cdt${s.sid.toString(16)}${at}${space}${typeof max === 'number' ? `, s1cdmax: ${max}` : ''}, entries: [ ${entries.join(', ')} ] }`,
      );
      if (max === null)
        notes.push(
          `C_BAD_SUBSTREAMID of StreamID ${hex(s.sid)}: its SubstreamID is below another one the log uses; the CD table cannot end between them [conflict]`,
        );
    }
  }
  if (writes.length > 0) mem.push('  writes:', ...writes);
  if (mem.length > 0) out.push('memory:', ...mem);
  const badSids = streams.filter((s) => s.role === 'bad_sid');
  if (badSids.length > 0) {
    // The table ends above every other StreamID and at or below the smallest out-of-range one.
    let log2size = 0;
    for (const s of streams) if (s.role !== 'bad_sid') while (1n << BigInt(log2size) <= s.sid) log2size++;
    const lowest = badSids.reduce((m, s) => (s.sid < m ? s.sid : m), badSids[0]?.sid ?? 0n);
    if (globals.strtab !== undefined || 1n << BigInt(log2size) > lowest || globals.atc)
      notes.push(`C_BAD_STREAMID of StreamID ${hex(lowest)}: the stream table cannot end below it and above the other StreamIDs of the log [conflict]`);
    else {
      globals.strtab = { base: -1n, log2size };
      smmu.unshift('recinvsid: true');
    }
  }
  if (smmu.length > 0) out.splice(out.indexOf('tags: [scaffold]') + 1, 0, `smmu: { ${smmu.join(', ')} }`);
  if (globals.strtab !== undefined)
    out.push(
      `boot: { strtab: { ${globals.strtab.base >= 0n ? `base: ${hex(globals.strtab.base)}, ` : ''}fmt: linear, log2size: ${globals.strtab.log2size} } }`,
    );
  const bypass = streams.filter((s) => s.role === 'bypass');
  if (withCds.length + s2.length + bypass.length > 0) {
    out.push('streams:');
    for (const s of bypass) out.push(`  - { device: ${s.name}, config: bypass }`);
    let vmid = 1;
    const ste = (s: Stream): string => `${s.s2s ? ', s2s: true' : ''}${s.s2ps32 ? ', fields: { S2PS: 0 }' : ''}`;
    for (const s of withCds) {
      // Transactions without a SubstreamID use CD 0 when the table has several (STE.S1DSS).
      const dss = [...s.cds.keys()].some((k) => k !== 0n) || s.badSsid !== undefined || s.ssid0 ? ', s1dss: ssid0' : '';
      const base = `device: ${s.name}, config: ${s.role === 'nested' ? 'nested' : 's1'}, cd_table: cdt${s.sid.toString(16)}${dss}`;
      out.push(s.role === 'nested' ? `  - { ${base}, s2_table: vm${s.sid.toString(16)}, vmid: ${vmid++}${ste(s)} }` : `  - { ${base} }`);
    }
    for (const s of s2) out.push(`  - { device: ${s.name}, config: s2, s2_table: vm${s.sid.toString(16)}, vmid: ${vmid++}${ste(s)} }`);
  }
  out.push('steps:');
  if (steps.length === 0) out.push('  []');
  out.push(...steps);
  for (const n of notes) out.push(`# not reproduced: ${n}`);
  return `${out.join('\n')}\n`;
}
