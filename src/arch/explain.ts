/**
 * One-line renderings for `smmu-conform explain`: a structure's non-zero fields, a decoded
 * command, and what a command does to the SMMU's caches and queues in the architecture's terms
 * (SMMUv3 §4.2-4.7). What the emulator does is in src/smmu/cmd-exec.ts; this says it in words.
 */
import type { DecodedCommand } from './command.ts';
import type { StructCodec } from './fields.ts';
import { hex } from './hex.ts';

/** `Config=0b101 (S1_TRANS) S1ContextPtr=0x1000c000 ...`: every non-zero field, enum names added. */
export function fieldsLine(codec: StructCodec, raw: readonly bigint[]): string {
  const parts = codec
    .describe(raw)
    .filter((d) => d.value !== 0n)
    .map((d) => `${d.spec.name}=${d.spec.addr === true || d.value >= 1024n ? hex(d.value) : d.value.toString()}${d.name !== undefined ? ` (${d.name})` : ''}`);
  return parts.length === 0 ? 'all fields zero' : parts.join(' ');
}

/** `CFGI_STE StreamID=0x10 Leaf=1`: the name and every non-zero field (Opcode left out). */
export function commandLine(cmd: DecodedCommand): string {
  const parts = Object.entries(cmd.fields)
    .filter(([k, v]) => k !== 'Opcode' && v !== 0n)
    .map(([k, v]) => `${k}=${v < 1024n && k !== 'Address' ? v.toString() : hex(v)}`);
  const name = cmd.name === 'UNKNOWN' ? `opcode ${hex(BigInt(cmd.opcode))} (reserved)` : cmd.name;
  return [name, ...parts].join(' ');
}

/** What executing `cmd` does (§4.x of each command). */
export function commandEffect(cmd: DecodedCommand): string {
  const f = (k: string): bigint => cmd.fields[k] ?? 0n;
  const sid = hex(f('StreamID'));
  const vmid = `VMID ${f('VMID')}`;
  const asid = `ASID ${f('ASID')}`;
  const leaf = f('Leaf') === 1n ? ' (last level only)' : '';
  const range = (what: string): string =>
    f('TG') !== 0n
      ? `${what} ${hex(f('Address'))} + (NUM+1)*2^SCALE = ${f('NUM') + 1n}*2^${f('SCALE')} granules${leaf}`
      : `${what} ${hex(f('Address'))}${leaf}`;
  switch (cmd.name) {
    case 'PREFETCH_CONFIG':
    case 'PREFETCH_ADDR':
      return 'a prefetch hint: no architectural effect (§4.2)';
    case 'CFGI_STE':
      return `config cache: the STE of StreamID ${sid}${f('Leaf') === 1n ? '' : ' and its L1STD'} invalidated (§4.3.1)`;
    case 'CFGI_STE_RANGE':
      return f('Range') === 31n
        ? 'config cache: every STE and L1STD invalidated (CFGI_ALL, §4.3.6)'
        : `config cache: the STEs of StreamIDs ${sid} aligned down to 2^${f('Range') + 1n} invalidated (§4.3.2)`;
    case 'CFGI_CD':
      return `config cache: the CD of StreamID ${sid} SubstreamID ${f('SubstreamID')}${f('Leaf') === 1n ? '' : ' and its L1CD'} invalidated (§4.3.3)`;
    case 'CFGI_CD_ALL':
      return `config cache: every CD of StreamID ${sid} invalidated (§4.3.4)`;
    case 'CFGI_VMS_PIDM':
      return `VMS PIDM entries of ${vmid} invalidated (§4.3.5)`;
    case 'TLBI_NH_ALL':
      return `TLB: every stage-1 (NS-EL1) entry of ${vmid} invalidated (§4.4.2.1)`;
    case 'TLBI_NH_ASID':
      return `TLB: the stage-1 entries of ${asid} under ${vmid} invalidated, global entries kept (§4.4.2.2)`;
    case 'TLBI_NH_VA':
      return `TLB: ${range(`stage-1 entries of ${asid} under ${vmid} (and global ones) for VA`)} invalidated (§4.4.2.4)`;
    case 'TLBI_NH_VAA':
      return `TLB: ${range(`stage-1 entries of every ASID under ${vmid} for VA`)} invalidated (§4.4.2.3)`;
    case 'TLBI_EL2_ALL':
      return 'TLB: every EL2 entry invalidated (§4.4.2.7)';
    case 'TLBI_EL2_ASID':
      return `TLB: the EL2-E2H entries of ${asid} invalidated (§4.4.2.10)`;
    case 'TLBI_EL2_VA':
      return `TLB: ${range(`EL2 entries (of ${asid} when CR2.E2H=1) for VA`)} invalidated (§4.4.2.8)`;
    case 'TLBI_EL2_VAA':
      return `TLB: ${range('EL2 entries of every ASID for VA')} invalidated (§4.4.2.9)`;
    case 'TLBI_S12_VMALL':
      return `TLB: every stage-1 and stage-2 entry of ${vmid} invalidated (§4.4.3.2)`;
    case 'TLBI_S2_IPA':
      return `TLB: ${range(`stage-2 entries of ${vmid} for IPA`)} invalidated; combined S1+S2 entries may remain (§4.4.3.1)`;
    case 'TLBI_NSNH_ALL':
      return 'TLB: every Non-secure non-EL2 entry (stage 1 and stage 2, every VMID) invalidated (§4.4.4.1)';
    case 'ATC_INV':
      return `ATS: the device's ATC entries of StreamID ${sid}${f('SSV') === 1n ? ` SubstreamID ${f('SubstreamID')}` : ''} for 2^${f('Size')} pages at ${hex(f('Address'))} invalidated (§4.5.1)`;
    case 'PRI_RESP':
      return `PRI: page request group ${f('PRGIndex')} of StreamID ${sid} answered (§4.5.2)`;
    case 'RESUME':
      return `stall: the transaction of StreamID ${sid} STAG ${f('STAG')} ${f('Ac') === 1n ? 'retried' : f('Ab') === 1n ? 'terminated with an abort' : 'terminated (RAZ/WI)'} (§4.7.1)`;
    case 'STALL_TERM':
      return `stall: every stalled transaction of StreamID ${sid} terminated with an abort (§4.7.2)`;
    case 'CMD_SYNC':
      return `completion: every earlier command has completed; signal ${['none', 'IRQ/MSI', 'SEV', 'reserved'][Number(f('CS'))]}${f('CS') === 1n && f('MSIAddr') !== 0n ? ` (MSI ${hex(f('MSIData'))} to ${hex(f('MSIAddr'))})` : ''} (§4.7.3)`;
    case 'UNKNOWN':
      return 'a reserved opcode: CERROR_ILL (§4.1.3)';
    default:
      return `${cmd.name}: not executed on the Non-secure queue (CERROR_ILL, §4.1.3)`;
  }
}
