/**
 * Citations of the project's reference notes (docs/reference/*.md) in code, tests, scenarios and
 * docs, and their resolution to a note file and a section heading. Pure functions over text, so
 * test/citations.test.ts can check both synthetic cases and every file of the repository.
 *
 * A citation is a note name (`linux-smmuv3-iommufd`, `emulator-models`, `errata`, `qemu-qtest`,
 * `harness-practice`, with or without `.md`; `linux §` is short for the first) followed by
 * locators: `§6.6`, `§10 #15` / `§7 item 12` / `§7.12` (item 12 of section 7), `row 13`,
 * `rows 5-9, 33`, `B.4`, `TG1`, or a quoted heading. A note name with no locator cites the whole
 * note (except `errata`, which is also an ordinary word and so needs a locator or `.md`).
 */

export const NOTES = ['linux-smmuv3-iommufd', 'emulator-models', 'errata', 'qemu-qtest', 'harness-practice'] as const;
export type Note = (typeof NOTES)[number];

export interface Citation {
  readonly note: Note;
  /** Anchor keys as headings define them (see `headingAnchors`); empty = the whole note. */
  readonly anchors: readonly string[];
  /** The cited text as written. */
  readonly text: string;
  /** 1-based line and column of the note name. */
  readonly line: number;
  readonly col: number;
}

const NOTE_RE = /\b(linux-smmuv3-iommufd|emulator-models|errata|qemu-qtest|harness-practice|linux(?= §))(\.md)?\b/g;
// One locator, then separators; the sequence ends at anything else (`;`, `)`, prose).
const LOCATOR =
  /^(?:§ ?(\d+(?:\.\d+)*)(?:(?: ?#| items?) ?(\d+)(?:[-–](\d+))?)?|rows? (\d+)(?:[-–](\d+))?|#(\d+)(?:[-–](\d+))?|(B\.\d+)|(TG1)|"([^"]+)"|(\d+)(?:[-–](\d+))?)/;
const SEPARATOR = /^(?:, ?| ?\/ ?| and | ?quirk,? ?)/;

/** Every citation in `text`, in order. */
export function findCitations(text: string): Citation[] {
  const out: Citation[] = [];
  for (const m of text.matchAll(NOTE_RE)) {
    const name = m[1] === 'linux' ? 'linux-smmuv3-iommufd' : (m[1] as Note);
    const at = m.index ?? 0;
    let rest = text.slice(at + m[0].length);
    const anchors: string[] = [];
    let section: string | undefined; // the last §N, for a following bare `#K`
    let kind: 'row' | 'item' | undefined; // what a bare number continues
    let consumed = m[0].length;
    if (rest.startsWith(' ') && LOCATOR.test(rest.slice(1))) {
      rest = rest.slice(1);
      consumed += 1;
    }
    for (;;) {
      const l = LOCATOR.exec(rest);
      if (l === null) break;
      // errata.md is organised by rows and B items; a § after it is an architecture section.
      if (l[1] !== undefined && name === 'errata') break;
      if (l[1] !== undefined) {
        section = l[1];
        kind = l[2] !== undefined ? 'item' : undefined;
        if (l[2] === undefined) anchors.push(l[1]);
        else for (const k of range(l[2], l[3])) anchors.push(`${l[1]}.${k}`);
      } else if (l[4] !== undefined) {
        kind = 'row';
        for (const k of range(l[4], l[5])) anchors.push(`row ${k}`);
      } else if (l[6] !== undefined && section !== undefined) {
        kind = 'item';
        for (const k of range(l[6], l[7])) anchors.push(`${section}.${k}`);
      } else if (l[8] !== undefined) {
        anchors.push(l[8]);
      } else if (l[9] !== undefined) {
        anchors.push(l[9]);
      } else if (l[10] !== undefined) {
        anchors.push(`"${l[10]}"`);
      } else if (l[11] !== undefined && kind !== undefined) {
        for (const k of range(l[11], l[12])) anchors.push(kind === 'row' ? `row ${k}` : `${section ?? ''}.${k}`);
      } else break;
      rest = rest.slice(l[0].length);
      consumed += l[0].length;
      const s = SEPARATOR.exec(rest);
      if (s === null) break;
      rest = rest.slice(s[0].length);
      consumed += s[0].length;
    }
    if (name === 'errata' && m[2] === undefined && anchors.length === 0) continue; // the word, not the note
    const before = text.slice(0, at);
    const line = before.split('\n').length;
    const col = at - before.lastIndexOf('\n');
    out.push({ note: name, anchors, text: text.slice(at, at + consumed).trim(), line, col });
  }
  return out;
}

function range(a: string, b: string | undefined): number[] {
  const from = Number(a);
  const to = b === undefined ? from : Number(b);
  const out: number[] = [];
  for (let k = from; k <= to && k - from < 100; k++) out.push(k);
  return out;
}

/**
 * Anchor keys of a reference note: every heading that starts with a section number (`6.6`,
 * `10.15`), `Row N`, or `B.N` gives that key; an id in parentheses right after it (`Row 13 (TG1)`)
 * is an alias. The heading text itself is kept for quoted citations.
 */
export function headingAnchors(markdown: string): { readonly keys: ReadonlySet<string>; readonly titles: readonly string[] } {
  const keys = new Set<string>();
  const titles: string[] = [];
  for (const line of markdown.split('\n')) {
    const h = /^#{1,6} +(.*)$/.exec(line);
    if (h === null) continue;
    const title = (h[1] ?? '').trim();
    titles.push(title.toLowerCase());
    const k = /^(?:§ ?)?(\d+(?:\.\d+)*|Row \d+|B\.\d+)\b(?: \(([A-Za-z0-9.]+)\))?/.exec(title);
    if (k === null) continue;
    keys.add((k[1] ?? '').replace(/^Row /, 'row '));
    if (k[2] !== undefined) keys.add(k[2]);
  }
  return { keys, titles };
}

/** Why `c` does not resolve against the notes (`notes` maps note name → markdown), or undefined. */
export function unresolved(c: Citation, notes: ReadonlyMap<string, string>): string | undefined {
  const md = notes.get(c.note);
  if (md === undefined) return `docs/reference/${c.note}.md does not exist`;
  const { keys, titles } = headingAnchors(md);
  const missing = c.anchors.filter((a) => (a.startsWith('"') ? !titles.some((t) => t.includes(a.slice(1, -1).toLowerCase())) : !keys.has(a)));
  return missing.length === 0 ? undefined : `docs/reference/${c.note}.md has no section ${missing.join(', ')}`;
}
