/**
 * `trace scaffold LOG`: a starting scenario that reproduces the records of a kernel log
 * (issue 15 item 8). Each event record becomes a device (its StreamID) and a DMA at the logged
 * address with the logged access, under the configuration that yields that event type; each
 * CMDQ error places the logged command at the logged CONS index (`cmdq.index`). Records it
 * cannot reproduce are listed as comments saying why, never dropped silently.
 *
 * Reproduced now: F_TRANSLATION at stage 1 (S1 stream, the address unmapped, CD.R=1: CLASS=IN),
 * C_BAD_STE (a device whose stream is not installed: STE.V=0, SMMUv3 §5.2), CERROR_ILL at CONS.
 */
import { decodeEventGeneric } from '../linux/event-view.ts';
import { type Trace } from './types.ts';

const hex = (v: bigint | number): string => `0x${v.toString(16)}`;

export interface Scaffold {
  readonly yaml: string;
  /** Records reproduced / left as comments. */
  readonly reproduced: number;
  readonly skipped: number;
}

export function scaffoldScenario(trace: Trace, source: string): Scaffold {
  const devices = new Map<bigint, string>();
  const s1Streams = new Set<bigint>();
  const steps: string[] = [];
  const notes: string[] = [];
  let reproduced = 0;
  /** Sections of the rules the reproduced records follow, for the description. */
  const cites = new Set<string>();
  const device = (sid: bigint): string => {
    let d = devices.get(sid);
    if (d === undefined) {
      d = `dev${sid.toString(16)}`;
      devices.set(sid, d);
    }
    return d;
  };
  for (const r of trace.records) {
    const at = `line ${r.lines[0] ?? '?'}`;
    if (r.kind === 'event') {
      if (r.truncated || r.damaged !== undefined || r.raw.length < 4) {
        notes.push(`${at}: event record is incomplete; not reproduced`);
        continue;
      }
      const e = decodeEventGeneric(r.raw);
      const f = e.fields;
      const sid = f['StreamID'] ?? 0n;
      if (e.type === 0x10 && f['S2'] === 0n && f['SSV'] === 0n && f['CLASS'] === 2n) {
        s1Streams.add(sid);
        const access = f['InD'] === 1n ? 'exec' : f['RnW'] === 1n ? 'read' : 'write';
        const priv = f['PnU'] === 1n ? ', priv: true' : '';
        cites.add('F_TRANSLATION at stage 1 with CLASS=IN, SMMUv3 §7.3.13');
        steps.push(`  # ${at}: F_TRANSLATION, stage 1, CLASS=IN`);
        steps.push(`  - dma: { device: ${device(sid)}, iova: ${hex(f['InputAddr'] ?? 0n)}, access: ${access}${priv}, expect: { result: fault } }`);
        reproduced++;
      } else if (e.type === 0x04) {
        cites.add('C_BAD_STE for STE.V=0, SMMUv3 §7.3.5');
        steps.push(`  # ${at}: C_BAD_STE (the device's stream is not installed: STE.V=0)`);
        steps.push(`  - dma: { device: ${device(sid)}, iova: ${hex(f['InputAddr'] ?? 0n)}, access: read, expect: { result: fault } }`);
        reproduced++;
      } else
        notes.push(
          `${at}: ${e.name} (0x${e.type.toString(16).padStart(2, '0')}) sid=${hex(sid)}: no scaffold for this event type yet; set up its configuration by hand`,
        );
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
  const out: string[] = [
    '# yaml-language-server: $schema=../../schemas/scenario.schema.json',
    `# Scaffolded by \`smmu-conform trace scaffold\` from ${source}: a starting point. Check every`,
    '# configuration against the real one before trusting a MATCH, and cite the rule in the description.',
    'description: >',
    `  Reproduces the SMMU records of ${source} (scaffold; ${[...cites].join('; ') || 'no record reproduced; event records, SMMUv3 §7.3'}).`,
    'tags: [scaffold]',
  ];
  if (s1Streams.size > 0) out.push('requires: [s1]');
  if (devices.size > 0) {
    out.push('devices:');
    for (const [sid, name] of devices) out.push(`  - { name: ${name}, sid: ${hex(sid)} }`);
  }
  if (s1Streams.size > 0) {
    // One page mapped far from the faulting addresses; the CD has R=1 so faults are recorded.
    out.push(
      'memory:',
      '  s1_tables:',
      '    - { name: pt0, granule: 4k, va_bits: 48, map: [ { va: 0x7fff_f000_0000, pa: 0x8000_0000, size: 4K, perm: rw } ] }',
    );
    out.push('  cd_tables:', '    - { name: cdt0, entries: [ { ssid: 0, asid: 1, tt0: pt0 } ] }');
    out.push('streams:');
    for (const sid of s1Streams) out.push(`  - { device: ${devices.get(sid)}, config: s1, cd_table: cdt0 }`);
  }
  out.push('steps:');
  if (steps.length === 0) out.push('  []');
  out.push(...steps);
  for (const n of notes) out.push(`# not reproduced: ${n}`);
  return { yaml: `${out.join('\n')}\n`, reproduced, skipped: notes.length };
}
