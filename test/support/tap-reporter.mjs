/**
 * The reporter of `npm test` (.taprc `reporter:`): tap's TAP stream, cut down to what a person
 * reads. It prints every failing point with its YAML diagnostics, every skipped or todo test with
 * its reason, every comment a test writes (t.comment: how many scenarios ran on each QEMU, the
 * golden-review counts), each suite process's result line and the final totals; passing points
 * and tap's own `# time=` lines are left out.
 *
 * Why not tap's default: its ink/React reporters re-render for every result and cost about 1 ms
 * of CPU per assertion (measured: 9.5 CPU-s for the 6,749 points of test/suites/unit.ts, against
 * 2.5 s for the raw TAP) on the two cores that run the tests. Plain JS because the tap runner
 * imports it without tsx. `npx tap -R base file.test.ts` still gives the full view.
 */
import { Transform } from 'node:stream';

const RESULT = /^(not )?ok\b/;
/** A directive is ` # SKIP` or ` # TODO`; a `#` inside a test name is escaped as `\#`. */
const DIRECTIVE = /[^\\]#\s*(SKIP|TODO)\b/i;
/** tap's timing line after each subtest. */
const TIME = /^# time=/;

export default class Report extends Transform {
  #rest = '';
  /** Open subtests, outermost first: indentation of their `# Subtest:` line and name. */
  #open = [];
  /** Indentation of the YAML block being copied after a printed point; -1 when none. */
  #yaml = -1;
  /** Columns cut from the copied YAML block, so it sits under its point as printed. */
  #yamlCut = 0;
  /** Indentation where a YAML block would start after the point just printed; -1 when none. */
  #yamlNext = -1;

  _transform(chunk, _encoding, done) {
    const lines = (this.#rest + chunk.toString()).split('\n');
    this.#rest = lines.pop() ?? '';
    const out = lines.map((l) => this.#line(l)).join('');
    if (out !== '') this.push(out);
    done();
  }

  _flush(done) {
    const out = this.#rest === '' ? '' : this.#line(this.#rest);
    if (out !== '') this.push(out);
    done();
  }

  /** What to print for one line of TAP ('' for nothing). */
  #line(line) {
    const text = line.trimStart();
    const indent = line.length - text.length;
    if (this.#yaml >= 0) {
      if (indent >= this.#yaml && text !== '') {
        if (indent === this.#yaml && text === '...') this.#yaml = -1;
        return `${line.slice(this.#yamlCut)}\n`;
      }
      this.#yaml = -1;
    }
    const yamlStart = this.#yamlNext;
    this.#yamlNext = -1;
    if (text === '---' && indent === yamlStart) {
      this.#yaml = indent;
      this.#yamlCut = indent - 2;
      return `  ${text}\n`;
    }
    while (this.#open.length > 0 && (this.#open.at(-1)?.indent ?? 0) > indent) this.#open.pop();
    if (text.startsWith('# Subtest: ')) {
      while (this.#open.length > 0 && (this.#open.at(-1)?.indent ?? 0) >= indent) this.#open.pop();
      this.#open.push({ indent, name: text.slice('# Subtest: '.length) });
      return '';
    }
    if (text.startsWith('Bail out!')) return `${text}\n`;
    if (indent > 0 && text.startsWith('# ') && !TIME.test(text)) {
      const where = this.#open.filter((s) => s.indent < indent).map((s) => s.name);
      return `${[...where, text].join(' > ')}\n`;
    }
    if (indent === 0) {
      if (text.startsWith('not ')) this.#yamlNext = 2;
      return text === '' || text.startsWith('TAP version') ? '' : `${text}\n`;
    }
    if (!RESULT.test(text) || !(text.startsWith('not ') || DIRECTIVE.test(text))) return '';
    const where = this.#open.filter((s) => s.indent < indent).map((s) => s.name);
    this.#yamlNext = indent + 2;
    return `${[...where, text].join(' > ')}\n`;
  }
}
