/**
 * Import throughput of the kernel-log importer on a generated ~20 MB dmesg (both eras mixed,
 * two SMMU instances, interleaved foreign lines, CMDQ errors). Target: ≥ 50 MB/s.
 * Run directly: `node --import=tsx bench/trace.bench.ts`.
 */
import { pathToFileURL } from 'node:url';
import { formatCmdqError, formatEventLog, withDmesgPrefix } from '../src/linux/messages.ts';
import { importDmesg } from '../src/trace/dmesg.ts';

/** Deterministic generator (xorshift) so every run imports the same text. */
export function generateLog(targetBytes: number): string {
  let s = 0x2545f491n;
  const next = (): bigint => {
    s ^= (s << 13n) & 0xffffffffffffffffn;
    s ^= s >> 7n;
    s ^= (s << 17n) & 0xffffffffffffffffn;
    return s & 0xffffffffffffffffn;
  };
  // A pool of records formatted once; the log repeats them with changing timestamps.
  const pool: string[][] = [];
  for (let i = 0; i < 64; i++) {
    const raw = [(next() & 0xffffffff00000000n) | [0x10n, 0x13n, 0x04n, 0x09n][i % 4]!, next() & 0x00001fff8000ffffn, next(), next() & 0x00fffffffffff000n];
    pool.push(formatEventLog(raw, { era: i % 2 === 0 ? '6.14+' : 'pre-6.14', client: i % 3 === 0 ? undefined : '0000:01:00.0' }));
  }
  const cmdq = formatCmdqError(0x01000004, [0x99n, 0n]);
  const parts: string[] = [];
  let bytes = 0;
  let n = 0;
  while (bytes < targetBytes) {
    const ts = 100 + n * 0.000013;
    const lines = withDmesgPrefix(n % 50 === 49 ? cmdq : pool[n % pool.length]!, { device: n % 7 === 0 ? '2b400000.iommu' : 'arm-smmu-v3.0.auto', timestamp: ts });
    if (n % 5 === 0) lines.splice(2, 0, `[${ts.toFixed(6).padStart(12)}] nvme nvme0: I/O ${n} QID 3 timeout, completion polled`);
    const chunk = `${lines.join('\n')}\n`;
    parts.push(chunk);
    bytes += chunk.length;
    n++;
  }
  return parts.join('');
}

export interface TraceBenchResult {
  /** Best of three runs, by wall-clock time. */
  mbPerSecond: number;
  /** Best of three runs, by CPU time of this process (robust on a shared, loaded machine). */
  cpuMbPerSecond: number;
  /** A bare charCodeAt loop over the same text, for scale: what this machine does at best. */
  charLoopMbPerSecond: number;
  megabytes: number;
  records: number;
}

export function benchTraceImport(): TraceBenchResult {
  const text = generateLog(20 * 1024 * 1024);
  const mb = text.length / (1024 * 1024);
  importDmesg(text.slice(0, 1 << 20)); // warm up the JIT
  let wall = Infinity;
  let cpu = Infinity;
  let records = 0;
  for (let run = 0; run < 3; run++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    records = importDmesg(text).records.length;
    wall = Math.min(wall, performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu = Math.min(cpu, (c.user + c.system) / 1000);
  }
  let loop = Infinity;
  for (let run = 0; run < 3; run++) {
    const t0 = performance.now();
    let z = 0;
    for (let i = 0; i < text.length; i++) z = (z + text.charCodeAt(i)) | 0;
    loop = Math.min(loop, performance.now() - t0 + (z === -1 ? 1 : 0));
  }
  const rate = (ms: number): number => Math.round((mb / (ms / 1000)) * 10) / 10;
  return { mbPerSecond: rate(wall), cpuMbPerSecond: rate(cpu), charLoopMbPerSecond: rate(loop), megabytes: Math.round(mb * 10) / 10, records };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = benchTraceImport();
  console.log(
    `trace import: ${r.megabytes} MB, ${r.records} records: ${r.mbPerSecond} MB/s wall, ${r.cpuMbPerSecond} MB/s CPU time ` +
      `(target >= 50; a bare char loop runs at ${r.charLoopMbPerSecond} MB/s on this machine)`,
  );
}
