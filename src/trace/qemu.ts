/**
 * QEMU trace-events importer for the SMMU (emulator-models.md §4.1): the `log` backend prints
 * one line per event, `name args`, optionally prefixed with `pid@sec.usec:`.
 *
 * - smmuv3_record_event (≤ 9.x) / smmuv3_propagate_event: an event, known fields Type and
 *   StreamID; the `smmuv3_translate_abort` line that follows for the same SID adds InputAddr.
 * - smmuv3_cmdq_opcode `<--- SMMU_CMD_X`: a command record.
 * - smmuv3_cmdq_consume_error `Error on SMMU_CMD_X command execution: N`: a CMDQ error.
 * - smmuv3_write_gerror `toggled=0x.., new GERROR=0x..`: a GERROR record.
 * - any other smmu* line (smmu_ptw_*, smmuv3_translate_*, caches, ...): kept with its arguments.
 */
import { eventTypeByName, eventField, setField } from './codec.ts';
import { type EventRecord, type Trace, type TraceDiagnostic, type TraceRecord, diag, instancesOf } from './types.ts';

/** QEMU spellings that differ from the architecture names. */
const QEMU_EVENT_ALIASES: Readonly<Record<string, string>> = {
  F_TRANS_FORBIDDEN: 'F_TRANSL_FORBIDDEN',
  E_PAGE_REQ: 'E_PAGE_REQUEST',
  F_STE_FETCH: 'F_STE_FETCH',
};

/** QEMU `SMMU_CMD_X` → architecture name (QEMU says SYNC for CMD_SYNC). */
function qemuCommandName(q: string): string {
  const n = q.replace(/^SMMU_CMD_/, '');
  return n === 'SYNC' ? 'CMD_SYNC' : n;
}

/** `0x1f` or decimal `31` (QEMU formats SIDs both ways across versions). */
function parseNum(s: string): bigint | undefined {
  if (s.startsWith('0x') || s.startsWith('0X')) return /^0[xX][0-9a-fA-F]+$/.test(s) ? BigInt(s) : undefined;
  return /^[0-9]+$/.test(s) ? BigInt(s) : undefined;
}

/** `key=value` and `key:value` pairs (values end at space or comma). */
export function parseArgs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const tok of text.split(/[\s,]+/)) {
    const eq = tok.indexOf('=');
    const co = tok.indexOf(':');
    const k = eq > 0 ? eq : co > 0 ? co : -1;
    if (k <= 0 || k === tok.length - 1) continue;
    out[tok.slice(0, k)] = tok.slice(k + 1);
  }
  return out;
}

export function importQemu(text: string, opts: { instance?: string } = {}): Trace {
  const diagnostics: TraceDiagnostic[] = [];
  const records: TraceRecord[] = [];
  const instance = opts.instance ?? '';
  /** Events still waiting for their translate_abort line, by SID. */
  const waiting = new Map<bigint, EventRecord>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const ln = i + 1;
    let t = (lines[i] ?? '').trim();
    if (t === '') continue;
    let timestamp: string | undefined;
    // "1234@1700000000.123456:name args"
    const at = t.indexOf('@');
    const sp = t.indexOf(' ');
    if (at > 0 && (sp < 0 || at < sp)) {
      const colon = t.indexOf(':', at);
      if (colon > at) {
        timestamp = t.slice(0, colon);
        t = t.slice(colon + 1).trimStart();
      }
    }
    if (!t.startsWith('smmu')) continue;
    const nameEnd = t.indexOf(' ');
    const name = nameEnd < 0 ? t : t.slice(0, nameEnd);
    const argText = nameEnd < 0 ? '' : t.slice(nameEnd + 1).trim();
    const base = timestamp !== undefined ? { instance, lines: [ln], timestamp } : { instance, lines: [ln] };
    if (name === 'smmuv3_record_event' || name === 'smmuv3_propagate_event') {
      const [typeTok = '', sidTok = ''] = argText.split(/\s+/);
      const typeName = typeTok.replace(/^SMMU_EVT_/, '');
      const arch = QEMU_EVENT_ALIASES[typeName] ?? typeName;
      const type = eventTypeByName(arch);
      const sid = sidTok.startsWith('sid=') ? parseNum(sidTok.slice(4)) : undefined;
      if (sid === undefined) {
        diag(diagnostics, 'error', 'UNPARSEABLE', ln, `cannot parse ${name} arguments: "${argText}"`);
        continue;
      }
      const raw = [0n, 0n, 0n, 0n];
      const known = ['StreamID'];
      setField(raw, eventField('StreamID'), sid);
      if (type !== undefined) {
        setField(raw, eventField('Type'), BigInt(type));
        known.unshift('Type');
      } else diag(diagnostics, 'warning', 'UNKNOWN_EVENT', ln, `unknown QEMU event type "${typeTok}"`);
      const rec: EventRecord = { kind: 'event', ...base, raw, known };
      records.push(rec);
      waiting.set(sid, rec);
      continue;
    }
    if (name === 'smmuv3_translate_abort') {
      const a = parseArgs(argText);
      const sid = a['sid'] !== undefined ? parseNum(a['sid']) : undefined;
      const iovaText = a['iova'] ?? argText.match(/abort on iova:(0x[0-9a-fA-F]+)/)?.[1];
      const iova = iovaText !== undefined ? parseNum(iovaText) : undefined;
      const ev = sid !== undefined ? waiting.get(sid) : undefined;
      if (ev !== undefined && iova !== undefined && ev.known !== undefined) {
        setField(ev.raw, eventField('InputAddr'), iova);
        ev.known.push('InputAddr');
        ev.lines.push(ln);
        if (sid !== undefined) waiting.delete(sid);
      }
    }
    if (name === 'smmuv3_cmdq_opcode') {
      const cmd = qemuCommandName(argText.replace(/^<-+\s*/, ''));
      records.push({ kind: 'command', ...base, name: cmd });
      continue;
    }
    if (name === 'smmuv3_cmdq_consume_error') {
      const m = /^Error on (\S+) command execution: (\d+)/.exec(argText);
      if (m === null) {
        diag(diagnostics, 'error', 'UNPARSEABLE', ln, `cannot parse ${name} arguments: "${argText}"`);
        continue;
      }
      const cmd = qemuCommandName(m[1] ?? '');
      records.push({ kind: 'cmdq_error', ...base, cerror: Number(m[2]), reason: '', commandName: cmd });
      continue;
    }
    if (name === 'smmuv3_write_gerror') {
      const a = parseArgs(argText);
      const toggled = a['toggled'] !== undefined ? parseNum(a['toggled']) : undefined;
      if (toggled === undefined) diag(diagnostics, 'warning', 'UNPARSEABLE', ln, `cannot parse ${name} arguments: "${argText}"`);
      else records.push({ kind: 'gerror', ...base, active: Number(toggled), causes: [] });
      continue;
    }
    records.push({ kind: 'qemu', ...base, name, args: parseArgs(argText), text: argText });
  }
  return { format: 'qemu', instances: instancesOf(records), records, diagnostics };
}
