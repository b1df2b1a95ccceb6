/**
 * Map a path inside the loaded data (ajv instancePath segments) back to the YAML node it came
 * from, so every error carries file:line:col. Falls back to the nearest ancestor that exists.
 */
import { type Document, isAlias, isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';

export interface Position {
  readonly line: number;
  readonly col: number;
}

export class Locator {
  readonly #doc: Document;
  readonly #lines: LineCounter;

  constructor(doc: Document, lines: LineCounter) {
    this.#doc = doc;
    this.#lines = lines;
  }

  /** Position of an offset in the source. */
  at(offset: number): Position {
    const p = this.#lines.linePos(offset);
    return { line: p.line, col: p.col };
  }

  /**
   * Position of the value at `path`; with `key`, of the map key itself (for unknown or forbidden
   * keys). A missing tail resolves to the deepest node that exists.
   */
  locate(path: readonly (string | number)[], key = false): Position {
    let node: unknown = this.#doc.contents;
    let last: Node | undefined = isNodeLike(node) ? node : undefined;
    for (let i = 0; i < path.length; i++) {
      node = this.#deref(node);
      const seg = path[i];
      let next: unknown;
      let keyNode: unknown;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && scalarKey(p.key) === String(seg));
        if (pair !== undefined) {
          keyNode = pair.key;
          next = pair.value ?? pair.key;
        }
      } else if (isSeq(node) && typeof seg === 'number') {
        next = node.items[seg];
      } else if (isSeq(node) && typeof seg === 'string' && /^\d+$/.test(seg)) {
        next = node.items[Number(seg)];
      }
      if (next === undefined || next === null) break;
      if (key && i === path.length - 1 && isNodeLike(keyNode)) return this.#pos(keyNode);
      if (isNodeLike(next)) last = next;
      node = next;
    }
    return last === undefined ? { line: 1, col: 1 } : this.#pos(last);
  }

  #deref(node: unknown): unknown {
    return isAlias(node) ? node.resolve(this.#doc) : node;
  }

  #pos(node: Node): Position {
    const start = node.range?.[0];
    return start === undefined ? { line: 1, col: 1 } : this.at(start);
  }
}

/** Position of the value at `path` in YAML `source` (for messages about a loaded scenario). */
export function locateIn(source: string, path: readonly (string | number)[]): Position {
  const lines = new LineCounter();
  return new Locator(parseDocument(source, { lineCounter: lines }), lines).locate(path);
}

function isNodeLike(n: unknown): n is Node {
  return typeof n === 'object' && n !== null && 'range' in n;
}

function scalarKey(k: unknown): string | undefined {
  if (isScalar(k)) return String(k.value);
  return typeof k === 'string' ? k : undefined;
}

/** ajv instancePath (`/steps/3/dma`) -> segments, unescaping ~1 and ~0; numeric segments become numbers. */
export function pointerSegments(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9]\d*)$/.test(s) ? Number(s) : s));
}

/** Position of `path` in a scenario's source text (for errors found after loading, e.g. by the executor). */
export function locateInSource(source: string, path: readonly (string | number)[]): Position {
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, logLevel: 'silent' });
  return new Locator(doc, lines).locate(path);
}
