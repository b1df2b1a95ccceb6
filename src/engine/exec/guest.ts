/**
 * The guest in a scenario (top-level `guest:`): guest RAM (IPA ram_ipa, default 0x6000_0000,
 * backed at PA ram_pa, default 0x8000_0000, 1 MiB) is mapped into the nest parent's stage 2 when
 * the first NEST_PARENT with an s2_table is allocated. The guest driver's structures live there:
 * CMDQ at ram_ipa, EVTQ at +0x1_0000, stream table at +0x2_0000, and (rfc-2023) the CONS word the
 * host reads and writes back at +0x3_0000.
 *
 * current uAPI: a VSmmu (src/vmm) forwarding to `guest.viommu`, created at the first guest step
 * with the vDEVICEs and vEVENTQ that exist by then (later vDEVICEs are seen too).
 * rfc-2023: the guest CMDQ is handed to the host as is (Rfc2023.invalidate on guest.nested_hwpt).
 *
 * Step records:
 *   guest_cmdq    commands, prod, cons (guest CMDQ_CONS; ERR shown only while GERROR.CMDQ_ERR is
 *                 active), cerror, gerror (active guest bits), forwarded (host batches this step),
 *                 hung + timeout_cons (current uAPI); errno, issued (rfc-2023).
 *                 result ok | fault (CERROR) | stall (guest CMD_SYNC never completes) | error.
 *   guest_events  written, lost, evtq_prod, evtq_cons; records → guest_events (source guest_evtq).
 *
 * A guest whose backing objects were never created (the NEST_PARENT, the vIOMMU or, rfc-2023, the
 * nested HWPT failed to allocate, e.g. nesting refused by an IIDR erratum) still runs to an answer:
 * the VMM's IOMMUFD calls would name an ID the kernel never handed out, so the step records
 * result error, errno ENOENT ("ENOENT missing ID", linux-smmuv3-iommufd.md §6.1) and `missing`.
 */
import { hex32 } from '../../arch/fields.ts';
import { CERROR_NAME } from '../../arch/command.ts';
import { CMDQ_BASE, CMDQ_CONS, CR0, EVENTQ_BASE, GERROR_BIT, STRTAB_BASE, STRTAB_BASE_CFG } from '../../arch/registers.ts';
import { cmdSync } from '../../host/commands.ts';
import type { Command } from '../../scenario/types.ts';
import { GuestMemory } from '../../vmm/guest-mem.ts';
import { type Ring, ringIndex, ringInc } from '../../arch/queue.ts';
import { VSmmu } from '../../vmm/vsmmu.ts';
import type { EventRecord, ObsValue } from '../../scenario/observation.ts';
import type { ExecContext, StepOut } from './context.ts';
import { eventRecord } from './events.ts';
import { guestCommand } from './host-world.ts';
import type { GuestWorld, HostWorld } from './world.ts';

const EVTQ_OFF = 0x1_0000n;
const STRTAB_OFF = 0x2_0000n;
const CONS_OFF = 0x3_0000n;

export function setupGuestRam(ctx: ExecContext, h: HostWorld, parentId: number): GuestWorld {
  const g = ctx.scenario.guest ?? {};
  const ram = g.ram_ipa ?? 0x6000_0000n;
  const gm = new GuestMemory(ctx.mem);
  gm.addRam(ram, g.ram_pa ?? 0x8000_0000n, g.ram_size ?? 0x10_0000n);
  gm.mapIntoS2((ipa, pa, size) => h.fd.s2Map(parentId, ipa, pa, size));
  return { gm, ram, log2: g.cmdq_log2size ?? 8, evtqLog2: g.evtq_log2size ?? 6, vs: undefined, prod: 0 };
}

/** The step's answer when an object the guest stands on was never created (see above). */
function missing(what: string, fields: Record<string, ObsValue> = {}): StepOut {
  return { result: 'error', fields: { errno: 'ENOENT', missing: what, ...fields } };
}

/** The guest's VSmmu, or what was never created (the vIOMMU it forwards to). */
function vsmmuOf(ctx: ExecContext, h: HostWorld, g: GuestWorld): VSmmu | string {
  if (g.vs !== undefined) return g.vs;
  const name = ctx.scenario.guest?.viommu ?? '';
  const vi = h.names.get(name);
  if (vi === undefined) return `viommu ${name}`;
  const q = h.veventqOf.get(vi);
  const vs = new VSmmu({ iommufd: h.fd, viommuId: vi, guestMem: g.gm, vdevs: h.vdevs.get(vi) ?? new Map(), ...(q !== undefined ? { veventqId: q } : {}) });
  // guest driver probe: queues and stream table in guest RAM, then SMMUEN | EVENTQEN | CMDQEN
  vs.writeReg('CMDQ_BASE', reg(CMDQ_BASE.encodeMasked({ ADDR: g.ram, LOG2SIZE: g.log2 })));
  vs.writeReg('EVENTQ_BASE', reg(EVENTQ_BASE.encodeMasked({ ADDR: g.ram + EVTQ_OFF, LOG2SIZE: g.evtqLog2 })));
  vs.writeReg('STRTAB_BASE', reg(STRTAB_BASE.encodeMasked({ ADDR: g.ram + STRTAB_OFF })));
  vs.writeReg('STRTAB_BASE_CFG', reg(STRTAB_BASE_CFG.encode({ LOG2SIZE: 6 })));
  vs.writeReg('CR0', reg(CR0.encode({ SMMUEN: 1, EVENTQEN: 1, CMDQEN: 1 })));
  g.vs = vs;
  return vs;
}

/** A 1-dword register value from a codec's encode. */
const reg = (dwords: readonly bigint[]): bigint => dwords[0] ?? 0n;

/** Guest IPA of the command slot of queue value `v` (index + wrap). */
const cmdSlot = (g: GuestWorld, v: number): bigint => g.ram + BigInt(ringIndex({ log2: g.log2 }, v) * 16);

function writeRing(g: GuestWorld, cmds: readonly (readonly bigint[])[]): void {
  const ring: Ring = { log2: g.log2 };
  for (const c of cmds) {
    g.gm.writeWords(cmdSlot(g, g.prod), c);
    g.prod = ringInc(ring, g.prod);
  }
}

export function guestEventsStep(ctx: ExecContext, h: HostWorld, n: number): StepOut {
  const g = h.guest;
  // guest RAM is mapped into the first NEST_PARENT with an s2_table: none was created
  if (g === undefined) return missing('nest_parent');
  const vs = vsmmuOf(ctx, h, g);
  if (typeof vs === 'string') return missing(vs);
  const p = vs.pollEvents();
  for (const raw of vs.readGuestEvents()) h.guestEvents.push({ ...eventRecord(n, raw), source: 'guest_evtq' } as EventRecord);
  const st = vs.state();
  return { result: 'ok', fields: { written: p.written, lost: p.lost, evtq_prod: hex32(st.evtqProd), evtq_cons: hex32(st.evtqCons) } };
}

export function guestCmdqStep(ctx: ExecContext, h: HostWorld, commands: readonly Command[], ackGerror: boolean, where: string): StepOut {
  const g = h.guest;
  const cmdCount = { commands: commands.length };
  if (g === undefined) return missing('nest_parent', cmdCount);
  const cmds = commands.map((c, i) => guestCommand(ctx.scenario, c, `${where} command ${i + 1}`));
  if (h.rfc !== undefined) return rfcGuestCmdq(ctx, h, g, cmds, ackGerror, where);
  const vs = vsmmuOf(ctx, h, g);
  if (typeof vs === 'string') return missing(vs, cmdCount);
  const before = vs.state();
  if (ackGerror) {
    // Linux's cmdq_skip_err in the guest: the failing slot becomes a CMD_SYNC, then GERRORN
    g.gm.writeWords(cmdSlot(g, before.cons), cmdSync(0));
    vs.writeReg('GERRORN', vs.readReg('GERROR'));
  }
  writeRing(g, cmds);
  if (cmds.length > 0) vs.writeReg('CMDQ_PROD', BigInt(g.prod));
  const st = vs.state();
  const active = ((st.gerror ^ st.gerrorn) & GERROR_BIT.CMDQ_ERR) !== 0n;
  const consVal = active ? reg(CMDQ_CONS.encode({ RD: st.cons, ERR: st.err })) : BigInt(st.cons);
  const fields: Record<string, ObsValue> = {
    commands: cmds.length,
    prod: hex32(BigInt(st.prod)),
    cons: hex32(consVal),
    cerror: active ? (CERROR_NAME[st.err] ?? 'CERROR_UNKNOWN') : 'CERROR_NONE',
    gerror: active ? ['CMDQ_ERR'] : [],
    forwarded: st.forwarded.length - before.forwarded.length,
    hung: st.hung,
  };
  const t = st.timeouts.at(-1);
  if (st.hung && t !== undefined) fields['timeout_cons'] = hex32(BigInt(t.cons));
  return { result: st.hung ? 'stall' : active ? 'fault' : 'ok', fields };
}

function rfcGuestCmdq(ctx: ExecContext, h: HostWorld, g: GuestWorld, cmds: bigint[][], ack: boolean, where: string): StepOut {
  const rfc = h.rfc;
  const name = ctx.scenario.guest?.nested_hwpt ?? '';
  const hwpt = h.names.get(name);
  if (rfc === undefined) throw new Error(`Cannot run ${where}: not an rfc-2023 host`);
  if (hwpt === undefined) return missing(`nested_hwpt ${name}`, { commands: cmds.length });
  const consAt = g.ram + CONS_OFF;
  const consWord = (): bigint => (g.gm.read64(consAt) ?? 0n) & 0xffff_ffffn;
  if (ack) {
    // the guest driver skips the failing entry (rewritten to CMD_SYNC, which the RFC ignores) and clears ERR
    const c = consWord();
    g.gm.writeWords(cmdSlot(g, Number(CMDQ_CONS.get([c], 'RD'))), cmdSync(0));
    const w = g.gm.read64(consAt) ?? 0n;
    g.gm.write64(consAt, (w & ~0xffff_ffffn) | reg(CMDQ_CONS.with([c], 'ERR', 0)));
  }
  writeRing(g, cmds);
  const r = rfc.invalidate(hwpt, { cmdqUptr: g.ram, cmdqConsUptr: consAt, cmdqProd: g.prod, cmdqEntrySize: 16, cmdqLog2size: g.log2 }, g.gm);
  const cons = consWord();
  const err = Number(CMDQ_CONS.get([cons], 'ERR'));
  const fields: Record<string, ObsValue> = {
    errno: r.errno,
    commands: cmds.length,
    prod: hex32(BigInt(g.prod)),
    cons: hex32(cons),
    cerror: CERROR_NAME[err] ?? 'CERROR_UNKNOWN',
    issued: r.issued?.length ?? 0,
  };
  return { result: r.errno === 0 ? 'ok' : 'error', fields };
}
