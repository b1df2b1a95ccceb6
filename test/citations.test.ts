// Every citation of a reference note in code, tests, scenarios and docs resolves to a file and a
// section heading in docs/reference/ (grammar: src/coverage/citations.ts; how to cite:
// docs/reference/README.md). One run lists every unresolved citation with file:line:col.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { findCitations, headingAnchors, NOTES, unresolved } from '../src/coverage/citations.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const REF = join(ROOT, 'docs', 'reference');
// This file and the grammar's own doc comment hold deliberately unresolvable examples.
const SKIP = new Set(['test/citations.test.ts', 'src/coverage/citations.ts']);

function files(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...files(p));
    else if (/\.(ts|mjs|yaml|md|txt|log)$/.test(e.name)) out.push(p);
  }
  return out;
}

function loadNotes(): Map<string, string> {
  const m = new Map<string, string>();
  for (const n of NOTES) {
    try {
      m.set(n, readFileSync(join(REF, `${n}.md`), 'utf8'));
    } catch {
      // a missing note is reported by `unresolved` when something cites it
    }
  }
  return m;
}

t.test('findCitations: the forms the repository uses', async (t) => {
  const one = (s: string) => findCitations(s).map((c) => [c.note, c.anchors]);
  t.same(one('(linux-smmuv3-iommufd.md §6.6, §10 #15).'), [['linux-smmuv3-iommufd', ['6.6', '10.15']]]);
  t.same(one('linux-smmuv3-iommufd.md §6.5, §10 #9, #25)'), [['linux-smmuv3-iommufd', ['6.5', '10.9', '10.25']]]);
  t.same(one('linux-smmuv3-iommufd §6.6/§6.7'), [['linux-smmuv3-iommufd', ['6.6', '6.7']]]);
  t.same(one('linux-smmuv3-iommufd.md §6.6 quirk, §10 #14)'), [['linux-smmuv3-iommufd', ['6.6', '10.14']]]);
  t.same(one('(linux §4.2, errata rows 9, 15, 25)'), [
    ['linux-smmuv3-iommufd', ['4.2']],
    ['errata', ['row 9', 'row 15', 'row 25']],
  ]);
  t.same(one('errata rows 5-9, 33, B.13)'), [['errata', ['row 5', 'row 6', 'row 7', 'row 8', 'row 9', 'row 33', 'B.13']]]);
  t.same(one('emulator-models §7 items 13–16; emulator-models.md §0 item 4, §7.12'), [
    ['emulator-models', ['7.13', '7.14', '7.15', '7.16']],
    ['emulator-models', ['0.4', '7.12']],
  ]);
  t.same(one('errata TG1, errata "positions the text cannot confirm"'), [
    ['errata', ['TG1']],
    ['errata', ['"positions the text cannot confirm"']],
  ]);
  t.same(one('(SMMUv3 §5.2; errata B.8, §3.4)'), [['errata', ['B.8']]], 'a § after errata is an architecture section');
  t.same(one('as emulator-models.md describes'), [['emulator-models', []]], 'a bare note name cites the whole note');
  t.same(one('the IIDR errata that remove nesting'), [], 'errata without a locator is the ordinary word');
  t.same(one('SMMUv3 §7.3.13 and Linux §3'), [], 'architecture sections and prose are not note citations');
  const [c] = findCitations('x\n  see errata B.4');
  t.same([c?.line, c?.col], [2, 7], '1-based position of the note name');
});

t.test('headingAnchors and unresolved', async (t) => {
  const md = '# N\n## 6. uAPI\n### 6.6 Invalidation\n### 10.15 Forbidden opcode\n### Row 13 (TG1): CD.TG1\n### B.4 CMDQ errors\n';
  const a = headingAnchors(md);
  t.same([...a.keys].sort(), ['10.15', '6', '6.6', 'B.4', 'TG1', 'row 13']);
  const notes = new Map([['errata', md]]);
  const cite = (s: string) => findCitations(s)[0] ?? t.fail(`no citation in ${s}`);
  t.equal(unresolved(cite('errata rows 13, 14') as never, notes), 'docs/reference/errata.md has no section row 14');
  t.equal(unresolved(cite('errata TG1') as never, notes), undefined);
  t.equal(unresolved(cite('errata "cmdq errors"') as never, notes), undefined, 'quoted headings match case-insensitively');
  t.equal(unresolved(cite('errata "no such heading"') as never, notes), 'docs/reference/errata.md has no section "no such heading"');
  t.equal(unresolved(cite('emulator-models.md §7 #1') as never, notes), 'docs/reference/emulator-models.md does not exist');
});

t.test('every citation in the repository resolves inside docs/reference/', async (t) => {
  const notes = loadNotes();
  const all = ['src', 'test', 'scenarios', 'docs', 'bench', 'scripts'].flatMap(files).concat(['README.md', 'CONTRIBUTING.md']);
  let count = 0;
  const bad: string[] = [];
  for (const f of all) {
    const rel = relative(ROOT, join(ROOT, f));
    if (SKIP.has(rel)) continue;
    for (const c of findCitations(readFileSync(join(ROOT, f), 'utf8'))) {
      count++;
      const why = unresolved(c, notes);
      if (why !== undefined) bad.push(`${rel}:${c.line}:${c.col}: "${c.text}": ${why}`);
    }
  }
  t.ok(count > 300, `citations found (${count})`);
  t.same(bad, [], 'unresolved citations (add the section to docs/reference/ or fix the citation)');
});
