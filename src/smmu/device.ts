/**
 * SmmuDevice: the SMMUv3 as software sees it. Registers (readReg/writeReg), the command queue
 * consumed synchronously on CMDQ_PROD writes (commands executed by cmd-exec.ts), the event queue,
 * the stream/CD tables read from SparseMemory through the config cache, and `transaction()`.
 *
 * One transaction produces at most one event record (§7.2). Translation faults are recorded
 * unless CD.R=0 (stage 1) / STE.S2R=0 (stage 2); F_WALK_EABT is always recorded; stalled
 * faults are always recorded (software must see them to resume). A terminated stage-1 fault
 * with CD.A=0 completes as RAZ/WI instead of aborting (unless IDR0.TERM_MODEL=1).
 */
import { type DecodedCommand } from '../arch/command.ts';
import { CLASS, EVENT_NAMES, type EventName, eventInfo, encodeEvent } from '../arch/event.ts';
import { type FieldInput, type FieldValues, num } from '../arch/fields.ts';
import { GBPA, REG } from '../arch/registers.ts';
import type { SparseMemory } from '../memory/sparse-memory.ts';
import type { BootState } from './boot.ts';
import { ConfigCache } from './cfgcache.ts';
import { type StallAction, type CommandTarget, executeCommand } from './cmd-exec.ts';
import { type CmdqResult, CommandQueue, type CommandSink } from './cmdq.ts';
import { type ConfigContext, DecodeMemo, type EventSpec, resolveConfig } from './config.ts';
import type { StreamWorld } from './config-checks.ts';
import { buildS1Context, buildS2Context, requestAfterOverrides } from './contexts.ts';
import type { S1Context, S2Context } from './walk-context.ts';
import { type EventOutcome, EventQueue } from './eventq.ts';
import { MSI_ABT_BIT, type MsiRecord, sendMsi } from './msi.ts';
import { type SmmuProfile, makeProfile, profileIas } from './profile.ts';
import { RegFile, canonicalOffset } from './regfile.ts';
import { STALLABLE, StallTable } from './stall.ts';
import { Tlb } from './tlb.ts';
import { translate, translateS2Fetch } from './translate.ts';
import type { CachePolicy } from './cache-policy.ts';
import type { TranslateEnv, TranslationFault, TranslationRequest } from './translate-types.ts';
import type { TransactionRequest, TransactionResult } from './transaction.ts';
import type { WalkTrace } from './walk-trace.ts';

export interface StallCompletion {
  sid: number;
  stag: number;
  /** 'requeue': the stall record could not be written (queue not writable); the transaction was retried once it was (§7.2.1). */
  action: StallAction;
  result: TransactionResult;
}

export interface SmmuDeviceOptions {
  profile?: Partial<SmmuProfile>;
  mem: SparseMemory;
  cachePolicy?: CachePolicy;
}

/** Each event's record with only Type set (the base every recorded event is encoded over). */
const TYPE_ONLY = Object.fromEntries(EVENT_NAMES.map((name) => [name, encodeEvent(name, {})])) as unknown as Readonly<Record<EventName, readonly bigint[]>>;

export class SmmuDevice implements CommandSink, CommandTarget {
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
  /** Register-configured MSIs sent (event queue, GERROR), in order (§3.18.2). */
  readonly msis: MsiRecord[] = [];
  /** Injected: StreamIDs whose ATS invalidations never complete. */
  readonly atcInvNeverCompletes: Set<number>;
  /** Stream-table layout from bring-up (boot.ts). */
  bootState: BootState | undefined = undefined;
  readonly #ctx: ConfigContext;
  /** Stalled transactions whose stall record was not written (queue not writable), oldest first. */
  readonly #unrecorded: Array<{ sid: number; stag: number }> = [];
  /**
   * Walk contexts of decoded STEs/CDs: the decoded objects are shared while their words are
   * unchanged (DecodeMemo), and a context is a pure function of them and the profile.
   */
  readonly #s2Contexts = new WeakMap<FieldValues, S2Context>();
  readonly #s1Contexts = new WeakMap<FieldValues, { ste: FieldValues; world: StreamWorld; nested: boolean; ctx: S1Context }>();

  constructor(opts: SmmuDeviceOptions) {
    this.profile = makeProfile(opts.profile);
    this.mem = opts.mem;
    this.regs = new RegFile(this.profile);
    this.cfgCache = new ConfigCache(opts.cachePolicy ?? 'max');
    this.tlb = new Tlb(opts.cachePolicy ?? 'max');
    this.eventq = new EventQueue(this.regs, this.mem, this.msis);
    // GERROR interrupt on every activation (§3.18.2); an aborted GERROR MSI does not signal again.
    this.regs.onGerrorActivated = (bit) => {
      if (bit === MSI_ABT_BIT.gerror) return;
      sendMsi(this.regs, this.mem, 'gerror', this.msis);
    };
    this.cmdq = new CommandQueue(this.regs, this.mem, this);
    this.atcInvNeverCompletes = new Set(this.profile.atcInvNeverCompletes);
    this.#ctx = {
      regs: this.regs,
      mem: this.mem,
      cache: this.cfgCache,
      memo: new DecodeMemo(),
      s2Fetch: (ste, ipa) =>
        translateS2Fetch(this.#env(undefined), this.#s2Context(ste), ipa, { iova: ipa, read: true, write: false, instruction: false, privileged: false }, 'CD'),
    };
  }

  readReg(offset: number): bigint {
    return this.regs.get(offset);
  }

  /** Told of every command batch the queue consumed (`explain` lists the commands a step caused). */
  onCommands: ((r: CmdqResult) => void) | undefined = undefined;

  /** Software register write. A CMDQ_PROD write (or a GERRORN/CR0 write that lets the queue run) returns the CmdqResult. */
  writeReg(offset: number, value: bigint): CmdqResult | undefined {
    const r = this.#writeReg(offset, value);
    if (r !== undefined) this.onCommands?.(r);
    return r;
  }

  #writeReg(offset: number, value: bigint): CmdqResult | undefined {
    const o = canonicalOffset(offset);
    const wasEnabled = this.regs.cr0('SMMUEN');
    if (!this.regs.softwareWrite(o, value)) return undefined;
    if (wasEnabled && !this.regs.cr0('SMMUEN')) {
      // SMMUEN 1→0 terminates every stalled transaction (§3.12.2, §4.7.3).
      for (const t of this.stalls.list()) {
        this.stalls.take(t.sid, t.stag);
        this.completeStall(t.sid, t.stag, 'terminate', { kind: 'aborted', reason: 'SMMUEN=0' });
      }
      this.#unrecorded.length = 0;
    }
    switch (o) {
      case REG.CMDQ_PROD:
        return this.cmdq.consume();
      case REG.GERRORN:
      case REG.CR0:
        this.#retryUnrecorded();
        return this.regs.cr0('CMDQEN') ? this.cmdq.consume() : undefined;
      case REG.EVENTQ_CONS:
        this.#retryUnrecorded();
        return undefined;
      default:
        return undefined;
    }
  }

  /**
   * Injected (`evtq_full`): the software model stops consuming the event queue on its own, so the
   * queue fills and overflows (§7.4); only `drainEvents(true)` (an explicit drain) consumes it.
   */
  evtqConsumerStopped = false;

  /** Records newly written to the event queue since the last drain (advances EVENTQ_CONS). */
  drainEvents(explicit = false): Array<{ raw: bigint[] }> {
    if (this.evtqConsumerStopped && !explicit) return [];
    const out = this.eventq.drain();
    this.#retryUnrecorded();
    return out;
  }

  /** Stalled transactions still waiting for a writable event queue to record their fault. */
  get unrecordedStalls(): number {
    return this.#unrecorded.length;
  }

  transaction(req: TransactionRequest): TransactionResult {
    if (!this.regs.cr0('SMMUEN')) {
      // SMMUEN=0: GBPA decides, no events (§3.3.1, §6.3.14).
      if (GBPA.get([this.regs.get(REG.GBPA)], 'ABORT') === 1n) return { kind: 'aborted', silent: true, reason: 'SMMUEN=0 and GBPA.ABORT=1' };
      const pa = BigInt.asUintN(64, req.iova);
      // An input above the OAS is aborted without an event (§3.4).
      if (pa >> BigInt(this.profile.oas) !== 0n)
        return { kind: 'aborted', silent: true, reason: `SMMUEN=0 bypass input above the ${this.profile.oas}-bit OAS` };
      return { kind: 'translated', pa, stages: 'bypass' };
    }
    const cfg = resolveConfig(this.#ctx, req.sid, req.ssid);
    if (cfg.kind === 'abort-silent') return { kind: 'aborted', silent: true, reason: cfg.reason };
    if (cfg.kind === 'fault') return this.#configFault(cfg.event, req);
    if (cfg.kind === 'bypass') return this.#bypass(req, cfg.ste, this.profile.oas);
    const { ste, cd, world } = cfg;
    const s2on = (num(ste['Config']) & 2) !== 0;
    const s1 = cd === undefined ? undefined : this.#s1Context(cd, ste, world, s2on);
    const s2 = s2on ? this.#s2Context(ste) : undefined;
    // S1DSS=0b01 on a stage-1-only STE: no stage translates; the input is checked against the IAS (§5.2 S1DSS).
    if (s1 === undefined && s2 === undefined) return this.#bypass(req, ste, profileIas(this.profile));
    const treq = requestAfterOverrides(req, ste, this.profile);
    const r = translate(this.#env(req.trace), { s1, s2, iasBits: profileIas(this.profile) }, treq);
    if (r.ok) return { kind: 'translated', pa: r.pa, stages: s1 && s2 ? 'nested' : s1 ? 's1' : 's2' };
    return this.#translationFault(r.fault, req, treq, ste, cd);
  }

  // ---- CommandSink -------------------------------------------------------------------------

  atcInvalidate(sid: number): boolean {
    return !this.atcInvNeverCompletes.has(sid);
  }

  execute(cmd: DecodedCommand): void {
    executeCommand(this, cmd);
  }

  // ---- CommandTarget (cmd-exec.ts) ----------------------------------------------------------

  completeStall(sid: number, stag: number, action: StallAction, result: TransactionResult): void {
    this.stallCompletions.push({ sid, stag, action, result });
  }

  retry(req: TransactionRequest): TransactionResult {
    return this.transaction(req);
  }

  // ---- internals ---------------------------------------------------------------------------

  #s2Context(ste: FieldValues): S2Context {
    let c = this.#s2Contexts.get(ste);
    if (c === undefined) {
      c = buildS2Context(ste, this.profile);
      this.#s2Contexts.set(ste, c);
    }
    return c;
  }

  #s1Context(cd: FieldValues, ste: FieldValues, world: StreamWorld, nested: boolean): S1Context {
    const m = this.#s1Contexts.get(cd);
    if (m !== undefined && m.ste === ste && m.world === world && m.nested === nested) return m.ctx;
    const ctx = buildS1Context(cd, ste, world, this.profile, nested);
    this.#s1Contexts.set(cd, { ste, world, nested, ctx });
    return ctx;
  }

  /** The walk environment of untraced transactions, made once (never changed). */
  #untraced: TranslateEnv | undefined;

  #env(trace: WalkTrace | undefined): TranslateEnv {
    if (trace !== undefined) return { mem: this.mem, tlb: this.tlb, trace };
    this.#untraced ??= { mem: this.mem, tlb: this.tlb, trace: undefined };
    return this.#untraced;
  }

  /** The transaction's fields of a fault record (§7.3): one object, each event layout keeps the ones it has. */
  #txnFields(req: TransactionRequest, t: TranslationRequest, s2: number, cls: number): Record<string, bigint | number | undefined> {
    const ssv = req.ssid !== undefined;
    return {
      StreamID: req.sid,
      SSV: ssv ? 1 : 0,
      SubstreamID: req.ssid,
      InputAddr: t.iova,
      RnW: t.read ? 1 : 0,
      PnU: t.privileged ? 1 : 0,
      InD: t.instruction ? 1 : 0,
      S2: s2,
      CLASS: cls,
      IPA: undefined,
      FetchAddr: undefined,
      TTRnW: undefined,
    };
  }

  #emit(name: EventName, fields: FieldInput, opts: { mev?: boolean; stall?: boolean } = {}): EventOutcome {
    // Type from the name (encodeEvent's record of no fields), then the fields this layout has
    return this.eventq.record(eventInfo(name).codec.encodeKnown(fields, TYPE_ONLY[name]), opts);
  }

  /**
   * Stall a transaction after a Translation-related fault (§3.12.2): Stall=1 record with the
   * STAG. Beyond IDR5.STALL_MAX outstanding stalls it is terminated instead (IMPDEF choice):
   * returns undefined.
   */
  #stall(name: EventName, fields: FieldInput, req: TransactionRequest): TransactionResult | undefined {
    if (this.stalls.size >= this.profile.stallMax) return undefined;
    const stag = this.stalls.hold(req.sid, req);
    if (stag === undefined) return undefined;
    if (this.#emit(name, { ...fields, Stall: 1, STAG: stag }, { stall: true }) === 'held') this.#unrecorded.push({ sid: req.sid, stag });
    return { kind: 'stalled', stag };
  }

  /**
   * Stalled transactions whose record could not be written are retried as though they had just
   * arrived once the queue is writable again (§3.12.2, §7.2.1: required when an invalidation +
   * CMD_SYNC affected them, permitted otherwise; done always here). A retry that faults again
   * records a new event (and a new STAG if it stalls again).
   */
  #retryUnrecorded(): void {
    while (this.#unrecorded.length > 0 && this.eventq.writable()) {
      const { sid, stag } = this.#unrecorded.shift() as { sid: number; stag: number };
      const t = this.stalls.take(sid, stag);
      if (t === undefined) continue; // already resumed / terminated
      this.completeStall(sid, stag, 'requeue', this.transaction(t.req));
    }
  }

  #configFault(ev: EventSpec, req: TransactionRequest): TransactionResult {
    let record = ev.record;
    let fields = ev.fields;
    if (ev.s2Fault !== undefined) {
      // Stage-2 fault on a CD fetch: transaction's RnW/PnU/InD/InputAddr; STE.S2R gates recording.
      const found = ev.ste;
      const t = requestAfterOverrides(req, found, this.profile);
      fields = { ...this.#txnFields(req, t, 0, 0), ...ev.fields };
      if (ev.s2Fault.type !== 'F_WALK_EABT' && found !== undefined && num(found['S2R']) === 0) record = false;
      // A Translation-related stage-2 fault on a CD fetch stalls with STE.S2S=1 (§3.12.2.3).
      if (STALLABLE.has(ev.s2Fault.type) && num(found?.['S2S']) === 1) {
        const stalled = this.#stall(ev.name, fields, req);
        if (stalled !== undefined) return stalled;
        record = true;
      }
    }
    if (record) this.#emit(ev.name, fields);
    return { kind: 'aborted', event: ev.name, recorded: record, reason: ev.reason, ...(ev.reasonId !== undefined ? { reasonId: ev.reasonId } : {}) };
  }

  #bypass(req: TransactionRequest, ste: FieldValues | undefined, limitBits: number): TransactionResult {
    const iova = BigInt.asUintN(64, req.iova);
    // Bypass with an input above the OAS (Config=0b100) or IAS (stage-1 bypass) → F_ADDR_SIZE,
    // S2=0, CLASS=IN (errata B.8, §3.4).
    if (iova >> BigInt(limitBits) !== 0n) {
      const t = requestAfterOverrides(req, ste, this.profile);
      this.#emit('F_ADDR_SIZE', this.#txnFields(req, t, 0, CLASS.IN), { mev: num(ste?.['MEV']) === 1 });
      return { kind: 'aborted', event: 'F_ADDR_SIZE', recorded: true, reason: `bypass input 0x${iova.toString(16)} above ${limitBits} bits` };
    }
    // Stage 2 bypassed: an IPA above the OAS is silently truncated (IAS 40 > OAS with AArch32, §3.4).
    return { kind: 'translated', pa: BigInt.asUintN(this.profile.oas, iova), stages: 'bypass' };
  }

  #translationFault(f: TranslationFault, req: TransactionRequest, t: TranslationRequest, ste: FieldValues, cd: FieldValues | undefined): TransactionResult {
    const stallEnabled = STALLABLE.has(f.type) && (f.s2 ? num(ste['S2S']) === 1 : num(cd?.['S']) === 1);
    // With stage 1 bypassed there is no CD to gate recording: the stage-1 F_ADDR_SIZE of an input
    // above the IAS is always recorded (§3.4 'If bypassing stage 1 ... F_ADDR_SIZE is recorded').
    const s1Record = cd === undefined || num(cd['R']) === 1;
    const record = f.type === 'F_WALK_EABT' || stallEnabled || (f.s2 ? num(ste['S2R']) === 1 : s1Record);
    const fields = this.#txnFields(req, t, f.s2 ? 1 : 0, CLASS[f.class]);
    if (f.s2 && f.ipa !== undefined) fields['IPA'] = f.ipa & ~0xfffn;
    if (f.type === 'F_WALK_EABT' && f.fetchAddr !== undefined) fields['FetchAddr'] = f.fetchAddr & ~7n;
    if (f.type === 'F_PERMISSION' && f.class === 'TT') fields['TTRnW'] = f.ttrnw === false ? 0 : 1;
    const mev = num(ste['MEV']) === 1;
    if (stallEnabled) {
      const stalled = this.#stall(f.type, fields, req);
      if (stalled !== undefined) return stalled;
    }
    if (record) this.#emit(f.type, fields, { mev });
    // CD.A applies to the four Translation-related faults at stage 1 only (§5.5).
    const raz = STALLABLE.has(f.type) && !f.s2 && cd !== undefined && num(cd['A']) === 0 && !this.profile.termModel;
    return { kind: 'aborted', event: f.type, recorded: record, ...(raz ? { raz: true } : {}), reason: `${f.type} at stage ${f.s2 ? 2 : 1}` };
  }
}
