/**
 * Trace ↔ plain JSON/YAML (schemas/trace.schema.json): 64-bit values become fixed-width hex
 * strings (`0x0000000800000010`), 32-bit register values 8-digit hex, other addresses and IDs
 * minimal hex. Key order is fixed, so the output is deterministic.
 */
import { hex32, hex64 } from '../arch/fields.ts';
import { type LoggedEvent, type Trace, type TraceRecord } from './types.ts';
import { hex } from '../arch/hex.ts';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

function loggedToJson(l: LoggedEvent): Obj {
  const o: Obj = { name: l.name, client: l.client, sid: hex(l.sid), ssid: hex(l.ssid) };
  if (l.iova !== undefined) o['iova'] = hex(l.iova);
  if (l.ipa !== undefined) o['ipa'] = hex(l.ipa);
  if (l.fetchAddr !== undefined) o['fetchAddr'] = hex(l.fetchAddr);
  if (l.flags) {
    const f = l.flags;
    const fo: Obj = { priv: f.priv, inst: f.inst, read: f.read, s2: f.s2, classText: f.classText };
    if (f.ttd !== undefined) fo['ttd'] = f.ttd;
    fo['stall'] = f.stall;
    fo['stag'] = hex(f.stag);
    o['flags'] = fo;
  }
  o['textLines'] = l.textLines;
  return o;
}

export function recordToJson(r: TraceRecord): Obj {
  const o: Obj = { kind: r.kind, instance: r.instance, lines: [...r.lines] };
  if (r.timestamp !== undefined) o['timestamp'] = r.timestamp;
  switch (r.kind) {
    case 'event':
      o['raw'] = r.raw.map(hex64);
      if (r.truncated) o['truncated'] = true;
      if (r.damaged !== undefined) o['damaged'] = [...r.damaged];
      if (r.headerType !== undefined) o['headerType'] = r.headerType;
      if (r.known !== undefined) o['known'] = [...r.known];
      if (r.collapsed !== undefined) o['collapsed'] = r.collapsed;
      if (r.logged !== undefined) o['logged'] = loggedToJson(r.logged);
      break;
    case 'cmdq_error':
      if (r.cons !== undefined) o['cons'] = hex32(r.cons);
      o['cerror'] = r.cerror;
      o['reason'] = r.reason;
      if (r.command !== undefined) o['command'] = r.command.map(hex64);
      if (r.commandTruncated) o['commandTruncated'] = true;
      if (r.commandDamaged !== undefined) o['commandDamaged'] = [...r.commandDamaged];
      if (r.commandName !== undefined) o['commandName'] = r.commandName;
      if (r.retrying) o['retrying'] = true;
      if (r.unconverted) o['unconverted'] = true;
      break;
    case 'sync_timeout':
      if (r.prod !== undefined) o['prod'] = hex32(r.prod);
      if (r.hwprod !== undefined) o['hwprod'] = hex32(r.hwprod);
      if (r.hwcons !== undefined) o['hwcons'] = hex32(r.hwcons);
      break;
    case 'overflow':
      o['queue'] = r.queue;
      break;
    case 'gerror':
      if (r.active !== undefined) o['active'] = hex32(r.active);
      o['causes'] = [...r.causes];
      break;
    case 'suppressed':
      o['count'] = r.count;
      o['func'] = r.func;
      break;
    case 'command':
      o['name'] = r.name;
      break;
    case 'qemu':
      o['name'] = r.name;
      o['args'] = { ...r.args };
      o['text'] = r.text;
      break;
    case 'cmdq_timeout':
      break;
    case 'pri':
      o['sid'] = hex32(r.sid);
      o['ssid'] = hex32(r.ssid);
      o['group'] = r.group;
      o['last'] = r.last;
      o['privileged'] = r.privileged;
      o['read'] = r.read;
      o['write'] = r.write;
      o['exec'] = r.exec;
      o['iova'] = hex64(r.iova);
      break;
  }
  return o;
}

export function traceToJson(t: Trace): Obj {
  // Same key order as the YAML, which is written as the records are read (instances known last).
  return {
    format: t.format,
    records: t.records.map(recordToJson),
    instances: [...t.instances],
    diagnostics: t.diagnostics.map((d) => ({ code: d.code, severity: d.severity, line: d.line, message: d.message })),
  };
}

export function traceToYaml(t: Trace): string {
  const parts: string[] = [];
  writeTraceYaml(t, (c) => parts.push(c));
  return parts.join('');
}

const big = (v: unknown): bigint => BigInt(String(v));
const num = (v: unknown): number => Number(BigInt(String(v)));

function loggedFromJson(o: Record<string, unknown>): LoggedEvent {
  const l: LoggedEvent = {
    name: String(o['name']),
    client: String(o['client']),
    sid: big(o['sid']),
    ssid: big(o['ssid']),
    textLines: (o['textLines'] as number[]) ?? [],
  };
  if (o['iova'] !== undefined) l.iova = big(o['iova']);
  if (o['ipa'] !== undefined) l.ipa = big(o['ipa']);
  if (o['fetchAddr'] !== undefined) l.fetchAddr = big(o['fetchAddr']);
  const f = o['flags'] as Record<string, unknown> | undefined;
  if (f !== undefined) {
    l.flags = {
      priv: f['priv'] === true,
      inst: f['inst'] === true,
      read: f['read'] === true,
      s2: f['s2'] === true,
      classText: String(f['classText']),
      stall: f['stall'] === true,
      stag: big(f['stag']),
    };
    if (f['ttd'] === 'read' || f['ttd'] === 'write') l.flags.ttd = f['ttd'];
  }
  return l;
}

/** Inverse of traceToJson. Input is assumed schema-valid (validate with ajv first if untrusted). */
export function traceFromJson(j: unknown): Trace {
  const o = j as Record<string, unknown>;
  const records = ((o['records'] as Record<string, unknown>[]) ?? []).map((r): TraceRecord => {
    const b = { instance: String(r['instance'] ?? ''), lines: [...((r['lines'] as number[]) ?? [])] } as {
      instance: string;
      lines: number[];
      timestamp?: string;
    };
    if (typeof r['timestamp'] === 'string') b.timestamp = r['timestamp'];
    switch (r['kind']) {
      case 'event': {
        const e: TraceRecord = { kind: 'event', ...b, raw: ((r['raw'] as string[]) ?? []).map(big) };
        if (r['truncated'] === true) e.truncated = true;
        if (Array.isArray(r['damaged'])) e.damaged = (r['damaged'] as number[]).map(Number);
        if (typeof r['headerType'] === 'number') e.headerType = r['headerType'];
        if (Array.isArray(r['known'])) e.known = (r['known'] as string[]).map(String);
        if (typeof r['collapsed'] === 'number') e.collapsed = r['collapsed'];
        if (r['logged'] !== undefined) e.logged = loggedFromJson(r['logged'] as Record<string, unknown>);
        return e;
      }
      case 'cmdq_error': {
        const e: TraceRecord = { kind: 'cmdq_error', ...b, cerror: Number(r['cerror']), reason: String(r['reason'] ?? '') };
        if (r['cons'] !== undefined) e.cons = num(r['cons']);
        if (Array.isArray(r['command'])) e.command = (r['command'] as string[]).map(big);
        if (r['commandTruncated'] === true) e.commandTruncated = true;
        if (Array.isArray(r['commandDamaged'])) e.commandDamaged = (r['commandDamaged'] as number[]).map(Number);
        if (typeof r['commandName'] === 'string') e.commandName = r['commandName'];
        if (r['retrying'] === true) e.retrying = true;
        if (r['unconverted'] === true) e.unconverted = true;
        return e;
      }
      case 'sync_timeout': {
        const e: TraceRecord = { kind: 'sync_timeout', ...b };
        if (r['prod'] !== undefined) e.prod = num(r['prod']);
        if (r['hwprod'] !== undefined) e.hwprod = num(r['hwprod']);
        if (r['hwcons'] !== undefined) e.hwcons = num(r['hwcons']);
        return e;
      }
      case 'cmdq_timeout':
        return { kind: 'cmdq_timeout', ...b };
      case 'overflow':
        return { kind: 'overflow', ...b, queue: r['queue'] === 'priq' ? 'priq' : 'evtq' };
      case 'gerror': {
        const g: TraceRecord = { kind: 'gerror', ...b, causes: ((r['causes'] as string[]) ?? []).map(String) };
        if (r['active'] !== undefined) g.active = num(r['active']);
        return g;
      }
      case 'suppressed':
        return { kind: 'suppressed', ...b, count: Number(r['count']), func: String(r['func'] ?? '') };
      case 'command':
        return { kind: 'command', ...b, name: String(r['name']) };
      case 'pri':
        return {
          kind: 'pri',
          ...b,
          sid: num(r['sid']),
          ssid: num(r['ssid']),
          group: Number(r['group']),
          last: r['last'] === true,
          privileged: r['privileged'] === true,
          read: r['read'] === true,
          write: r['write'] === true,
          exec: r['exec'] === true,
          iova: big(r['iova']),
        };
      default:
        return { kind: 'qemu', ...b, name: String(r['name'] ?? ''), args: { ...((r['args'] as Record<string, string>) ?? {}) }, text: String(r['text'] ?? '') };
    }
  });
  return {
    format: (o['format'] as Trace['format']) ?? 'dmesg',
    instances: ((o['instances'] as string[]) ?? []).map(String),
    records,
    diagnostics: ((o['diagnostics'] as Trace['diagnostics']) ?? []).map((d) => ({ ...d })),
  };
}

// ---- Streaming YAML (issue 15 item 4: a 50 MB log must not need 20x its size to print) ----

const YAML_RESERVED = /^(?:true|false|null|yes|no|on|off|y|n|~)$/i;
const YAML_PLAIN = /^[A-Za-z_/(][A-Za-z0-9_./()@,+\- ]*$/;

/** A YAML scalar for a string: plain when it cannot be read as anything else, else double-quoted. */
function yamlString(s: string): string {
  if (YAML_PLAIN.test(s) && !s.endsWith(' ') && !YAML_RESERVED.test(s)) return s;
  return `"${s.replace(/[\\"\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g, (c) => {
    if (c === '\\') return '\\\\';
    if (c === '"') return '\\"';
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  })}"`;
}

function yamlScalar(v: Json): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return yamlString(v);
  return String(v);
}

/** Block YAML for `v` at `indent`, as lines appended to `out` (the value's first line follows `lead`). */
function yamlValue(v: Json, indent: string, out: string[], lead: string): void {
  if (Array.isArray(v)) {
    if (v.length === 0) {
      out.push(`${lead} []`);
      return;
    }
    out.push(lead);
    for (const x of v) yamlItem(x, indent, out);
    return;
  }
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v);
    if (keys.length === 0) {
      out.push(`${lead} {}`);
      return;
    }
    out.push(lead);
    for (const k of keys) yamlValue(v[k] as Json, `${indent}  `, out, `${indent}  ${yamlString(k)}:`);
    return;
  }
  out.push(`${lead} ${yamlScalar(v)}`);
}

/** One sequence item `- ...` at `indent`. */
function yamlItem(x: Json, indent: string, out: string[]): void {
  if (x !== null && typeof x === 'object' && !Array.isArray(x) && Object.keys(x).length > 0) {
    const keys = Object.keys(x);
    keys.forEach((k, i) => yamlValue(x[k] as Json, `${indent}  `, out, `${indent}${i === 0 ? '- ' : '  '}${yamlString(k)}:`));
  } else if (Array.isArray(x) && x.length > 0) {
    out.push(`${indent}-`);
    for (const y of x) yamlItem(y, `${indent}  `, out);
  } else {
    const tmp: string[] = [];
    yamlValue(x, indent, tmp, `${indent}-`);
    out.push(...tmp);
  }
}

/** A trace document (YAML or JSON) written record by record: `record` for each, then `end` with the trace (instances, diagnostics). */
export interface TraceDocWriter {
  record(r: TraceRecord, format: Trace['format']): void;
  end(t: Trace): void;
}

/**
 * The trace document in pieces to `write`: `format`, then each record as it comes (a streamed
 * import never holds them all), then `instances` and `diagnostics`, known only at the end.
 */
export function createTraceYamlWriter(write: (chunk: string) => void): TraceDocWriter {
  let any = false;
  let buf: string[] = [];
  return {
    record(r, format) {
      if (!any) {
        any = true;
        buf.push(`format: ${yamlString(format)}`, 'records:');
      }
      yamlItem(recordToJson(r), '  ', buf);
      if (buf.length > 512) {
        write(`${buf.join('\n')}\n`);
        buf = [];
      }
    },
    end(t) {
      if (!any) buf.push(`format: ${yamlString(t.format)}`, 'records: []');
      yamlValue(t.instances, '', buf, 'instances:');
      yamlValue(
        t.diagnostics.map((d) => ({ code: d.code, severity: d.severity, line: d.line, message: d.message })),
        '',
        buf,
        'diagnostics:',
      );
      write(`${buf.join('\n')}\n`);
      buf = [];
    },
  };
}

/**
 * The same document as `JSON.stringify(traceToJson(t), null, 2)`, written record by record (a
 * streamed import never holds the records): `record` for each, then `end`.
 */
export function createTraceJsonWriter(write: (chunk: string) => void): TraceDocWriter {
  const indent = (v: Json, pad: string): string => JSON.stringify(v, null, 2).replace(/\n/g, `\n${pad}`);
  let n = 0;
  let buf: string[] = [];
  return {
    record(r, format) {
      if (n === 0) buf.push(`{\n  "format": ${JSON.stringify(format)},\n  "records": [\n`);
      buf.push(`${n > 0 ? ',\n' : ''}    ${indent(recordToJson(r), '    ')}`);
      n++;
      if (buf.length > 512) {
        write(buf.join(''));
        buf = [];
      }
    },
    end(t) {
      if (n === 0) buf.push(`{\n  "format": ${JSON.stringify(t.format)},\n  "records": [],\n`);
      else buf.push('\n  ],\n');
      const tail = traceToJson({ ...t, records: [] });
      buf.push(`  "instances": ${indent(tail['instances'] as Json, '  ')},\n  "diagnostics": ${indent(tail['diagnostics'] as Json, '  ')}\n}\n`);
      write(buf.join(''));
      buf = [];
    },
  };
}

/** The trace as YAML in pieces to `write` (one record at a time, never the whole document as one value tree). */
export function writeTraceYaml(t: Trace, write: (chunk: string) => void): void {
  const w = createTraceYamlWriter(write);
  for (const r of t.records) w.record(r, t.format);
  w.end(t);
}
