/**
 * Validate JUnit XML against test/junit.schema.json (the Jenkins junit-10.xsd structure over a
 * JSON rendering) plus what a schema over JSON cannot say: element order inside <testcase>
 * (skipped?, error*, failure*, system-out*, system-err*) and per-suite counts that match the
 * testcases. Returns the problems (empty = valid) and the totals Jenkins would show.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parseXml, type XmlElement } from './xml.ts';

const schema = JSON.parse(readFileSync(new URL('../junit.schema.json', import.meta.url), 'utf8')) as object;
const validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);

export interface JunitCheck {
  readonly problems: string[];
  readonly tests: number;
  readonly failures: number;
  readonly errors: number;
  readonly skipped: number;
}

const ORDER = ['skipped', 'error', 'failure', 'system-out', 'system-err'];

export function checkJunit(xml: string): JunitCheck {
  let root: XmlElement;
  try {
    root = parseXml(xml);
  } catch (e) {
    return { problems: [`not well-formed: ${(e as Error).message}`], tests: 0, failures: 0, errors: 0, skipped: 0 };
  }
  const problems: string[] = [];
  if (!validate(root)) for (const e of validate.errors ?? []) problems.push(`${e.instancePath} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
  let tests = 0;
  let failures = 0;
  let errors = 0;
  let skipped = 0;
  for (const suite of root.children) {
    const cases = suite.children;
    const n = (tag: string): number => cases.filter((c) => c.children.some((x) => x.tag === tag)).length;
    const counted = { tests: cases.length, failures: n('failure'), errors: n('error'), skipped: n('skipped') };
    for (const [k, v] of Object.entries(counted)) {
      if (suite.attrs[k] !== undefined && Number(suite.attrs[k]) !== v)
        problems.push(`testsuite ${suite.attrs['name'] ?? ''}: ${k}="${suite.attrs[k]}" but ${v} testcases`);
    }
    for (const c of cases) {
      const idx = c.children.map((x) => ORDER.indexOf(x.tag));
      if (idx.some((v, i) => i > 0 && v < (idx[i - 1] ?? 0))) problems.push(`testcase ${c.attrs['name'] ?? ''}: children out of order`);
    }
    tests += counted.tests;
    failures += counted.failures;
    errors += counted.errors;
    skipped += counted.skipped;
  }
  for (const [k, v] of Object.entries({ tests, failures, errors })) {
    if (root.attrs[k] !== undefined && Number(root.attrs[k]) !== v) problems.push(`testsuites: ${k}="${root.attrs[k]}" but ${v} testcases`);
  }
  return { problems, tests, failures, errors, skipped };
}
