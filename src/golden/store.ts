/**
 * Golden files on disk: `golden/<scenario id>.yaml`. Writes are atomic (temp file in the same
 * directory, then rename), so an interrupted update never leaves a truncated golden. Updating is
 * refused under CI (the *value* of CI is tested: CI=true/1 refuses, CI=false/0/empty does not).
 * Nothing here ever deletes a golden.
 */
import * as fs from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';

export function goldenPath(goldenDir: string, id: string): string {
  return join(goldenDir, `${id}.yaml`);
}

export function readGolden(path: string): string | undefined {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** True when the environment says we run under CI: any CI value except '', 0, false, no. */
export function isCi(env: Readonly<Record<string, string | undefined>>): boolean {
  const v = env['CI'];
  if (v === undefined) return false;
  return !['', '0', 'false', 'no'].includes(v.trim().toLowerCase());
}

/** File operations used by writeGoldenAtomic, replaceable in tests to simulate a crash. */
export interface AtomicIo {
  readonly writeFileSync: (path: string, data: string) => void;
  readonly renameSync: (from: string, to: string) => void;
}
const NODE_IO: AtomicIo = {
  writeFileSync: (p, d) => {
    const fd = fs.openSync(p, 'w');
    try {
      fs.writeFileSync(fd, d);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  },
  renameSync: (a, b) => fs.renameSync(a, b),
};

let tmpCounter = 0;

/** Write `text` to `path` atomically; on any failure the old file (or absence) is kept and the temp file removed. */
export function writeGoldenAtomic(path: string, text: string, io: AtomicIo = NODE_IO): void {
  const dir = dirname(path);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${path.slice(dir.length + 1)}.${process.pid}.${tmpCounter++}.tmp`);
  try {
    io.writeFileSync(tmp, text);
    io.renameSync(tmp, path);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/** Golden ids (relative path without .yaml) under `goldenDir` whose scenario file is gone. */
export function findObsoleteGoldens(goldenDir: string, scenarioRoot: string): string[] {
  const out: string[] = [];
  for (const file of listYaml(goldenDir)) {
    const id = relative(goldenDir, file).split(sep).join('/').replace(/\.yaml$/, '');
    if (!fs.existsSync(join(scenarioRoot, `${id}.yaml`))) out.push(id);
  }
  return out.sort();
}

/** Every *.yaml under `dir`, sorted, skipping dot files (temp files). */
export function listYaml(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && e.name.endsWith('.yaml')) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}
