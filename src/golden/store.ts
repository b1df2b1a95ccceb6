/**
 * Golden files on disk: `golden/<scenario id>.yaml`. Writes are atomic (temp file in the same
 * directory, then rename), so an interrupted update never leaves a truncated golden. Updating is
 * refused under CI (the *value* of CI is tested: CI=true/1 refuses, CI=false/0/empty does not).
 * Nothing here ever deletes a golden.
 */
import * as fs from 'node:fs';
import { constants } from 'node:os';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';

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

export { detectCi, isCi } from './ci.ts';

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

/** Temp files of writeGoldenAtomic: `.<name>.<pid>.<n>.tmp` beside the target. */
export const TEMP_FILE = /^\..+\.(\d+)\.\d+\.tmp$/;

/**
 * While an update runs, SIGINT/SIGTERM/SIGHUP get a listener: Node then delivers them between
 * JS tasks instead of killing the process mid-write, so the (synchronous) write + rename always
 * completes; the listener then exits with the shell's code for that signal (128 + number).
 */
let signalsHooked = false;
function deferSignals(): void {
  if (signalsHooked) return;
  signalsHooked = true;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(sig, () => process.exit(128 + constants.signals[sig]));
}

/**
 * Write `text` to `path` atomically; on any failure the old file (or absence) is kept and the
 * temp file removed. A symlinked golden stays a symlink: the link's target is replaced (temp file
 * beside the target, so the rename stays on one file system). SIGKILL between write and rename
 * cannot be deferred, so later updates sweep such orphans with `removeOrphanTemps`.
 */
export function writeGoldenAtomic(path: string, text: string, io: AtomicIo = NODE_IO): void {
  const target = resolveLink(path);
  const dir = dirname(target);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${basename(target)}.${process.pid}.${tmpCounter++}.tmp`);
  deferSignals();
  try {
    io.writeFileSync(tmp, text);
    io.renameSync(tmp, target);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/** Follow symlinks (relative to the link's folder) to the file that holds the data; a dangling link's target is created. */
function resolveLink(path: string): string {
  let p = path;
  for (let hops = 0; hops < 40; hops++) {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch {
      return p;
    }
    if (!st.isSymbolicLink()) return p;
    p = resolve(dirname(p), fs.readlinkSync(p));
  }
  throw new Error(`Too many levels of symbolic links at ${path}`);
}

/**
 * Remove temp files left by an update that was killed (their writer process is gone). Returns
 * them, relative to `dir`, sorted. Temps of a live process (another update running) are kept.
 */
export function removeOrphanTemps(dir: string, isAlive: (pid: number) => boolean = pidAlive): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        walk(p);
        continue;
      }
      const m = TEMP_FILE.exec(e.name);
      if (m === null || isAlive(Number(m[1]))) continue;
      fs.rmSync(p, { force: true });
      out.push(relative(dir, p).split(sep).join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Golden ids (relative path without .yaml) under `goldenDir` whose scenario file is gone. */
export function findObsoleteGoldens(goldenDir: string, scenarioRoot: string): string[] {
  const out: string[] = [];
  for (const file of listYaml(goldenDir)) {
    const id = relative(goldenDir, file)
      .split(sep)
      .join('/')
      .replace(/\.yaml$/, '');
    if (!fs.existsSync(join(scenarioRoot, `${id}.yaml`))) out.push(id);
  }
  return out.sort();
}

/**
 * Every *.yaml under `dir`, sorted, skipping dot files (temp files). Symlinks are followed (a
 * linked scenario or folder is part of the tree, under the link's own path); a folder reached
 * twice through links is walked once, and a dangling link is listed so loading it reports why.
 */
export function listYaml(dir: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const walk = (d: string): void => {
    let entries: fs.Dirent[];
    try {
      const real = fs.realpathSync(d);
      if (seen.has(real)) return;
      seen.add(real);
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      let kind: 'dir' | 'file' | 'other' = e.isDirectory() ? 'dir' : e.isFile() ? 'file' : 'other';
      if (e.isSymbolicLink()) {
        try {
          kind = fs.statSync(p).isDirectory() ? 'dir' : 'file';
        } catch {
          kind = 'file';
        }
      }
      if (kind === 'dir') walk(p);
      else if (kind === 'file' && e.name.endsWith('.yaml')) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}
