/**
 * Kernel-log import on a generated ~50 MB dmesg (both eras mixed, two SMMU instances,
 * interleaved foreign lines, CMDQ errors; issue 15 item 4): decode throughput (target >= 50 MB/s)
 * and the peak memory of `trace import` writing YAML, measured in a child process running the
 * compiled CLI path (target <= 3x the input).
 * Run directly: `node --import=tsx bench/trace.bench.ts` (after `npm run build`).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { formatCmdqError, formatEventLog, withDmesgPrefix } from '../src/linux/messages.ts';
import { createDmesgImporter, forEachLine, importDmesg } from '../src/trace/dmesg.ts';

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
    const lines = withDmesgPrefix(n % 50 === 49 ? cmdq : pool[n % pool.length]!, {
      device: n % 7 === 0 ? '2b400000.iommu' : 'arm-smmu-v3.0.auto',
      timestamp: ts,
    });
    if (n % 5 === 0) lines.splice(2, 0, `[${ts.toFixed(6).padStart(12)}] nvme nvme0: I/O ${n} QID 3 timeout, completion polled`);
    const chunk = `${lines.join('\n')}\n`;
    parts.push(chunk);
    bytes += chunk.length;
    n++;
  }
  return parts.join('');
}

export interface TraceBenchResult {
  /** Streamed decode (records handed to a sink, as `trace import`/`decode` do): best of three, wall clock. */
  mbPerSecond: number;
  /** The same, by CPU time of this process (robust on a shared, loaded machine). */
  cpuMbPerSecond: number;
  /** `importDmesg` keeping every record in memory (the API path), best of three by CPU time. */
  retainedCpuMbPerSecond: number;
  /** A bare charCodeAt loop over the same text, for scale: what this machine does at best. */
  charLoopMbPerSecond: number;
  megabytes: number;
  records: number;
}

/** Best of three runs of `fn`, wall-clock and CPU milliseconds. */
function bestOf3(fn: () => void): { wall: number; cpu: number } {
  let wall = Infinity;
  let cpu = Infinity;
  for (let run = 0; run < 3; run++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    wall = Math.min(wall, performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu = Math.min(cpu, (c.user + c.system) / 1000);
  }
  return { wall, cpu };
}

export function benchTraceImport(): TraceBenchResult {
  const text = generateLog(50 * 1024 * 1024);
  const mb = text.length / (1024 * 1024);
  importDmesg(text.slice(0, 1 << 20)); // warm up the JIT
  let records = 0;
  const streamed = bestOf3(() => {
    let n = 0;
    const imp = createDmesgImporter({ onRecord: () => n++ });
    forEachLine(text, imp.line);
    imp.finish();
    records = n;
  });
  const retained = bestOf3(() => {
    if (importDmesg(text).records.length !== records) throw new Error('streamed and retained imports disagree on the record count');
  });
  let loop = Infinity;
  for (let run = 0; run < 3; run++) {
    const t0 = performance.now();
    let z = 0;
    for (let i = 0; i < text.length; i++) z = (z + text.charCodeAt(i)) | 0;
    loop = Math.min(loop, performance.now() - t0 + (z === -1 ? 1 : 0));
  }
  const rate = (ms: number): number => Math.round((mb / (ms / 1000)) * 10) / 10;
  return {
    mbPerSecond: rate(streamed.wall),
    cpuMbPerSecond: rate(streamed.cpu),
    retainedCpuMbPerSecond: rate(retained.cpu),
    charLoopMbPerSecond: rate(loop),
    megabytes: Math.round(mb * 10) / 10,
    records,
  };
}

/** A ~`targetBytes` raw EVTQ dump: four dwords a line, one record a line. */
export function generateEvtq(targetBytes: number): string {
  const parts: string[] = [];
  let bytes = 0;
  for (let n = 0; bytes < targetBytes; n++) {
    const sid = (n % 4096).toString(16).padStart(8, '0');
    const line = `0x${sid}0000001${n % 4} 0x0000020800000000 0x${(0x1000 + n * 8).toString(16).padStart(16, '0')} 0x0000000000000000\n`;
    parts.push(line);
    bytes += line.length;
  }
  return parts.join('');
}

/** A ~`targetBytes` QEMU trace: events with their translate_abort, walks, commands, per-4-byte duplicate pairs. */
export function generateQemu(targetBytes: number): string {
  const parts: string[] = [];
  let bytes = 0;
  for (let n = 0; bytes < targetBytes; n++) {
    const sid = `0x${(n % 64).toString(16)}`;
    const iova = 0x1000 + (n % 4096) * 0x1000;
    const chunk =
      `${1000 + (n % 7)}@${(1700000000 + n / 1e4).toFixed(6)}:smmuv3_record_event SMMU_EVT_F_TRANSLATION sid=${sid}\n` +
      `smmuv3_translate_abort sid=${sid} iova=0x${iova.toString(16)}\n` +
      `smmu_ptw_level baseaddr=0x80000000 level=3 iova=0x${iova.toString(16)}\n` +
      `smmuv3_record_event SMMU_EVT_F_TRANSLATION sid=${sid}\n` +
      `smmuv3_translate_abort sid=${sid} iova=0x${(iova + 4).toString(16)}\n` +
      (n % 8 === 7 ? 'smmuv3_cmdq_opcode <--- SMMU_CMD_SYNC\n' : '');
    parts.push(chunk);
    bytes += chunk.length;
  }
  return parts.join('');
}

export type TraceMemoryInput = 'dmesg' | 'evtq' | 'qemu' | 'qemu --collapse';

export interface TraceMemoryResult {
  input: TraceMemoryInput;
  megabytes: number;
  /** Peak resident set of the child (Node itself included), MB. */
  peakMb: number;
  seconds: number;
}

/**
 * Peak RSS of the compiled `trace import` path (stream in, YAML out to /dev/null) on a ~50 MB log:
 * a child process runs `runTraceImport` and reports `process.resourceUsage().maxRSS` (the kernel's
 * high-water mark of its resident set, Node's own ~50 MB included), as `/usr/bin/time -v` would.
 */
export function benchTraceMemory(input: TraceMemoryInput = 'dmesg'): TraceMemoryResult | string {
  const cli = fileURLToPath(new URL('../dist/src/trace/cli.js', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'smmu-bench-'));
  try {
    const file = join(dir, 'trace.log');
    const size = 50 * 1024 * 1024;
    const text = input === 'dmesg' ? generateLog(size) : input === 'evtq' ? generateEvtq(size) : generateQemu(size);
    writeFileSync(file, text);
    const args = [file, ...(input === 'qemu --collapse' ? ['--collapse'] : [])];
    const code = `const fs=require('node:fs');const t0=Date.now();import(${JSON.stringify(pathToFileURL(cli).href)}).then((m)=>{const fd=fs.openSync('/dev/null','w');const r=m.runTraceImport(${JSON.stringify(args)},(s)=>fs.writeSync(fd,s));process.stdout.write(JSON.stringify({rss:process.resourceUsage().maxRSS,ms:Date.now()-t0,err:r.stderr.slice(-300)}));});`;
    const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8' });
    if (r.status !== 0) return `child failed: ${r.stderr}`;
    const j = JSON.parse(r.stdout) as { rss: number; ms: number };
    return { input, megabytes: Math.round((text.length / (1024 * 1024)) * 10) / 10, peakMb: Math.round(j.rss / 1024), seconds: j.ms / 1000 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Peak memory of `trace import` to YAML for every input kind (each streamed: target <= 3x the input). */
export const TRACE_MEMORY_INPUTS: readonly TraceMemoryInput[] = ['dmesg', 'evtq', 'qemu', 'qemu --collapse'];

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = benchTraceImport();
  console.log(
    `trace import: ${r.megabytes} MB, ${r.records} records: streamed ${r.mbPerSecond} MB/s wall, ${r.cpuMbPerSecond} MB/s CPU time; ` +
      `all records kept ${r.retainedCpuMbPerSecond} MB/s CPU (target >= 50; a bare char loop runs at ${r.charLoopMbPerSecond} MB/s on this machine)`,
  );
  for (const input of TRACE_MEMORY_INPUTS) {
    const m = benchTraceMemory(input);
    console.log(
      typeof m === 'string'
        ? m
        : `trace import ${input} to YAML: peak RSS ${m.peakMb} MB for ${m.megabytes} MB (${(m.peakMb / m.megabytes).toFixed(2)}x; target <= 3x), ${m.seconds.toFixed(1)} s`,
    );
  }
}
