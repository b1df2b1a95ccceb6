// The HTML report as a person sees it: the whole suite run on the emulator with two goldens
// changed, loaded in headless Chromium (Debian `chromium`, installed by .ci/run; skipped with the
// reason where absent). Checks the size budget, that nothing is fetched from the network, the
// matrix counts and filters, opening a failure from a link, and saves screenshots as CI
// artifacts: out/report-screenshot.png (the opened failure) and out/report-top.png; and a report of
// two targets (--matrix-with), its matrix saved as out/report-matrix.png.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import { parse } from 'yaml';
import { Browser, chromiumMissing } from './support/chromium.ts';
import { BROKEN, failingReport, REPO } from './support/html-fixture.ts';

const missing = chromiumMissing();
const OUT = join(REPO, 'out');

/**
 * One browser for both tests, each on its own page: starting and closing Chromium costs seconds.
 * The last test closes it; if that test does not run (a --grep), Browser's exit hook reaps it.
 */
let shared: Browser | undefined;
const browser = (): Browser => (shared ??= Browser.launch());

t.test('HTML report in headless Chromium', { skip: missing ?? false, timeout: 600000 }, async (t) => {
  const rep = await failingReport([]);
  const size = statSync(rep.file).size;
  t.ok(size <= 2 * 1024 * 1024, `whole-suite report is ${size} bytes (budget 2 MB)`);
  t.comment(`whole-suite report: ${size} bytes, ${rep.json.summary['total']} scenarios`);
  t.equal(rep.json.totals['failures'], BROKEN.length);

  const b = browser();
  const s = await b.newPage();
  const requests: string[] = [];
  const load = b.waitFor('Page.loadEventFired', s);
  await b.send('Page.enable', {}, s);
  await b.send('Network.enable', {}, s);
  const off = (url: string): boolean => !url.startsWith('file:') && !url.startsWith('data:') && !url.startsWith('about:');
  void b.waitFor('Network.requestWillBeSent', s, 120000).then(
    (p) => requests.push(String((p['request'] as { url: string }).url)),
    () => {},
  );
  await b.send('Emulation.setDeviceMetricsOverride', { width: 1366, height: 768, deviceScaleFactor: 1, mobile: false }, s);
  await b.send('Page.navigate', { url: pathToFileURL(rep.file).href }, s);
  await load;
  t.same(requests.filter(off), [], 'no network request');

  const ev = <T>(expr: string): Promise<T> => b.evaluate<T>(s, expr);
  t.equal(await ev<string>(`document.getElementById('verdict').textContent`), 'failures (exit 1)');
  const total = await ev<number>(`document.querySelectorAll('#matrix-table tbody tr').length`);
  t.match(await ev<string>(`document.getElementById('matrix-count').textContent`), `${total} of ${total} rules shown`, 'the script ran');

  // Matrix counts: the rules with a failure are exactly those the two broken scenarios cover.
  const covered = new Set(BROKEN.flatMap((id) => (parse(readFileSync(join(REPO, 'scenarios', `${id}.yaml`), 'utf8')) as { covers?: string[] }).covers ?? []));
  await ev(`(function(){var c=document.getElementById('f-failing');c.checked=true;c.dispatchEvent(new Event('change'));})()`);
  const failingRules = await ev<string[]>(
    `Array.from(document.querySelectorAll('#matrix-table tbody tr')).filter(function(r){return !r.hidden;}).map(function(r){return r.getAttribute('data-rule');})`,
  );
  t.same(failingRules.sort(), [...covered].sort(), 'the failing filter shows the rules the failing scenarios cover');
  const failCells = await ev<number[]>(
    `Array.from(document.querySelectorAll('#matrix-table tbody tr')).filter(function(r){return !r.hidden;}).map(function(r){return Number(r.querySelector('[data-col=fail]').textContent);})`,
  );
  t.ok(
    failCells.every((n) => n >= 1),
    'each shown rule counts its failing scenario',
  );
  t.match(await ev<string>(`document.getElementById('matrix-count').textContent`), `${covered.size} of ${total} rules shown`);
  await ev(
    `(function(){var c=document.getElementById('f-failing');c.checked=false;c.dispatchEvent(new Event('change'));var a=document.getElementById('f-area');a.value='walks';a.dispatchEvent(new Event('change'));})()`,
  );
  const areas = await ev<string[]>(
    `Array.from(document.querySelectorAll('#matrix-table tbody tr')).filter(function(r){return !r.hidden;}).map(function(r){return r.getAttribute('data-area');})`,
  );
  t.ok(areas.length > 0 && areas.every((a) => a === 'walks'), `area filter (${areas.length} walk rules)`);
  await ev(`(function(){var a=document.getElementById('f-area');a.value='';a.dispatchEvent(new Event('change'));})()`);

  // Scenario list filter: only failing states.
  await ev(
    `Array.from(document.querySelectorAll('#state-filters input')).forEach(function(b){b.checked=(b.value==='fail');b.dispatchEvent(new Event('change'));})`,
  );
  t.same(
    await ev<string[]>(
      `Array.from(document.querySelectorAll('#scenario-table tbody tr')).filter(function(r){return !r.hidden;}).map(function(r){return r.getAttribute('data-id');})`,
    ),
    [...BROKEN],
  );

  // Open a failure from its link: the details open and its summary takes the keyboard focus.
  const top = (await b.send('Page.captureScreenshot', { format: 'png' }, s)) as { data: string };
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, 'report-top.png'), Buffer.from(top.data, 'base64'));
  await ev(`document.querySelector('#scenario-table a[href="#f-${BROKEN[1]}"]').click()`);
  await ev(`new Promise(function(r){setTimeout(r,200);})`);
  t.equal(await ev<boolean>(`document.getElementById('f-${BROKEN[1]}').open`), true, 'the failure opened');
  t.equal(await ev<string>(`document.activeElement.tagName`), 'SUMMARY', 'focus moved to it');
  t.ok((await ev<number>(`document.getElementById('f-${BROKEN[1]}').querySelectorAll('pre.diff mark').length`)) > 0, 'diff with within-line marks');
  t.ok((await ev<number>(`document.getElementById('f-${BROKEN[1]}').querySelectorAll('figure.walk li.node').length`)) > 0, 'walk path drawn');
  // Keyboard: Enter on the focused summary closes it again.
  await b.send('Input.dispatchKeyEvent', { type: 'keyDown', key: 'Enter', code: 'Enter', windowsVirtualKeyCode: 13, text: '\r' }, s);
  await b.send('Input.dispatchKeyEvent', { type: 'keyUp', key: 'Enter', code: 'Enter', windowsVirtualKeyCode: 13 }, s);
  await ev(`new Promise(function(r){setTimeout(r,100);})`);
  t.equal(await ev<boolean>(`document.getElementById('f-${BROKEN[1]}').open`), false, 'Enter toggles it');
  await ev(`(function(){var d=document.getElementById('f-${BROKEN[1]}');d.open=true;d.scrollIntoView();})()`);
  const shot = (await b.send('Page.captureScreenshot', { format: 'png' }, s)) as { data: string };
  const path = join(OUT, 'report-screenshot.png');
  writeFileSync(path, Buffer.from(shot.data, 'base64'));
  t.ok(statSync(path).size > 10000, `screenshot saved: ${path}`);
});

t.test('HTML report of several targets in headless Chromium: the matrix per target', { skip: missing ?? false, timeout: 600000 }, async (t) => {
  // this run (the emulator, two broken goldens) and another target's JSON report merged in
  const dir = mkdtempSync(join(tmpdir(), 'smmu-matrix-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const base = await failingReport(['scenarios/smoke', 'scenarios/caching']);
  const otherFails = base.json.results.filter((_r, i) => i % 4 === 0).map((r) => r.id);
  const other = { ...base.json, target: 'qemu-x', results: base.json.results.map((r) => ({ ...r, state: otherFails.includes(r.id) ? 'xfail' : 'pass' })) };
  writeFileSync(join(dir, 'other.json'), JSON.stringify(other));
  const rep = await failingReport(['scenarios/smoke', 'scenarios/caching', ...BROKEN.map((b) => `scenarios/${b}.yaml`)], dir, [
    '--matrix-with',
    join(dir, 'other.json'),
  ]);
  const b = browser();
  t.teardown(() => b.close());
  const s = await b.newPage();
  const load = b.waitFor('Page.loadEventFired', s);
  await b.send('Page.enable', {}, s);
  await b.send('Emulation.setDeviceMetricsOverride', { width: 1366, height: 768, deviceScaleFactor: 1, mobile: false }, s);
  await b.send('Page.navigate', { url: pathToFileURL(rep.file).href }, s);
  await load;
  const ev = <T>(expr: string): Promise<T> => b.evaluate<T>(s, expr);
  t.same(
    await ev<string[]>(`Array.from(document.querySelectorAll('#matrix-table th[scope=colgroup]')).map(function(e){return e.textContent;})`),
    ['emulator', 'qemu-x'],
    'one column group per target',
  );
  // the xfail column of qemu-x counts, per rule, the covering scenarios that are xfail there
  const xfails = await ev<number>(
    `Array.from(document.querySelectorAll('#matrix-table td[data-target="qemu-x"][data-col=xfail]')).reduce(function(a,c){return a+Number(c.textContent);},0)`,
  );
  t.ok(xfails > 0, `qemu-x xfail cells (${xfails} in all)`);
  await ev(`(function(){var c=document.getElementById('f-failing');c.checked=true;c.dispatchEvent(new Event('change'));})()`);
  const shown = await ev<number>(`Array.from(document.querySelectorAll('#matrix-table tbody tr')).filter(function(r){return !r.hidden;}).length`);
  t.ok(shown > 0, `rules with failures on some target (${shown})`);
  await ev(
    `(function(){var c=document.getElementById('f-failing');c.checked=false;c.dispatchEvent(new Event('change'));var a=document.getElementById('f-area');a.value='caching';a.dispatchEvent(new Event('change'));document.getElementById('matrix').scrollIntoView();})()`,
  );
  await ev(`new Promise(function(r){setTimeout(r,100);})`);
  const shot = (await b.send('Page.captureScreenshot', { format: 'png' }, s)) as { data: string };
  mkdirSync(OUT, { recursive: true });
  const path = join(OUT, 'report-matrix.png');
  writeFileSync(path, Buffer.from(shot.data, 'base64'));
  t.ok(statSync(path).size > 10000, `screenshot saved: ${path}`);
});
