/**
 * Find scenario files from command-line paths, directories, ids and globs, and give each its id
 * (path under the scenarios root without `.yaml`). Output is sorted by id, so every later stage
 * (sharding, workers, reporters) sees the same order.
 */
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { listYaml } from '../golden/store.ts';

export interface ScenarioRef {
  /** Path under the root without .yaml, `/`-separated; undefined when the file is outside the root. */
  readonly id: string | undefined;
  /** Absolute path. */
  readonly file: string;
  /** Path as shown in reports: relative to cwd, `/`-separated. */
  readonly display: string;
}

export interface DiscoverResult {
  readonly refs: readonly ScenarioRef[];
  /** Arguments that matched nothing (invalid input). */
  readonly unmatched: readonly string[];
}

export function discoverScenarios(patterns: readonly string[], root: string, cwd: string): DiscoverResult {
  const files = new Set<string>();
  const unmatched: string[] = [];
  const all = (): string[] => listYaml(root);
  for (const p of patterns.length === 0 ? [root] : patterns) {
    if (/[*?[]/.test(p)) {
      const re = globToRegExp(p.split(sep).join('/'));
      const hits = all().filter((f) => re.test(posix(relative(cwd, f))) || re.test(posix(relative(root, f))));
      if (hits.length === 0) unmatched.push(p);
      hits.forEach((f) => files.add(f));
      continue;
    }
    const candidates = [resolve(cwd, p), resolve(root, p), resolve(root, `${p}.yaml`)];
    const hit = candidates.find((c) => existsSync(c));
    if (hit === undefined) {
      unmatched.push(p);
    } else if (statSync(hit).isDirectory()) {
      listYaml(hit).forEach((f) => files.add(f));
    } else {
      files.add(hit);
    }
  }
  const refs = [...files].map((file) => ({ id: idOf(file, root), file, display: posix(relative(cwd, file)) }));
  refs.sort((a, b) => cmp(a.id ?? a.display, b.id ?? b.display));
  return { refs, unmatched };
}

export function idOf(file: string, root: string): string | undefined {
  const rel = relative(root, file);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel) || !rel.endsWith('.yaml')) return undefined;
  return posix(rel).replace(/\.yaml$/, '');
}

/** `*` one segment, `**` any depth, `?` one character. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*' && glob[i + 1] === '*') {
      i++;
      if (glob[i + 1] === '/') {
        i++;
        re += '(?:.*/)?';
      } else {
        re += '.*';
      }
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^(?:\\./)?${re}$`);
}

/** A path with `/` separators whatever the platform (ids, displayed paths, globs). */
export function posix(p: string): string {
  return p.split(sep).join('/');
}

/** Code-unit order: locale-independent, so the same everywhere. */
export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
