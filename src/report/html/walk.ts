/**
 * A walk trace (explain format, one line per descriptor fetched) drawn as a path: each stage-1
 * descriptor is a node on the main path, preceded by the stage-2 fetches that translated its
 * address (a side chain); stage-2 lines after the last stage-1 descriptor translate the output
 * address. A walk without stage 1 is a path of stage-2 nodes. The last node carries the outcome
 * (an invalid descriptor is where a translation fault was taken).
 */
import { escapeHtml } from '../escape.ts';

export interface WalkNode {
  readonly stage: 'S1' | 'S2';
  readonly level: string;
  /** Input of this fetch for S1 (the IPA of the descriptor), else undefined. */
  readonly ipa?: string;
  readonly pa: string;
  readonly descriptor: string;
  /** table | block | page | invalid | ... */
  readonly kind: string;
}

export interface WalkRow {
  /** Stage-2 fetches (and TLB notes) that translated the address of `s1`. */
  readonly s2: readonly (WalkNode | string)[];
  readonly s1?: WalkNode;
}

const LINE = /^(S1|S2) L(-?\d) (?:IPA (\S+) -> )?PA (\S+) = (\S+): (\S+)/;

export function parseWalkLine(line: string): WalkNode | string {
  const m = LINE.exec(line.trim());
  if (m === null) return line.trim();
  return {
    stage: m[1] as 'S1' | 'S2',
    level: m[2] ?? '',
    ...(m[3] !== undefined ? { ipa: m[3] } : {}),
    pa: m[4] ?? '',
    descriptor: m[5] ?? '',
    kind: m[6] ?? '',
  };
}

export function walkRows(lines: readonly string[]): WalkRow[] {
  const nodes = lines.map(parseWalkLine);
  const hasS1 = nodes.some((n) => typeof n !== 'string' && n.stage === 'S1');
  if (!hasS1) return nodes.map((n) => (typeof n === 'string' ? { s2: [n] } : { s2: [], s1: n }));
  const rows: WalkRow[] = [];
  let pending: (WalkNode | string)[] = [];
  for (const n of nodes) {
    if (typeof n !== 'string' && n.stage === 'S1') {
      rows.push({ s2: pending, s1: n });
      pending = [];
    } else {
      pending.push(n);
    }
  }
  if (pending.length > 0) rows.push({ s2: pending });
  return rows;
}

function node(n: WalkNode | string): string {
  if (typeof n === 'string') return `<li class="note">${escapeHtml(n)}</li>`;
  const input = n.ipa !== undefined ? `<span class="k">IPA</span> ${escapeHtml(n.ipa)} → ` : '';
  return `<li class="node ${escapeHtml(n.kind)} ${n.stage.toLowerCase()}"><span class="lvl">${n.stage} L${escapeHtml(n.level)}</span> ${input}<span class="k">PA</span> ${escapeHtml(n.pa)}<br/><code>${escapeHtml(n.descriptor)}</code> <span class="kind">${escapeHtml(n.kind)}</span></li>`;
}

/** The walk of one step as nested lists: main path (S1 or S2) with S2 side chains; readable as a list without CSS. */
export function walkHtml(step: number, lines: readonly string[]): string {
  const rows = walkRows(lines);
  const items = rows.map((r) => {
    const side = r.s2.length > 0 ? `<ol class="s2chain" aria-label="stage-2 translation of this fetch">${r.s2.map(node).join('')}</ol>` : '';
    const main = r.s1 !== undefined ? `<ol class="main">${node(r.s1)}</ol>` : '<p class="out">output address through stage 2</p>';
    return `<li class="hop">${side}${main}</li>`;
  });
  return `<figure class="walk"><figcaption>Step ${step}: ${lines.length} fetch${lines.length === 1 ? '' : 'es'}</figcaption><ol class="path">${items.join('')}</ol></figure>`;
}
