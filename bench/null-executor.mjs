// Bench-only executor that does no emulation: isolates the harness's own cost (load, validate,
// canonicalise, compare, report) from the emulator's in bench/suite.bench.ts.
export function executeScenario(scenario) {
  return {
    scenario: scenario.name,
    steps: scenario.steps.map((s, i) => ({ step: i + 1, op: Object.keys(s)[0], result: 'ok' })),
    events: [],
    guest_events: [],
    host_log: [],
    cmdq: { prod: '0x00000000', cons: '0x00000000', error: 'CERROR_NONE' },
  };
}
