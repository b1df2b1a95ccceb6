// The HTML report at DOM level (no browser): one self-contained file, the same totals as every
// other reporter, the areas x rules matrix counts, each failure with its diff (within-line
// marks), first divergent field, decoded events and walk path, accessible markup.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { walkRows } from '../src/report/html/walk.ts';
import { BROKEN, failingReport, REPO } from './support/html-fixture.ts';
import { runCli } from './support/run-cli.ts';
import { parseXml, type XmlElement } from './support/xml.ts';

function all(el: XmlElement, pred: (e: XmlElement) => boolean, out: XmlElement[] = []): XmlElement[] {
  if (pred(el)) out.push(el);
  for (const c of el.children) all(c, pred, out);
  return out;
}
const byId = (root: XmlElement, id: string): XmlElement | undefined => all(root, (e) => e.attrs['id'] === id)[0];
const text = (e: XmlElement): string => e.text + e.children.map(text).join('');

t.test('report of a run with failures (smoke + nested areas on the emulator)', async (t) => {
  const rep = await failingReport(['scenarios/smoke', 'scenarios/nested']);
  t.equal(rep.code, 1);
  t.match(rep.html, /^<!DOCTYPE html>\n<html lang="en">/);
  // Self-contained: no external resource of any kind.
  t.notMatch(rep.html, /<(link|img|iframe|object|embed)\b/, 'no linked resources');
  t.notMatch(rep.html, /\b(src|href)="(https?:)?\/\//, 'no network URLs');
  t.notMatch(rep.html, /@import|url\(/, 'no CSS fetches');
  // Polyglot markup: parse it strictly once scripts and styles (not XML) are set aside.
  const doc = parseXml(
    rep.html
      .replace(/^<!DOCTYPE html>\n/, '')
      .replace(/<script>[^]*?<\/script>/g, '<script/>')
      .replace(/<style>[^]*?<\/style>/g, '<style/>'),
  );
  t.equal(doc.tag, 'html');

  // Totals agree with the JSON report of the same run.
  const verdict = byId(doc, 'verdict');
  t.equal(verdict !== undefined ? text(verdict) : '', `failures (exit ${rep.json.exit_code})`);
  const failures = all(doc, (e) => e.tag === 'details' && (e.attrs['class'] ?? '').startsWith('failure'));
  t.same(
    failures.map((f) => f.attrs['id']),
    BROKEN.map((b) => `f-${b}`),
    'one details element per failing scenario',
  );
  t.equal(failures.length, rep.json.totals['failures']);

  const nested = failures[0] as XmlElement;
  const div = all(nested, (e) => e.attrs['class'] === 'divergence')[0];
  t.match(div === undefined ? '' : text(div), /events\[0\] \(step \d+ F_\w+\): field class: expected "(IN|TT)", got "(IN|TT)"/, 'the first divergent field');
  const marks = all(nested, (e) => e.tag === 'mark').map(text);
  t.ok(marks.includes('IN') || marks.includes('TT'), `the changed word is marked within the line (${marks.join(',')})`);
  t.ok(
    all(nested, (e) => e.tag === 'h4')
      .map(text)
      .some((x) => /^Actual \(\d+\)$/.test(x)),
    'decoded actual events',
  );
  t.ok(
    all(nested, (e) => e.tag === 'h4')
      .map(text)
      .some((x) => /^Golden \(\d+\)$/.test(x)),
    'golden events beside them',
  );
  const cells = all(nested, (e) => e.tag === 'td' && e.attrs['class'] === 'ev-diff').map(text);
  t.ok(cells.includes('IN') && cells.includes('TT'), 'the differing event field is highlighted on both sides');
  const walks = all(nested, (e) => e.tag === 'figure');
  t.ok(walks.length >= 1, 'walks drawn');
  const s1 = all(nested, (e) => (e.attrs['class'] ?? '').startsWith('node ') && (e.attrs['class'] ?? '').endsWith(' s1'));
  const s2 = all(nested, (e) => (e.attrs['class'] ?? '').startsWith('node ') && (e.attrs['class'] ?? '').endsWith(' s2'));
  t.ok(s1.length > 0 && s2.length > 0, 'nested walk: stage-1 nodes with stage-2 side chains');
  t.ok(all(nested, (e) => (e.attrs['class'] ?? '').startsWith('node invalid')).length > 0, 'the invalid descriptor that faulted is marked');

  // The matrix: each rule's counts are the states of the scenarios that cover it.
  const rows = all(doc, (e) => e.tag === 'tr' && e.attrs['data-rule'] !== undefined);
  t.ok(rows.length > 100, `a row per catalogue rule (${rows.length})`);
  let failingRules = 0;
  for (const r of rows) {
    const count = (col: string): number => Number(text(all(r, (e) => e.attrs['data-col'] === col)[0] as XmlElement));
    const listed = all(r, (e) => e.tag === 'code').length - 1;
    t.equal(count('pass') + count('fail') + count('skip') + count('xfail'), Math.max(listed, 0), `${r.attrs['data-rule'] ?? ''}: counts = covering scenarios`);
    if (count('fail') > 0) {
      failingRules++;
      t.equal(r.attrs['data-failing'], '1');
      t.ok(all(r, (e) => e.tag === 'a' && (e.attrs['href'] ?? '').startsWith('#f-')).length > 0, 'a failing scenario links to its details');
    }
  }
  t.ok(failingRules > 0, 'some rule shows a failure');

  // Accessibility basics: labelled filters, scoped headers, a skip link, state as text.
  for (const id of ['f-area', 'f-failing', 'f-text', 's-text']) {
    const labelled = all(doc, (e) => e.tag === 'label' && (e.attrs['for'] === id || all(e, (x) => x.attrs['id'] === id).length > 0));
    t.equal(labelled.length, 1, `#${id} has a label`);
  }
  t.ok(
    all(doc, (e) => e.tag === 'th').every((e) => e.attrs['scope'] !== undefined),
    'every header cell has a scope',
  );
  t.equal(all(doc, (e) => e.tag === 'a' && e.attrs['href'] === '#failures').length, 1, 'skip link');
  t.ok(all(doc, (e) => (e.attrs['class'] ?? '').startsWith('badge ') && text(e) === '').length === 0, 'no colour-only badge');
});

t.test('several targets (--matrix-with the JSON report of another run): one column group per target, counts from each', async (t) => {
  const first = await failingReport(['scenarios/smoke', 'scenarios/nested']);
  // another target's run of the same scenarios: every third scenario failing, one skipped
  const states = ['fail', 'pass', 'pass'];
  const other = {
    ...first.json,
    target: 'other-smmu',
    results: first.json.results.map((r, i) => ({ ...r, state: i === 1 ? 'skip' : (states[i % 3] ?? 'pass') })),
  };
  const dir = mkdtempSync(join(tmpdir(), 'smmu-matrix-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'other.json');
  writeFileSync(file, JSON.stringify(other));
  const rep = await failingReport(['scenarios/smoke', 'scenarios/nested'], dir, ['--matrix-with', file]);
  const doc = parseXml(
    rep.html
      .replace(/^<!DOCTYPE html>\n/, '')
      .replace(/<script>[^]*?<\/script>/g, '<script/>')
      .replace(/<style>[^]*?<\/style>/g, '<style/>'),
  );
  const groups = all(doc, (e) => e.tag === 'th' && e.attrs['scope'] === 'colgroup').map(text);
  t.same(groups, ['emulator', 'other-smmu'], 'this run first, then the merged report');
  const otherState = new Map(other.results.map((r) => [r.id, r.state === 'xpass' || r.state === 'error' ? 'fail' : r.state]));
  const ownState = new Map(first.json.results.map((r) => [r.id, r.state === 'xpass' || r.state === 'error' ? 'fail' : r.state]));
  const rows = all(doc, (e) => e.tag === 'tr' && e.attrs['data-rule'] !== undefined);
  let otherFailing = 0;
  for (const r of rows) {
    const ids = all(r, (e) => e.tag === 'code')
      .slice(1)
      .map(text);
    for (const [target, state] of [
      ['emulator', ownState],
      ['other-smmu', otherState],
    ] as const) {
      for (const col of ['pass', 'fail', 'skip', 'xfail']) {
        const cell = all(r, (e) => e.attrs['data-col'] === col && e.attrs['data-target'] === target)[0];
        t.equal(
          Number(cell === undefined ? -1 : text(cell)),
          ids.filter((id) => state.get(id) === col).length,
          `${r.attrs['data-rule'] ?? ''} ${target} ${col}`,
        );
      }
    }
    if (ids.some((id) => otherState.get(id) === 'fail')) {
      otherFailing++;
      t.equal(r.attrs['data-failing'], '1', 'a rule failing on any target counts as failing');
    }
  }
  t.ok(otherFailing > 0, 'the other target fails some rule');
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '{"results": [{"id": 1}]}');
  const r = await runCli(REPO, ['run', 'scenarios/smoke', '--matrix-with', bad, '--reporter', `html:${join(dir, 'x.html')}`]);
  t.equal(r.code, 2, 'a file that is not a JSON report is invalid input');
  t.match(r.stderr, /every result needs an id and a state/);
});

t.test('walk rows: S1 nodes with their S2 fetches, output translation last; S2-only as a path', async (t) => {
  const rows = walkRows([
    'S2 L2 PA 0x1000a400 = 0x000000001000b003: table',
    'S1 L0 IPA 0x50000000 -> PA 0x30000000 = 0x0000000070000003: table',
    'TLB hit walk-s2 L2 0x70000000',
    'S1 L1 IPA 0x70000000 -> PA 0x30001000 = 0x0000000000000000: invalid',
    'S2 L2 PA 0x1000a000 = 0x00400000900007fd: block',
  ]);
  t.equal(rows.length, 3);
  t.match(rows[0], { s2: [{ stage: 'S2', level: '2' }], s1: { stage: 'S1', level: '0', ipa: '0x50000000', kind: 'table' } });
  t.match(rows[1], { s2: ['TLB hit walk-s2 L2 0x70000000'], s1: { kind: 'invalid' } });
  t.match(rows[2], { s2: [{ kind: 'block' }] });
  t.equal(rows[2]?.s1, undefined);
  t.same(
    walkRows(['S2 L0 PA 0x1 = 0x3: table', 'S2 L1 PA 0x2 = 0x0: invalid']).map((r) => r.s1?.level),
    ['0', '1'],
  );
});
