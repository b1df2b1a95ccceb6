/**
 * Name resolution and cross-field rules the schema cannot express: every device, page table and
 * CD table named by a stream, step or command must be declared; names are unique; alternatives
 * (device|sid, pa|ipa, op|raw) are given exactly once. All errors are located. The checks of a
 * step's own body come from its definition (StepLanguage.checkStep, src/engine/steps/).
 */
import { closest } from '../arch/fields.ts';
import { isRuleId, RULES } from './rules.ts';
import type { LoadError, LoadErrorCode } from './errors.ts';
import { pathString } from './errors.ts';
import type { Locator } from './locate.ts';
import type { RefPath as Path, RefTools, StepLanguage } from './language.ts';
import { type Command, type Scenario, type StreamInstall, stepBody, stepKind } from './types.ts';

export function checkReferences(s: Scenario, file: string, loc: Locator, lang: StepLanguage): LoadError[] {
  const errors: LoadError[] = [];
  const report = (code: LoadErrorCode, path: Path, message: string): void => {
    const p = loc.locate(path);
    errors.push({ code, file, line: p.line, col: p.col, path: pathString(path), message });
  };
  (s.covers ?? []).forEach((id, i) => {
    if (isRuleId(id)) return;
    const dym = closest(
      id,
      RULES.map((r) => r.id),
    );
    report(
      'UNKNOWN_RULE',
      ['covers', i],
      `Unknown rule "${id}"${dym !== undefined ? ` (did you mean "${dym}"?)` : ''}; rules are listed in src/scenario/rules.ts`,
    );
  });
  const devices = new Map<string, Path>();
  const sids = new Map<bigint, string>();
  (s.devices ?? []).forEach((d, i) => {
    if (devices.has(d.name)) report('DUPLICATE_NAME', ['devices', i, 'name'], `Device "${d.name}" is declared twice`);
    devices.set(d.name, ['devices', i]);
    const other = sids.get(d.sid);
    if (other !== undefined) report('DUPLICATE_NAME', ['devices', i, 'sid'], `StreamID 0x${d.sid.toString(16)} is already used by device "${other}"`);
    sids.set(d.sid, d.name);
  });

  const s1 = new Set<string>();
  const s2 = new Set<string>();
  const cds = new Set<string>();
  const tableNames = new Set<string>();
  const declare = (set: Set<string>, name: string, path: Path): void => {
    if (tableNames.has(name)) report('DUPLICATE_NAME', path, `Table "${name}" is declared twice (s1, s2 and CD tables share one namespace)`);
    tableNames.add(name);
    set.add(name);
  };
  const mem = s.memory ?? {};
  (mem.s1_tables ?? []).forEach((t, i) => declare(s1, t.name, ['memory', 's1_tables', i, 'name']));
  (mem.s2_tables ?? []).forEach((t, i) => declare(s2, t.name, ['memory', 's2_tables', i, 'name']));
  (mem.cd_tables ?? []).forEach((t, i) => declare(cds, t.name, ['memory', 'cd_tables', i, 'name']));

  const ref = (set: ReadonlySet<string>, what: string, name: string | undefined, path: Path): void => {
    if (name === undefined || set.has(name)) return;
    const dym = closest(name, [...set]);
    report(
      'UNKNOWN_REFERENCE',
      path,
      `Unknown ${what} "${name}"${dym !== undefined ? ` (did you mean "${dym}"?)` : ''}${set.size === 0 ? `; no ${what} is declared` : ''}`,
    );
  };
  const devSet = new Set(devices.keys());

  (mem.s1_tables ?? []).forEach((t, i) => {
    ref(s2, 's2 table', t.ipa_space, ['memory', 's1_tables', i, 'ipa_space']);
    t.map.forEach((m, j) => {
      if ((m.pa === undefined) === (m.ipa === undefined)) {
        report('CONFLICT', ['memory', 's1_tables', i, 'map', j], 'A stage-1 mapping needs exactly one output address: pa or ipa');
      }
    });
  });
  (mem.cd_tables ?? []).forEach((t, i) => {
    ref(s2, 's2 table', t.ipa_space, ['memory', 'cd_tables', i, 'ipa_space']);
    const ssids = new Set<bigint>();
    t.entries.forEach((e, j) => {
      const at: Path = ['memory', 'cd_tables', i, 'entries', j];
      if (ssids.has(e.ssid)) report('DUPLICATE_NAME', [...at, 'ssid'], `SubstreamID ${e.ssid} has two CDs in "${t.name}"`);
      ssids.add(e.ssid);
      ref(s1, 's1 table', e.tt0, [...at, 'tt0']);
      ref(s1, 's1 table', e.tt1, [...at, 'tt1']);
    });
  });

  const checkStream = (st: StreamInstall, at: Path): void => {
    if (st.device !== undefined && st.sid !== undefined) report('CONFLICT', at, 'Give either device or sid, not both');
    if (st.device === undefined && st.sid === undefined) report('CONFLICT', at, 'An STE needs a device or a sid to select it');
    ref(devSet, 'device', st.device, [...at, 'device']);
    ref(cds, 'CD table', st.cd_table, [...at, 'cd_table']);
    ref(s2, 's2 table', st.s2_table, [...at, 's2_table']);
    if (st.config === undefined && st.raw === undefined) report('CONFLICT', at, 'An STE needs config (abort|bypass|s1|s2|nested) or raw dwords');
  };
  (s.streams ?? []).forEach((st, i) => checkStream(st, ['streams', i]));
  const checkCommands = (cmds: readonly Command[], at: Path, deviceOrSid: boolean): void => {
    cmds.forEach((c, j) => {
      const cat: Path = [...at, 'commands', j];
      ref(devSet, 'device', c.device, [...cat, 'device']);
      if (deviceOrSid && c.device !== undefined && c.sid !== undefined) report('CONFLICT', cat, 'Give either device or sid, not both');
      if (c.op === undefined && c.raw === undefined) report('CONFLICT', cat, 'A command needs op or raw dwords');
    });
  };

  // Host/guest objects (HWPTs, vIOMMUs, vDEVICEs, vEVENTQs) share one namespace and must be
  // created by an earlier step than the one naming them.
  const objects = new Map<string, string>();
  const tools: RefTools = {
    scenario: s,
    report,
    ref,
    devices: devSet,
    s1,
    s2,
    cds,
    checkStream,
    checkCommands,
    objects: (kind) => new Set([...objects].filter(([, k]) => kind === '*' || k === kind).map(([n]) => n)),
    declareObject: (kind, name, path) => {
      if (name === undefined) return;
      if (objects.has(name))
        report('DUPLICATE_NAME', path, `Host object "${name}" is created twice (HWPTs, vIOMMUs, vDEVICEs and vEVENTQs share one namespace)`);
      objects.set(name, kind);
    },
  };
  (s.host?.devices ?? []).forEach((d, i) => ref(devSet, 'device', d.device, ['host', 'devices', i, 'device']));
  s.steps.forEach((step, i) => {
    const kind = stepKind(step);
    const at: Path = ['steps', i, kind];
    const body = stepBody(step, kind);
    if (lang.hostKinds.has(kind)) {
      if (s.host === undefined) report('CONFLICT', at, `Step "${kind}" drives the host layer: add a top-level \`host:\``);
      const dev = (body as { device?: unknown } | undefined)?.device;
      if (typeof dev === 'string') ref(devSet, 'device', dev, [...at, 'device']);
    }
    lang.checkStep(kind, body, tools, at);
  });
  if (s.guest !== undefined) {
    if (s.host === undefined) report('CONFLICT', ['guest'], 'A guest vSMMU needs a top-level `host:`');
    const rfc = s.host?.uapi === 'rfc-2023';
    if (rfc && s.guest.nested_hwpt === undefined)
      report('CONFLICT', ['guest'], 'With uapi rfc-2023 the guest needs nested_hwpt (the RFC invalidated on a nested HWPT)');
    if (!rfc && s.guest.viommu === undefined) report('CONFLICT', ['guest'], 'The guest needs viommu: the vIOMMU its vSMMU forwards to');
    ref(tools.objects('viommu'), 'vIOMMU', s.guest.viommu, ['guest', 'viommu']);
    ref(tools.objects('hwpt'), 'HWPT', s.guest.nested_hwpt, ['guest', 'nested_hwpt']);
  }
  return errors;
}
