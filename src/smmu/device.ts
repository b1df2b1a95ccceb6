/**
 * SmmuDevice: the SMMUv3 as software sees it. Registers (readReg/writeReg), the command queue
 * consumed synchronously on CMDQ_PROD writes, the event queue, the stream/CD tables read from
 * SparseMemory through the config cache, and `transaction()` for client traffic.
 *
 * One transaction produces at most one event record (§7.2). Translation faults are recorded
 * unless CD.R=0 (stage 1) / STE.S2R=0 (stage 2); F_WALK_EABT is always recorded; stalled
 * faults are always recorded (software must see them to resume). A terminated stage-1 fault
 * with CD.A=0 completes as RAZ/WI instead of aborting (unless IDR0.TERM_MODEL=1).
 */
import { type DecodedCommand } from '../arch/command.ts';
import { type EventName, eventInfo, encodeEvent } from '../arch/event.ts';
import type { FieldInput, FieldValues } from '../arch/fields.ts';
import { GBPA, REG } from '../arch/registers.ts';
import type { SparseMemory } from '../memory/sparse-memory.ts';
import { ConfigCache } from './cfgcache.ts';
import { type CmdqResult, CommandQueue, type CommandSink } from './cmdq.ts';
import { type ConfigContext, type EventSpec, l1IndexOf, resolveConfig, ssidFields, strtabGeometry, cdSplit } from './config.ts';
import { buildS1Context, buildS2Context } from './contexts.ts';
import { EventQueue } from './eventq.ts';
import { type SmmuProfile, makeProfile, profileIas } from './profile.ts';
import { RegFile, canonicalOffset } from './regfile.ts';
import { STALLABLE, StallTable } from './stall.ts';
import { Tlb } from './tlb.ts';
import { translate, translateS2Fetch } from './translate.ts';
import type { CachePolicy, TlbiParams, TranslateEnv, TranslationFault, TranslationRequest } from './translate-types.ts';
import type { WalkTrace } from './walk-trace.ts';

export type Access = 'read' | 'write' | 'exec';

export interface TransactionRequest {
  sid: number;
  ssid?: number;
  iova: bigint;
  access: Access;
  /** Incoming PnU (default false: PCIe without PASID is Unprivileged Data, §13.7). */
  privileged?: boolean;
  trace?: WalkTrace;
}

export type Stages = 's1' | 's2' | 'nested' | 'bypass';

export type TransactionResult =
  | { kind: 'translated'; pa: bigint; stages: Stages }
  | {
      kind: 'aborted';
      /** Event the fault produced (whether or not it was recorded). */
      event?: EventName;
      /** The event record was written/offered to the event queue. */
      recorded?: boolean;
      /** Terminated with RAZ/WI success instead of an abort (CD.A=0, RESUME Ab=0). */
      raz?: boolean;
      /** Aborted without any event (STE.Config=0b0xx, GBPA.ABORT). */
      silent?: boolean;
      reason?: string;
    }
  | { kind: 'stalled'; stag: number };

export type RegWriteEffect = CmdqResult;

export interface StallCompletion {
  sid: number;
  stag: number;
  action: 'retry' | 'terminate' | 'stall_term';
  result: TransactionResult;
}

export interface SmmuDeviceOptions {
  profile?: Partial<SmmuProfile>;
  mem: SparseMemory;
  cachePolicy?: CachePolicy;
}

const n = (v: FieldValues | undefined, name: string): number => Number(v?.[name] ?? 0n);

export class SmmuDevice implements CommandSink {
  readonly profile: SmmuProfile;
  readonly mem: SparseMemory;
  readonly regs: RegFile;
  readonly cfgCache: ConfigCache;
  readonly tlb: Tlb;
  readonly eventq: EventQueue;
  readonly cmdq: CommandQueue;
  readonly stalls = new StallTable<TransactionRequest>();
  /** Completions of stalled transactions (RESUME / STALL_TERM), in order. */
  readonly stallCompletions: StallCompletion[] = [];
  /** PRI_RESP commands consumed (no page-request model; recorded for observation). */
  readonly priResponses: DecodedCommand[] = [];
  /** Injected: StreamIDs whose ATS invalidations never complete. */
  readonly atcInvNeverCompletes: Set<number>;
  readonly #ctx: ConfigContext;

  constructor(opts: SmmuDeviceOptions) {
    this.profile = makeProfile(opts.profile);
    this.mem = opts.mem;
    this.regs = new RegFile(this.profile);
    this.cfgCache = new ConfigCache(opts.cachePolicy ?? 'max');
    this.tlb = new Tlb(opts.cachePolicy ?? 'max');
    this.eventq = new EventQueue(this.regs, this.mem);
    this.cmdq = new CommandQueue(this.regs, this.mem, this);
    this.atcInvNeverCompletes = new Set(this.profile.atcInvNeverCompletes);
    this.#ctx = {
      regs: this.regs,
      mem: this.mem,
      cache: this.cfgCache,
      s2Fetch: (ste, ipa) => translateS2Fetch(this.#env(undefined), buildS2Context(ste, this.profile), ipa, { iova: ipa, read: true, write: false, instruction: false, privileged: false }, 'CD'),
    };
  }

  readReg(offset: number): bigint {
    return this.regs.get(offset);
  }

  /** Software register write. A CMDQ_PROD write (or a GERRORN/CR0 write that lets the queue run) returns the CmdqResult. */
  writeReg(offset: number, value: bigint): RegWriteEffect | undefined {
    const o = canonicalOffset(offset);
    const wasEnabled = this.regs.cr0('SMMUEN');
    if (!this.regs.softwareWrite(o, value)) return undefined;
    if (wasEnabled && !this.regs.cr0('SMMUEN')) {
      // SMMUEN 1→0 terminates every stalled transaction (§3.12.2, §4.7.3).
      for (const t of this.stalls.list()) {
        this.stalls.take(t.sid, t.stag);
        this.stallCompletions.push({ sid: t.sid, stag: t.stag, action: 'terminate', result: { kind: 'aborted', reason: 'SMMUEN=0' } });
      }
    }
    switch (o) {
      case REG.CMDQ_PROD:
        return this.cmdq.consume();
      case REG.GERRORN:
      case REG.CR0:
        this.eventq.flushHeld();
        return this.regs.cr0('CMDQEN') ? this.cmdq.consume() : undefined;
      case REG.EVENTQ_CONS:
        this.eventq.flushHeld();
        return undefined;
      default:
        return undefined;
    }
  }

  /** Records newly written to the event queue since the last drain (advances EVENTQ_CONS). */
  drainEvents(): Array<{ raw: bigint[] }> {
    return this.eventq.drain();
  }

  transaction(req: TransactionRequest): TransactionResult {
    if (!this.regs.cr0('SMMUEN')) {
      // SMMUEN=0: GBPA decides, no events (§3.3.1, §6.3.14).
      if (GBPA.get([this.regs.get(REG.GBPA)], 'ABORT') === 1n) return { kind: 'aborted', silent: true, reason: 'SMMUEN=0 and GBPA.ABORT=1' };
      return { kind: 'translated', pa: BigInt.asUintN(64, req.iova), stages: 'bypass' };
    }
    const cfg = resolveConfig(this.#ctx, req.sid, req.ssid);
    if (cfg.kind === 'abort-silent') return { kind: 'aborted', silent: true, reason: cfg.reason };
    if (cfg.kind === 'fault') return this.#configFault(cfg.event, req);
    if (cfg.kind === 'bypass') return this.#bypass(req, cfg.ste, this.profile.oas);
    const { ste, cd, world } = cfg;
    const s2on = (n(ste, 'Config') & 2) !== 0;
    const s1 = cd === undefined ? undefined : buildS1Context(cd, ste, world, this.profile, s2on);
    const s2 = s2on ? buildS2Context(ste, this.profile) : undefined;
    // S1DSS=0b01 on a stage-1-only STE: no stage translates; the input is checked against the IAS (§5.2 S1DSS).
    if (s1 === undefined && s2 === undefined) return this.#bypass(req, ste, profileIas(this.profile));
    const treq = this.#request(req, ste);
    const r = translate(this.#env(req.trace), { s1, s2, iasBits: profileIas(this.profile) }, treq);
    if (r.ok) return { kind: 'translated', pa: r.pa, stages: s1 && s2 ? 'nested' : s1 ? 's1' : 's2' };
    return this.#translationFault(r.fault, req, treq, ste, cd);
  }

  // ---- CommandSink -------------------------------------------------------------------------

  atcInvalidate(sid: number): boolean {
    return !this.atcInvNeverCompletes.has(sid);
  }

  execute(cmd: DecodedCommand): void {
    const f = cmd.fields;
    const num = (k: string): number => Number(f[k] ?? 0n);
    const sid = num('StreamID');
    const tlbi = (withAsid: boolean): TlbiParams => ({
      vmid: num('VMID'), ...(withAsid ? { asid: num('ASID') } : {}), addr: f['Address'] ?? 0n, leaf: num('Leaf') === 1,
      tg: num('TG'), num: num('NUM'), scale: num('SCALE'), ttl: num('TTL'),
    });
    switch (cmd.name) {
      case 'CFGI_STE': {
        const g = strtabGeometry(this.regs);
        this.cfgCache.invalidateSte(sid, num('Leaf') === 1, l1IndexOf(g, sid));
        return;
      }
      case 'CFGI_STE_RANGE': {
        const g = strtabGeometry(this.regs);
        this.cfgCache.invalidateSteRange(sid, num('Range'), (s) => l1IndexOf(g, s));
        return;
      }
      case 'CFGI_CD': {
        const ssid = num('SubstreamID');
        this.cfgCache.invalidateCd(sid, ssid, num('Leaf') === 1, this.#cdL1Index(sid, ssid));
        return;
      }
      case 'CFGI_CD_ALL':
        this.cfgCache.invalidateCdAll(sid);
        return;
      case 'TLBI_NH_ALL': this.tlb.tlbiNhAll(num('VMID')); return;
      case 'TLBI_NH_ASID': this.tlb.tlbiNhAsid(num('VMID'), num('ASID')); return;
      case 'TLBI_NH_VA': this.tlb.tlbiNhVa(tlbi(true)); return;
      case 'TLBI_NH_VAA': this.tlb.tlbiNhVaa(tlbi(false)); return;
      case 'TLBI_EL2_ALL': this.tlb.tlbiEl2All(); return;
      case 'TLBI_EL2_ASID': this.tlb.tlbiEl2Asid(num('ASID')); return;
      case 'TLBI_EL2_VA': this.tlb.tlbiEl2Va(tlbi(true)); return;
      case 'TLBI_EL2_VAA': this.tlb.tlbiEl2Vaa(tlbi(false)); return;
      case 'TLBI_S12_VMALL': this.tlb.tlbiS12Vmall(num('VMID')); return;
      case 'TLBI_S2_IPA': this.tlb.tlbiS2Ipa(tlbi(false)); return;
      case 'TLBI_NSNH_ALL': this.tlb.tlbiNsnhAll(); return;
      case 'PRI_RESP':
        if (this.regs.cr0('SMMUEN')) this.priResponses.push(cmd); // IGNORED while SMMUEN=0 (§4.5.2)
        return;
      case 'RESUME':
        this.#resume(sid, num('STAG'), num('Ac') === 1, num('Ab') === 1);
        return;
      case 'STALL_TERM':
        for (const t of this.stalls.takeAll(sid)) {
          this.stallCompletions.push({ sid, stag: t.stag, action: 'stall_term', result: { kind: 'aborted', reason: 'CMD_STALL_TERM' } });
        }
        return;
      default:
        return; // PREFETCH_CONFIG / PREFETCH_ADDR: no architectural effect here
    }
  }

  // ---- internals ---------------------------------------------------------------------------

  #env(trace: WalkTrace | undefined): TranslateEnv {
    return { mem: this.mem, tlb: this.tlb, trace };
  }

  /** L1CD index for CFGI_CD Leaf=0, from the cached STE of the stream (if any). */
  #cdL1Index(sid: number, ssid: number): number | undefined {
    const raw = this.cfgCache.getSte(sid);
    if (raw === undefined) return undefined;
    const fmt = Number((raw[0] ?? 0n) >> 4n) & 3;
    const split = cdSplit(fmt);
    return split === undefined ? undefined : Math.floor(ssid / 2 ** split);
  }

  /** PRIVCFG / INSTCFG overrides; InD is always 0 for writes (§5.2, errata row 26). */
  #request(req: TransactionRequest, ste: FieldValues | undefined): TranslationRequest {
    const privcfg = n(ste, 'PRIVCFG');
    const instcfg = n(ste, 'INSTCFG');
    const write = req.access === 'write';
    let privileged = req.privileged ?? false;
    if (privcfg === 2) privileged = false;
    if (privcfg === 3) privileged = true;
    let instruction = req.access === 'exec';
    if (instcfg === 2) instruction = false;
    if (instcfg === 3) instruction = true;
    if (write) instruction = false;
    return { iova: BigInt.asUintN(64, req.iova), read: !write, write, instruction, privileged };
  }

  #txnFields(req: TransactionRequest, t: TranslationRequest): FieldInput {
    return { StreamID: req.sid, ...ssidFields(req.ssid), InputAddr: t.iova, RnW: t.read ? 1 : 0, PnU: t.privileged ? 1 : 0, InD: t.instruction ? 1 : 0 };
  }

  #emit(name: EventName, fields: FieldInput, opts: { mev?: boolean; stall?: boolean } = {}): void {
    const codec = eventInfo(name).codec;
    const kept: Record<string, bigint | number | boolean> = {};
    for (const [k, v] of Object.entries(fields)) if (v !== undefined && codec.has(k)) kept[k] = v;
    this.eventq.record(encodeEvent(name, kept), opts);
  }

  #configFault(ev: EventSpec, req: TransactionRequest): TransactionResult {
    let record = ev.record;
    let fields = ev.fields;
    if (ev.s2Fault !== undefined) {
      // Stage-2 fault on a CD fetch: transaction's RnW/PnU/InD/InputAddr; STE.S2R gates recording.
      const found = ev.ste;
      const t = this.#request(req, found);
      fields = { ...this.#txnFields(req, t), ...ev.fields };
      if (ev.s2Fault.type !== 'F_WALK_EABT' && found !== undefined && n(found, 'S2R') === 0) record = false;
    }
    if (record) this.#emit(ev.name, fields);
    return { kind: 'aborted', event: ev.name, recorded: record, reason: ev.reason };
  }

  #bypass(req: TransactionRequest, ste: FieldValues | undefined, limitBits: number): TransactionResult {
    const iova = BigInt.asUintN(64, req.iova);
    // Bypass with an input above the OAS (Config=0b100) or IAS (stage-1 bypass) → F_ADDR_SIZE,
    // S2=0, CLASS=IN (errata B.8, §3.4).
    if (iova >> BigInt(limitBits) !== 0n) {
      const t = this.#request(req, ste);
      this.#emit('F_ADDR_SIZE', { ...this.#txnFields(req, t), S2: 0, CLASS: 2 }, { mev: n(ste, 'MEV') === 1 });
      return { kind: 'aborted', event: 'F_ADDR_SIZE', recorded: true, reason: `bypass input 0x${iova.toString(16)} above ${limitBits} bits` };
    }
    return { kind: 'translated', pa: iova, stages: 'bypass' };
  }

  #translationFault(f: TranslationFault, req: TransactionRequest, t: TranslationRequest, ste: FieldValues, cd: FieldValues | undefined): TransactionResult {
    const stallEnabled = STALLABLE.has(f.type) && (f.s2 ? n(ste, 'S2S') === 1 : n(cd, 'S') === 1);
    const record = f.type === 'F_WALK_EABT' || stallEnabled || (f.s2 ? n(ste, 'S2R') === 1 : n(cd, 'R') === 1);
    const fields: Record<string, bigint | number | boolean | undefined> = {
      ...this.#txnFields(req, t),
      S2: f.s2 ? 1 : 0,
      CLASS: f.class === 'CD' ? 0 : f.class === 'TT' ? 1 : 2,
    };
    if (f.s2 && f.ipa !== undefined) fields['IPA'] = f.ipa & ~0xfffn;
    if (f.type === 'F_WALK_EABT' && f.fetchAddr !== undefined) fields['FetchAddr'] = f.fetchAddr & ~7n;
    if (f.type === 'F_PERMISSION' && f.class === 'TT') fields['TTRnW'] = f.ttrnw === false ? 0 : 1;
    const mev = n(ste, 'MEV') === 1;
    // Beyond IDR5.STALL_MAX outstanding stalls the transaction is terminated instead (IMPDEF choice).
    if (stallEnabled && this.stalls.size < this.profile.stallMax) {
      const stag = this.stalls.hold(req.sid, req);
      if (stag !== undefined) {
        this.#emit(f.type, { ...fields, Stall: 1, STAG: stag }, { stall: true });
        return { kind: 'stalled', stag };
      }
    }
    if (record) this.#emit(f.type, fields, { mev });
    // CD.A applies to the four Translation-related faults at stage 1 only (§5.5).
    const raz = STALLABLE.has(f.type) && !f.s2 && cd !== undefined && n(cd, 'A') === 0 && !this.profile.termModel;
    return { kind: 'aborted', event: f.type, recorded: record, ...(raz ? { raz: true } : {}), reason: `${f.type} at stage ${f.s2 ? 2 : 1}` };
  }

  #resume(sid: number, stag: number, retry: boolean, abort: boolean): void {
    const t = this.stalls.take(sid, stag);
    if (t === undefined) return; // no matching stalled transaction: no-op (§4.7.1)
    if (retry) {
      this.stallCompletions.push({ sid, stag, action: 'retry', result: this.transaction(t.req) });
      return;
    }
    // Ac=0: Ab=0 completes with RAZ/WI, Ab=1 aborts; TERM_MODEL=1 always aborts (errata row 4).
    const raz = !abort && !this.profile.termModel;
    this.stallCompletions.push({ sid, stag, action: 'terminate', result: raz ? { kind: 'aborted', raz: true, reason: 'CMD_RESUME Ac=0 Ab=0' } : { kind: 'aborted', reason: 'CMD_RESUME Ac=0 Ab=1' } });
  }
}

