/**
 * Build the walker's S1Context / S2Context from decoded (and already checked) CD / STE fields
 * (§5.2, §5.4), applying the effective-value rules: EPDx per StreamWorld, IPS/S2PS capped at
 * OAS, 8-bit ASID/VMID when the profile lacks 16-bit support, HTTU only as far as implemented.
 */
import { type FieldValues, num } from '../arch/fields.ts';
import { cdHalves, effectivePs, type StreamWorld } from './config-checks.ts';
import type { SmmuProfile } from './profile.ts';
import type { TransactionRequest } from './transaction.ts';
import { TG0_GRANULE, TG1_GRANULE } from '../arch/ttd.ts';
import type { TranslationRequest } from './translate-types.ts';
import { S1Context, S2Context } from './walk-context.ts';

/** A one-bit field is set. */
const bit = (v: bigint | undefined): boolean => (v ?? 0n) !== 0n;

export function buildS2Context(ste: FieldValues, p: SmmuProfile): S2Context {
  // S2TG uses the CD.TG0 encoding; the reserved value is C_BAD_STE (checked before), 4K if one gets here.
  const tg = TG0_GRANULE[num(ste['S2TG'])] ?? 4096;
  return new S2Context({
    vmid: p.vmid16 ? num(ste['S2VMID']) : num(ste['S2VMID']) & 0xff,
    ttb: ste['S2TTB'] ?? 0n,
    t0sz: num(ste['S2T0SZ']),
    sl0: num(ste['S2SL0']),
    tg,
    psBits: effectivePs(p, ste['S2PS'] ?? 0n),
    oasBits: p.oas,
    affd: bit(ste['S2AFFD']),
    ptw: bit(ste['S2PTW']),
    ha: bit(ste['S2HA']) && p.httu >= 1,
    // {HD,HA} = 0b10 is reserved and behaves as 0b00 (§5.2 S2HD, §5.4 HA).
    hd: bit(ste['S2HD']) && bit(ste['S2HA']) && p.httu >= 2,
  });
}

export function buildS1Context(cd: FieldValues, ste: FieldValues, world: StreamWorld, p: SmmuProfile, nested: boolean): S1Context {
  const { h0, h1 } = cdHalves(cd, world);
  const el2 = world !== 'EL1';
  // Stage-1 entries of an EL1 stream are tagged with STE.S2VMID when stage 2 is implemented.
  const vmid = el2 || !p.s2p ? 0 : p.vmid16 ? num(ste['S2VMID']) : num(ste['S2VMID']) & 0xff;
  const ips = effectivePs(p, cd['IPS'] ?? 0n);
  // CD.ASID is IGNORED for StreamWorld any-EL2 without E2H: its entries are not ASID-tagged (§5.4 ASID).
  const noAsid = world === 'EL2';
  return new S1Context({
    asid: noAsid ? 0 : p.asid16 ? num(cd['ASID']) : num(cd['ASID']) & 0xff,
    vmid,
    el2,
    ...(noAsid ? { el2NoAsid: true } : {}),
    t0sz: num(cd['T0SZ']),
    tg0: TG0_GRANULE[num(cd['TG0'])] ?? 4096,
    ttb0: cd['TTB0'] ?? 0n,
    epd0: !h0,
    t1sz: num(cd['T1SZ']),
    tg1: TG1_GRANULE[num(cd['TG1'])] ?? 4096,
    ttb1: cd['TTB1'] ?? 0n,
    epd1: !h1,
    ipsBits: nested ? Math.min(ips, Math.max(p.oas, (p.ttf & 1) !== 0 ? 40 : 0)) : ips,
    oasBits: p.oas,
    tbi0: bit(cd['TBI0']),
    tbi1: bit(cd['TBI1']),
    affd: bit(cd['AFFD']),
    ha: bit(cd['HA']) && p.httu >= 1,
    hd: bit(cd['HD']) && bit(cd['HA']) && p.httu >= 2,
    wxn: bit(cd['WXN']),
    uwxn: bit(cd['UWXN']),
    pan: bit(cd['PAN']),
    ds: bit(cd['DS']) && p.ds,
  });
}

/**
 * The transaction as translated and reported: STE.PRIVCFG / INSTCFG overrides applied (0b01
 * reserved, behaves as 0b00); InD is always 0 for writes (§5.2, §7.3, errata row 26). Incoming
 * PnU defaults to Unprivileged (PCIe without a PASID prefix, §13.7). Applied only with
 * IDR1.ATTR_PERMS_OVR=1.
 */
export function requestAfterOverrides(req: TransactionRequest, ste: FieldValues | undefined, p: SmmuProfile): TranslationRequest {
  // Without IDR1.ATTR_PERMS_OVR both fields are RES0 and the incoming attributes are used (§5.2).
  const use = ste !== undefined && p.attrPermsOvr;
  const privcfg = use ? num(ste['PRIVCFG']) : 0;
  const instcfg = use ? num(ste['INSTCFG']) : 0;
  const write = req.access === 'write';
  const privileged = privcfg === 2 ? false : privcfg === 3 ? true : (req.privileged ?? false);
  const instruction = !write && (instcfg === 2 ? false : instcfg === 3 ? true : req.access === 'exec');
  return { iova: BigInt.asUintN(64, req.iova), read: !write, write, instruction, privileged };
}
