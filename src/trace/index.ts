/**
 * src/trace public surface: importers (kernel logs of both eras, raw event-queue dumps, QEMU
 * trace-events) into one Trace format, decode + cross-check, duplicate folding, compare core and
 * the CLI entry points `runTraceImport` / `runTraceDecode` / `runTraceCompare`, and the
 * Observation → compare-input adapter used by `trace compare <scenario>`.
 */
export * from './types.ts';
export { importDmesg } from './dmesg.ts';
export { importEvtq, type EvtqImportOptions } from './evtq.ts';
export { importQemu } from './qemu.ts';
export { collapseDuplicates } from './collapse.ts';
export { crossCheck, decodeRecord, describeRecord, formatTraceListing, knownFields } from './decode.ts';
export { compareTrace, formatCompareReport, sideBySide, type CompareOptions, type CompareResult, type ExpectedRecords, type Pair } from './compare.ts';
export { MASK_PROFILES, MASKABLE, describeMasks, diffEvent, resolveMasks, type FieldDiff, type MaskProfile, type MaskSet } from './masks.ts';
export { traceFromJson, traceFromYaml, traceToJson, traceToYaml } from './serialize.ts';
export { detectFormat, expectedFromGolden, importTrace, loadTrace, looksLikeGolden, ScenarioInputError, runTraceCompare, runTraceDecode, runTraceImport, type CliResult, type ExecuteScenario, type ImportOptions } from './cli.ts';
export { expectedFromObservation, hostLinesFromSteps } from './observed.ts';
