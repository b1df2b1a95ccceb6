/**
 * Enforce LoadCaps on the raw (not yet validated) data, before schema validation does work
 * proportional to the input. Anything that does not have the expected shape is ignored here;
 * the schema reports it.
 */
import type { LoadCaps } from './caps.ts';
import type { LoadError } from './errors.ts';
import { pathString } from './errors.ts';
import { parseScenarioInt } from './ints.ts';
import type { Locator } from './locate.ts';

type Path = (string | number)[];

export function checkCaps(data: unknown, caps: LoadCaps, file: string, loc: Locator): LoadError[] {
  const errors: LoadError[] = [];
  const over = (path: Path, message: string): void => {
    const p = loc.locate(path);
    errors.push({ code: 'CAP_EXCEEDED', file, line: p.line, col: p.col, path: pathString(path), message });
  };
  const root = asRecord(data);
  if (root === undefined) return errors;
  const steps = root['steps'];
  if (Array.isArray(steps) && steps.length > caps.maxSteps) {
    over(['steps'], `Scenario has ${steps.length} steps; the cap is ${caps.maxSteps}`);
  }
  const devices = root['devices'];
  if (Array.isArray(devices) && devices.length > caps.maxDevices) {
    over(['devices'], `Scenario declares ${devices.length} devices; the cap is ${caps.maxDevices}`);
  }
  const memory = asRecord(root['memory']);
  let entries = 0;
  let mapped = 0n;
  let pageOnly = 0n;
  let firstMap: Path | undefined;
  for (const kind of ['s1_tables', 's2_tables'] as const) {
    const tables = memory?.[kind];
    if (!Array.isArray(tables)) continue;
    tables.forEach((t: unknown, ti) => {
      const map = asRecord(t)?.['map'];
      if (!Array.isArray(map)) return;
      firstMap ??= ['memory', kind, ti, 'map'];
      entries += map.length;
      for (const m of map) {
        const size = parseScenarioInt(asRecord(m)?.['size']) ?? 0n;
        mapped += size;
        if (asRecord(m)?.['page_only'] === true) pageOnly += size;
      }
    });
  }
  if (Array.isArray(steps)) {
    for (const s of steps) {
      const body = asRecord(asRecord(s)?.['map']);
      if (body === undefined) continue;
      entries += 1;
      const size = parseScenarioInt(body['size']) ?? 0n;
      mapped += size;
      if (body['page_only'] === true) pageOnly += size;
    }
  }
  const at: Path = firstMap ?? ['memory'];
  if (entries > caps.maxMapEntries) over(at, `Scenario declares ${entries} mappings; the cap is ${caps.maxMapEntries}`);
  if (mapped > caps.maxMappedBytes) over(at, `Scenario maps 0x${mapped.toString(16)} bytes; the cap is 0x${caps.maxMappedBytes.toString(16)}`);
  if (pageOnly > caps.maxPageOnlyBytes)
    over(at, `Scenario maps 0x${pageOnly.toString(16)} bytes with page_only; the cap is 0x${caps.maxPageOnlyBytes.toString(16)}`);

  let words = 0;
  const writes = memory?.['writes'];
  if (Array.isArray(writes)) for (const w of writes) words += arrayLen(asRecord(w)?.['u64']);
  if (Array.isArray(steps)) for (const s of steps) words += arrayLen(asRecord(asRecord(s)?.['write'])?.['u64']);
  if (words > caps.maxRawWords) over(['memory'], `Scenario writes ${words} raw words; the cap is ${caps.maxRawWords}`);
  return errors;
}

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function arrayLen(v: unknown): number {
  return Array.isArray(v) ? v.length : 0;
}
