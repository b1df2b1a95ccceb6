/** Help texts: the overview (`smmu-conform --help`) and one per subcommand (`smmu-conform run --help`). */

export const RUN_HELP = `Usage: smmu-conform run [paths|ids|globs] [options]

Run scenarios on the target and compare each with its golden.

Selection:
  --tag T               only scenarios tagged T (repeatable: any of); an unknown tag is an error
  --grep RE             only scenario ids matching RE
  --shard I/N           run shard I of N (stable hash of the scenario id); N may not exceed the
                        number of selected scenarios
  --allow-empty         a selection that runs nothing exits 0 instead of 2
Goldens:
  --update              rewrite goldens that differ (refused under CI: CI=true/1, or a CI system's
                        own variable such as GITHUB_ACTIONS, GITLAB_CI, TF_BUILD, BUILDKITE)
  --create              with --update: also create missing goldens
  --check-obsolete      fail on goldens whose scenario no longer exists
  --expect-fail FILE    scenario ids expected to fail (XFAIL; a pass is XPASS = failure)
Reports:
  --reporter R[:FILE]   pretty (default) | tap | junit | json | html; repeatable, at most one
                        without FILE (stdout), e.g. --reporter pretty --reporter html:out/report.html
  --verbose, -v         reasons on SKIP lines and details of expected failures
  --timings             include per-scenario wall times in every report
  --target T            the SMMU under test: builtin (default) | qemu | qemu=PATH (docs/targets.md);
                        known deviations from targets/<name>.yaml are XFAIL
  --reference           with --target: print the differential report against the reference model
  --matrix-with FILE    another run's JSON report (e.g. on another target): its results become
                        more columns of the HTML report's areas x rules matrix (repeatable)
  --trace-compare S=LOG run \`trace compare\` of scenario S against LOG (a kernel log, EVTQ dump,
                        QEMU trace) and show the records side by side in the HTML report
                        (repeatable; needs --reporter html:FILE; docs/trace.md)
  --trace-profile P     mask profile of those comparisons: strict | architectural | hardware | qemu
Target:
  --features LIST       profile features (default: all, or the --profile part's), e.g. s1,s2,nesting
  --profile FILE        the SMMU part under test: every scenario runs on it (its own smmu: block
                        applied on top) and requires: is checked against it
  --jobs N|auto         worker threads (1 = in-process; default auto)
  --budget-steps N      per-scenario step budget; a scenario over it is an error with its location
  --budget-ms N         per-scenario wall-time budget in milliseconds (same)
  --root DIR            scenarios root (default scenarios)
  --golden DIR          golden root (default golden); must exist unless --update --create

Colour: on when stdout is a terminal; NO_COLOR=1 turns it off, FORCE_COLOR=1 on (FORCE_COLOR wins).
Exit codes: 0 all as expected, 1 failures (fail, xpass, error, obsolete golden),
            2 invalid input (bad scenario, bad argument, nothing selected).
`;

export const VALIDATE_HELP = `Usage: smmu-conform validate [paths] [--root DIR]

Check scenario files against the schema and their references (devices, tables, names); every
error as file:line:col with a did-you-mean. Exit 0 all valid, 2 otherwise.
`;

export const LIST_HELP = `Usage: smmu-conform list [paths] [--tag T] [--grep RE] [--root DIR]

List scenario ids with their tags and required features.
`;

export const EXPLAIN_HELP = `Usage: smmu-conform explain <scenario> [--step N] [--root DIR] [--features LIST]

Run one scenario with walk tracing and print, per DMA step, every descriptor fetched (stage,
level, address, descriptor) with the stage-2 translation of each fetch.
`;

export const COMMAND_HELP: Readonly<Record<string, string>> = {
  run: RUN_HELP,
  validate: VALIDATE_HELP,
  list: LIST_HELP,
  explain: EXPLAIN_HELP,
};
