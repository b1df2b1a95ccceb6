// The trace-compare section of the HTML report at DOM level (issue 17 part 4): `trace compare
// --html FILE` writes the report with the expected record (scenario run on the emulator) and the
// imported one side by side, field by field; the first divergent field is highlighted and linked,
// masked fields say so, and a match shows no divergence.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cli } from '../src/cli/app.ts';
import { parseXml, type XmlElement } from './support/xml.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FX = 'test/fixtures/traces';
const dir = mkdtempSync(join(tmpdir(), 'smmu-tc-html-'));
// Not t.teardown: a root-level teardown ends the shared root test of test/suites/*.ts early (load-all.ts).
process.once('exit', () => rmSync(dir, { recursive: true, force: true }));

function all(el: XmlElement, pred: (e: XmlElement) => boolean, out: XmlElement[] = []): XmlElement[] {
  if (pred(el)) out.push(el);
  for (const c of el.children) all(c, pred, out);
  return out;
}
/** Character data of an element and its descendants (own text first: enough for these checks). */
const text = (e: XmlElement | undefined): string => (e === undefined ? '' : e.text + e.children.map(text).join(''));
const cls = (e: XmlElement): string[] => (e.attrs['class'] ?? '').split(' ');

async function compareHtml(name: string, args: string[]): Promise<{ code: number; doc: XmlElement }> {
  const file = join(dir, `${name}.html`);
  const code = await cli(['trace', 'compare', ...args, '--html', file], { stdout: () => {}, stderr: () => {}, env: {}, cwd: ROOT, isTTY: false });
  const html = readFileSync(file, 'utf8');
  t.notMatch(html, /<(link|img|iframe|object|embed)\b|\b(src|href)="(https?:)?\/\//, `${name}: self-contained`);
  const doc = parseXml(
    html
      .replace(/^<!DOCTYPE html>\n/, '')
      .replace(/<script>[^]*?<\/script>/g, '<script/>')
      .replace(/<style>[^]*?<\/style>/g, '<style/>'),
  );
  return { code, doc };
}

t.test('a differing field: records side by side, the first divergent field marked and linked', async (t) => {
  const { code, doc } = await compareHtml('differ', ['smoke/s1-translation-fault', `${FX}/smoke-s1-fault-wrong-sid.log`]);
  t.equal(code, 1);
  const section = all(doc, (e) => e.attrs['id'] === 'trace-compare')[0];
  t.ok(section, 'trace-compare section');
  const view = all(doc, (e) => e.tag === 'details' && cls(e).includes('trace-compare'))[0];
  t.equal(view?.attrs['data-verdict'], 'DIFFER');
  const summary = all(view ?? doc, (e) => e.tag === 'summary')[0];
  t.same(
    summary?.children.map((c) => [c.tag, text(c)]),
    [
      ['span', 'DIFFER'],
      ['code', 'smoke/s1-translation-fault'],
      ['code', `${FX}/smoke-s1-fault-wrong-sid.log`],
      ['a', 'StreamID'],
    ],
  );
  t.match(summary?.text, /: 0 match, 1 differ, 0 missing, 0 extra — first divergent field $/);
  const table = all(view ?? doc, (e) => e.tag === 'table' && cls(e).includes('tc-sbs'))[0];
  t.same(
    all(table ?? doc, (e) => e.tag === 'th' && e.attrs['scope'] === 'col').map(text),
    ['field', 'expected (scenario)', 'imported (trace)', 'state'],
    'expected and imported columns',
  );
  const rows = all(table ?? doc, (e) => e.tag === 'tr' && e.attrs['data-field'] !== undefined);
  const cells = (f: string): string[] =>
    all(rows.find((r) => r.attrs['data-field'] === f) ?? doc, (e) => e.tag === 'td' || (e.tag === 'th' && e.attrs['scope'] === 'row')).map(text);
  t.same(cells('StreamID'), ['StreamID', '0x10', '0x11', 'differs'], 'the differing field with both values, in words');
  t.same(cells('InputAddr'), ['InputAddr', '0x2468', '0x2468', ''], 'an equal field');
  t.same(cells('IPA'), ['IPA', '0x0', '0x0', 'masked'], 'a masked field says so');
  const first = rows.filter((r) => cls(r).includes('first-div'));
  t.equal(first.length, 1, 'one first divergent field');
  t.equal(first[0]?.attrs['data-field'], 'StreamID');
  t.ok(all(first[0] ?? doc, (e) => e.tag === 'mark').length === 1, 'highlighted with <mark>');
  t.ok(cls(first[0] ?? doc).includes('ev-diff'));
  const link = all(view ?? doc, (e) => e.tag === 'a' && (e.attrs['href'] ?? '').startsWith('#tc-'))[0];
  t.equal(link?.attrs['href'], `#${first[0]?.attrs['id']}`, 'the summary links the highlighted row');
  // The run part of the report names the comparison as a failure.
  t.match(text(all(doc, (e) => e.attrs['id'] === 'failures')[0]), /RESULT: DIFFER/);
});

t.test('a missing record: the divergence is the sentence, anchored', async (t) => {
  const { code, doc } = await compareHtml('missing', ['smoke/s1-translation-fault', `${FX}/smoke-cmdq-ill.log`]);
  t.equal(code, 1);
  const pairs = all(doc, (e) => cls(e).includes('tc-pair'));
  const missing = pairs.find((p) => p.attrs['data-kind'] === 'missing');
  t.ok(missing, 'the expected event is a missing pair');
  t.match(text(missing), /imported-$/, 'nothing imported for it');
  const anchored = all(doc, (e) => e.attrs['id'] === 'tc-1-first')[0];
  t.equal(anchored?.tag, 'p');
  t.equal(text(anchored), ' (record missing from the trace)First divergent field:', 'the sentence (own text, then the <strong> label)');
});

t.test('a match: verdict MATCH, no divergence, every field equal', async (t) => {
  const { code, doc } = await compareHtml('match', ['smoke/s1-translation-fault', `${FX}/smoke-s1-fault-pre614.log`]);
  t.equal(code, 0);
  const view = all(doc, (e) => e.tag === 'details' && cls(e).includes('trace-compare'))[0];
  t.equal(view?.attrs['data-verdict'], 'MATCH');
  t.equal(all(doc, (e) => cls(e).includes('first-div') || cls(e).includes('divergence')).length, 0);
  t.equal(all(doc, (e) => e.tag === 'tr' && cls(e).includes('ev-diff')).length, 0);
  t.ok(all(doc, (e) => e.tag === 'tr' && e.attrs['data-field'] === 'StreamID').length === 1);
});
