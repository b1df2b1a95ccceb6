/**
 * `trace scaffold LOG`: a starting scenario that reproduces the records of a kernel log
 * (issue 15 item 8). Each event record becomes a DMA from a device with the logged StreamID
 * (and SubstreamID), at the logged address, with the logged access (RnW, InD, PnU), under the
 * configuration that yields that event type; each CMDQ error places the logged command at the
 * logged CONS index (`cmdq.index`). Records it cannot reproduce are listed as comments saying
 * why, never dropped silently.
 *
 * Reproduced (CLASS=IN; stage 1 stalled faults with CD.S=1; stage 1 on an S1 stream with a CD per SubstreamID, stage 2 on an
 * S2 stream where IPA = the input address):
 * - F_TRANSLATION: the page is not mapped (§7.3.13);
 * - F_ADDR_SIZE at stage 1: CD.IPS = 32 bits and the page maps above 4 GB (§7.3.14);
 * - F_ACCESS: the page is mapped with AF=0 (§7.3.15);
 * - F_PERMISSION: read-only page for a write, no execute for an instruction fetch, stage 1
 *   privileged-only page for an unprivileged read, stage 2 write-only page for a read (§7.3.16);
 * - C_BAD_STE: the stream is not installed, STE.V=0 (§7.3.5);
 * - C_BAD_STREAMID: the linear stream table ends above every other StreamID of the log and at or
 *   below this one, CR2.RECINVSID=1 (§7.3.3, §6.3.25);
 * - C_BAD_CD: the CD of that SubstreamID has V=0 (§7.3.11);
 * - C_BAD_SUBSTREAMID: the SubstreamID is beyond the CD table, 2^S1CDMax (§7.3.9);
 * - F_STE_FETCH: the linear stream table placed so the logged FetchAddr is that StreamID's STE
 *   (STRTAB_BASE aligned to the table size, §6.3.24), which then aborts (§7.3.4);
 * - F_CD_FETCH: the CD table placed at the logged FetchAddr less the SubstreamID's offset, the CD
 *   then aborts (§7.3.10);
 * - CERROR_ILL at CONS (§7.1).
 */
import { decodeEvent } from './codec.ts';
import { type Trace } from './types.ts';

const hex = (v: bigint | number): string => `0x${v.toString(16)}`;
const PAGE = 0xfffn;
const MASK56 = (1n << 56n) - 1n;

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
  /** Map above 4 GB (stage-1 F_ADDR_SIZE with CD.IPS = 32 bits). */
  readonly high?: true;
}

interface Cd {
  valid: boolean;
  ips32: boolean;
  /** CD.S: faults stall (set by the first translation fault of this CD; the others must agree). */
  stall?: boolean;
  /** Page address -> need, for this SubstreamID's stage-1 table. */
  readonly pages: Map<bigint, PageNeed>;
}

interface Stream {
  readonly sid: bigint;
  readonly name: string;
  readonly role: 's1' | 's2' | 'no_ste' | 'bypass' | 'bad_sid';
  readonly cds: Map<bigint, Cd>;
  /** Stage 2: IPA page -> need. */
  readonly pages: Map<bigint, PageNeed>;
  /** Smallest SubstreamID logged in C_BAD_SUBSTREAMID (the CD table must end below it). */
  badSsid?: bigint;
  /** PA of the CD table (F_CD_FETCH: the logged FetchAddr less the SubstreamID's offset). */
  cdAt?: bigint;
}

/** Scenario-wide settings a record can ask for. */
interface Globals {
  /** STRTAB_BASE of the linear stream table (F_STE_FETCH), with its LOG2SIZE. */
  strtab?: { base: bigint; log2size: number };
  /** 64-byte structures made unreadable after setup (fetch aborts). */
  readonly aborts: bigint[];
}

const sameNeed = (a: PageNeed, b: PageNeed): boolean =>
  a.perm === b.perm && a.unmapped === b.unmapped && a.af === b.af && a.priv === b.priv && a.high === b.high;

/** The page a fault needs, or why no page can give it. */
function pageNeed(type: number, f: Readonly<Record<string, bigint>>, stage: 1 | 2): PageNeed | string {
  const exec = f['InD'] === 1n;
  const read = f['RnW'] === 1n;
  if (exec && !read) return 'an instruction fetch that writes (InD=1, RnW=0) is no transaction';
  const full = exec ? 'rwx' : 'rw';
  switch (type) {
    case 0x10:
      return { perm: 'rw', unmapped: true };
    case 0x11:
      return stage === 1 ? { perm: full, high: true } : 'stage-2 F_ADDR_SIZE needs a stage-2 output size below the PA; not scaffolded yet';
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

const NAMES: Readonly<Record<number, string>> = { 0x10: 'F_TRANSLATION', 0x11: 'F_ADDR_SIZE', 0x12: 'F_ACCESS', 0x13: 'F_PERMISSION' };
const CITES: Readonly<Record<number, string>> = {
  0x10: 'F_TRANSLATION, SMMUv3 §7.3.13',
  0x11: 'F_ADDR_SIZE for an output address beyond CD.IPS, SMMUv3 §7.3.14',
  0x12: 'F_ACCESS for AF=0, SMMUv3 §7.3.15',
  0x13: 'F_PERMISSION, SMMUv3 §7.3.16',
};

export function scaffoldScenario(trace: Trace, source: string): Scaffold {
  const streams = new Map<bigint, Stream>();
  const globals: Globals = { aborts: [] };
  const steps: string[] = [];
  const notes: string[] = [];
  let reproduced = 0;
  /** Sections of the rules the reproduced records follow, for the description. */
  const cites = new Set<string>();

  /** The stream of `sid` in `role`, or why it cannot be (an earlier record gave it another role). */
  const stream = (sid: bigint, role: Stream['role']): Stream | string => {
    let s = streams.get(sid);
    if (s === undefined) {
      s = { sid, name: `dev${sid.toString(16)}`, role, cds: new Map(), pages: new Map() };
      streams.set(sid, s);
    }
    return s.role === role
      ? s
      : `StreamID ${hex(sid)} is already scaffolded as ${s.role === 'no_ste' ? 'an uninstalled stream' : `an ${s.role.toUpperCase()} stream`}`;
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

  /** One event record: its steps pushed and true, or the reason it is not reproduced. */
  const event = (raw: readonly bigint[], at: string): string | true => {
    const e = decodeEvent(raw);
    const f = e.fields;
    const sid = f['StreamID'] ?? 0n;
    const ssid = f['SSV'] === 1n ? (f['SubstreamID'] ?? 0n) : undefined;
    const name = `${e.name} (0x${e.type.toString(16).padStart(2, '0')})`;
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
    if (e.type === 0x0a) {
      const s = stream(sid, 's1');
      if (typeof s === 'string') return s;
      const c = cd(s, ssid ?? 0n);
      if (c.valid && c.pages.size > 0) return `the CD of SubstreamID ${hex(ssid ?? 0n)} must be valid for an earlier record`;
      c.valid = false;
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
      cites.add('C_BAD_SUBSTREAMID for a SubstreamID beyond 2^STE.S1CDMax, SMMUv3 §7.3.9');
      steps.push(`  # ${at}: C_BAD_SUBSTREAMID (SubstreamID ${hex(bad)} is beyond the CD table)`);
      steps.push(dma(s, bad, 0x1000n, { RnW: 1n }));
      return true;
    }
    if (e.type === 0x03 || e.type === 0x09) {
      const fetch = f['FetchAddr'] ?? 0n;
      const sse = e.type === 0x03;
      const index = sse ? sid : (ssid ?? 0n);
      const base = fetch - index * 64n;
      if (base < 0n || (base & 63n) !== 0n) return `${name} sid=${hex(sid)}: FetchAddr ${hex(fetch)} is no ${sse ? 'STE' : 'CD'} address of a linear table`;
      if (sse) {
        // A linear stream table is aligned to its size (§6.3.24): the StreamID indexes it from an aligned base.
        let log2size = 8;
        for (const k of [...streams.keys(), sid]) while (1n << BigInt(log2size) <= k) log2size++;
        if ((base & ((64n << BigInt(log2size)) - 1n)) !== 0n)
          return `${name} sid=${hex(sid)}: STE address ${hex(fetch)} is not StreamID ${hex(sid)} of a linear stream table aligned to its ${64 << log2size}-byte size`;
        if (globals.strtab !== undefined && globals.strtab.base !== base)
          return `${name} sid=${hex(sid)}: an earlier record put the stream table at ${hex(globals.strtab.base)}`;
        const s = stream(sid, 'bypass');
        if (typeof s === 'string') return s;
        globals.strtab = { base, log2size };
        cites.add('F_STE_FETCH for an external abort on the STE fetch, FetchAddr = STRTAB_BASE + StreamID x 64, SMMUv3 §7.3.4, §5.1');
      } else {
        const s = stream(sid, 's1');
        if (typeof s === 'string') return s;
        if (s.cdAt !== undefined && s.cdAt !== base) return `${name} sid=${hex(sid)}: an earlier record put its CD table at ${hex(s.cdAt)}`;
        s.cdAt = base;
        cd(s, ssid ?? 0n);
        cites.add('F_CD_FETCH for an external abort on the CD fetch, FetchAddr = the CD address, SMMUv3 §7.3.10, §5.4');
      }
      if (!globals.aborts.includes(fetch)) {
        globals.aborts.push(fetch);
        steps.push(`  - inject_fault: { kind: ext_abort, pa: ${hex(fetch)}, size: 64 }`);
      }
      const s = streams.get(sid) as Stream;
      steps.push(`  # ${at}: ${e.name} (the ${sse ? 'STE' : 'CD'} at ${hex(fetch)} cannot be read: an external abort from here on)`);
      steps.push(dma(s, ssid, 0x1000n, { RnW: 1n }));
      return true;
    }
    if (e.type < 0x10 || e.type > 0x13) return `${name} sid=${hex(sid)}: no scaffold for this event type yet; set up its configuration by hand`;
    const stalled = f['Stall'] === 1n;
    if (stalled && f['S2'] === 1n) return `${name} sid=${hex(sid)} stalled at stage 2 (Stall=1, S2=1): STE.S2S stall configurations are not scaffolded yet`;
    if (f['CLASS'] !== 2n)
      return `${name} sid=${hex(sid)} with CLASS=${f['CLASS'] === 0n ? 'CD' : 'TT'}: only faults on the input address (CLASS=IN) are scaffolded`;
    const addr = raw[2] ?? 0n;
    const page = addr & ~PAGE;
    const stage = f['S2'] === 1n ? 2 : 1;
    if (addr >> 48n !== 0n) return `${name} sid=${hex(sid)}: address ${hex(addr)} is beyond the 48-bit range the scaffold maps`;
    const need = pageNeed(e.type, f, stage);
    if (typeof need === 'string') return `${name} sid=${hex(sid)}: ${need}`;
    if (stage === 2) {
      // A stage-2 fault of an S2-only stream: the IPA is the input address (§7.3.13-16).
      if ((f['IPA'] ?? 0n) !== (page & MASK56))
        return `${name} sid=${hex(sid)}: IPA ${hex(f['IPA'] ?? 0n)} differs from the input address: a nested (stage 1 + 2) stream, not scaffolded yet`;
      if (ssid !== undefined) return `${name} sid=${hex(sid)} with a SubstreamID: a stage-2-only stream has no substreams`;
      const s = stream(sid, 's2');
      if (typeof s === 'string') return s;
      if (!claim(s.pages, page, need)) return `${name} sid=${hex(sid)}: page ${hex(page)} already needs another mapping for an earlier record`;
    } else {
      const s = stream(sid, 's1');
      if (typeof s === 'string') return s;
      const c = cd(s, ssid ?? 0n);
      if (!c.valid) return `${name} sid=${hex(sid)}: the CD of SubstreamID ${hex(ssid ?? 0n)} is invalid for an earlier record`;
      if (c.stall !== undefined && c.stall !== stalled)
        return `${name} sid=${hex(sid)}: ${stalled ? 'stalled' : 'not stalled'}, but an earlier fault of the same CD was ${c.stall ? 'stalled' : 'not'} (CD.S is one bit per CD)`;
      if (!claim(c.pages, page, need)) return `${name} sid=${hex(sid)}: page ${hex(page)} already needs another mapping for an earlier record`;
      if (need.high) c.ips32 = true;
      c.stall = stalled;
    }
    const s = streams.get(sid) as Stream;
    const how = need.unmapped
      ? 'not mapped'
      : need.high
        ? 'mapped above 4 GB, CD.IPS = 32 bits'
        : need.af === false
          ? 'mapped with AF=0'
          : `mapped ${need.perm}${need.priv ? ', privileged only' : ''}`;
    cites.add(CITES[e.type] ?? name);
    steps.push(
      `  # ${at}: ${NAMES[e.type] ?? name} at stage ${stage}${ssid !== undefined ? `, SubstreamID ${hex(ssid)}` : ''} (the page is ${how}${stalled ? '; CD.S=1: the transaction stalls' : ''})`,
    );
    steps.push(dma(s, ssid, addr, f, stalled ? 'stall' : 'fault'));
    return true;
  };

  for (const r of trace.records) {
    const at = `line ${r.lines[0] ?? '?'}`;
    if (r.kind === 'event') {
      if (r.truncated || r.damaged !== undefined || r.raw.length < 4 || r.known !== undefined) {
        notes.push(`${at}: event record is incomplete; not reproduced`);
        continue;
      }
      const done = event(r.raw, at);
      if (done === true) reproduced++;
      else notes.push(`${at}: ${done}`);
    } else if (r.kind === 'cmdq_error') {
      if (r.cons === undefined || r.cerror !== 1 || r.command === undefined || r.command.length < 2 || r.commandDamaged !== undefined) {
        notes.push(`${at}: CMDQ error CERROR ${r.cerror}: only CERROR_ILL with both command dwords logged is reproduced`);
        continue;
      }
      const index = r.cons & 0xff;
      if ((r.cons & 0x100) !== 0) notes.push(`${at}: CONS has the wrap bit set; the scaffold places the command at index ${index} of the first pass`);
      cites.add('CERROR_ILL stops CONS on the illegal command, SMMUv3 §7.1');
      steps.push(`  # ${at}: CMDQ error (cons ${hex(r.cons)}): the logged command at CONS index ${index}`);
      steps.push(
        `  - cmdq: { index: ${index}, commands: [ { raw: ['${hex(r.command[0] ?? 0n)}', '${hex(r.command[1] ?? 0n)}'] } ], expect: { result: fault, cerror: CERROR_ILL, gerror: [CMDQ_ERR] } }`,
      );
      reproduced++;
    } else if (r.kind === 'gerror' || r.kind === 'suppressed') {
      // GERROR lines follow from the CMDQ error they report; rate-limit gaps are not events.
    } else if (r.kind !== 'qemu' && r.kind !== 'command') notes.push(`${at}: ${r.kind} record: not reproduced`);
  }
  return { yaml: render(source, [...streams.values()], globals, steps, notes, cites), reproduced, skipped: notes.length };
}

/**
 * C_BAD_SUBSTREAMID needs 2^S1CDMax <= the bad SubstreamID, above every SubstreamID used: the
 * S1CDMax, null when none fits, undefined when the log has no such record (default S1CDMax).
 */
function cdMax(s: Stream): number | null | undefined {
  if (s.badSsid === undefined) return undefined;
  let used = 0n;
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
  const stalls = s1.some((s) => [...s.cds.values()].some((c) => c.stall === true));
  const requires = [...(s1.length > 0 ? ['s1'] : []), ...(s2.length > 0 ? ['s2'] : []), ...(stalls ? ['stall'] : [])];
  if (requires.length > 0) out.push(`requires: [${requires.join(', ')}]`);
  if (streams.length > 0) {
    out.push('devices:');
    for (const s of streams) out.push(`  - { name: ${s.name}, sid: ${hex(s.sid)} }`);
  }
  let pa = 0x8000_0000n;
  let high = 0x1_0000_0000n;
  const entry = (key: 'va' | 'ipa', page: bigint, n: PageNeed): string => {
    const at = n.high ? high : pa;
    if (n.high) high += 0x1000n;
    else pa += 0x1000n;
    return `{ ${key}: ${hex(page)}, pa: ${hex(at)}, size: 4K, perm: ${n.perm}${n.af === false ? ', af: false' : ''}${n.priv ? ', priv: true' : ''} }`;
  };
  const mem: string[] = [];
  if (s1.length > 0) {
    mem.push('  s1_tables:');
    for (const s of s1)
      for (const [ssid, c] of s.cds) {
        // One page far from the logged addresses keeps the table non-empty.
        const map = ['{ va: 0x7fff_f000_0000, pa: 0x8fff_0000, size: 4K, perm: rw }'];
        for (const [page, n] of c.pages) if (!n.unmapped) map.push(entry('va', page, n));
        mem.push(`    - { name: pt${s.sid.toString(16)}_${ssid.toString(16)}, granule: 4k, va_bits: 48, map: [ ${map.join(', ')} ] }`);
      }
  }
  if (s2.length > 0) {
    mem.push('  s2_tables:');
    for (const s of s2) {
      const map = ['{ ipa: 0xff_ffff_f000, pa: 0x8fff_1000, size: 4K, perm: rw }'];
      for (const [page, n] of s.pages) if (!n.unmapped) map.push(entry('ipa', page, n));
      mem.push(`    - { name: vm${s.sid.toString(16)}, granule: 4k, ipa_bits: 48, map: [ ${map.join(', ')} ] }`);
    }
  }
  if (s1.length > 0) {
    mem.push('  cd_tables:');
    let asid = 1;
    for (const s of s1) {
      const max = cdMax(s);
      const entries = [...s.cds].map(
        ([ssid, c]) =>
          `{ ssid: ${hex(ssid)}, asid: ${asid++}, tt0: pt${s.sid.toString(16)}_${ssid.toString(16)}${c.valid ? '' : ', valid: false'}${c.ips32 ? ', ips: 0' : ''}${c.stall ? ', s: true' : ''} }`,
      );
      const at = s.cdAt !== undefined ? `, at: ${hex(s.cdAt)}` : '';
      mem.push(`    - { name: cdt${s.sid.toString(16)}${at}${typeof max === 'number' ? `, s1cdmax: ${max}` : ''}, entries: [ ${entries.join(', ')} ] }`);
      if (max === null)
        notes.push(`C_BAD_SUBSTREAMID of StreamID ${hex(s.sid)}: its SubstreamID is below another one the log uses; the CD table cannot end between them`);
    }
  }
  if (mem.length > 0) out.push('memory:', ...mem);
  const badSids = streams.filter((s) => s.role === 'bad_sid');
  if (badSids.length > 0) {
    // The table ends above every other StreamID and at or below the smallest out-of-range one.
    let log2size = 0;
    for (const s of streams) if (s.role !== 'bad_sid') while (1n << BigInt(log2size) <= s.sid) log2size++;
    const lowest = badSids.reduce((m, s) => (s.sid < m ? s.sid : m), badSids[0]?.sid ?? 0n);
    if (globals.strtab !== undefined || 1n << BigInt(log2size) > lowest)
      notes.push(`C_BAD_STREAMID of StreamID ${hex(lowest)}: the stream table cannot end below it and above the other StreamIDs of the log`);
    else globals.strtab = { base: -1n, log2size };
  }
  if (badSids.length > 0 && globals.strtab?.base === -1n) out.splice(out.indexOf('tags: [scaffold]') + 1, 0, 'smmu: { recinvsid: true }');
  if (globals.strtab !== undefined)
    out.push(
      `boot: { strtab: { ${globals.strtab.base >= 0n ? `base: ${hex(globals.strtab.base)}, ` : ''}fmt: linear, log2size: ${globals.strtab.log2size} } }`,
    );
  const bypass = streams.filter((s) => s.role === 'bypass');
  if (s1.length + s2.length + bypass.length > 0) {
    out.push('streams:');
    for (const s of bypass) out.push(`  - { device: ${s.name}, config: bypass }`);
    let vmid = 1;
    for (const s of s1) {
      // Transactions without a SubstreamID use CD 0 when the table has several (STE.S1DSS).
      const dss = [...s.cds.keys()].some((k) => k !== 0n) || s.badSsid !== undefined ? ', s1dss: ssid0' : '';
      out.push(`  - { device: ${s.name}, config: s1, cd_table: cdt${s.sid.toString(16)}${dss} }`);
    }
    for (const s of s2) out.push(`  - { device: ${s.name}, config: s2, s2_table: vm${s.sid.toString(16)}, vmid: ${vmid++} }`);
  }
  out.push('steps:');
  if (steps.length === 0) out.push('  []');
  out.push(...steps);
  for (const n of notes) out.push(`# not reproduced: ${n}`);
  return `${out.join('\n')}\n`;
}
