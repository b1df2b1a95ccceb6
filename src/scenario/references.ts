/**
 * Name resolution and cross-field rules the schema cannot express: every device, page table and
 * CD table named by a stream, step or command must be declared; names are unique; alternatives
 * (device|sid, pa|ipa, op|raw) are given exactly once. All errors are located.
 */
import { closest } from '../arch/fields.ts';
import { isRuleId, RULES } from '../coverage/rules.ts';
import type { LoadError, LoadErrorCode } from './errors.ts';
import { pathString } from './errors.ts';
import type { Locator } from './locate.ts';
import { HOST_STEP_KINDS, type Scenario, type StreamInstall, stepBody, stepKind } from './types.ts';

type Path = (string | number)[];

export function checkReferences(s: Scenario, file: string, loc: Locator): LoadError[] {
  const errors: LoadError[] = [];
  const report = (code: LoadErrorCode, path: Path, message: string): void => {
    const p = loc.locate(path);
    errors.push({ code, file, line: p.line, col: p.col, path: pathString(path), message });
  };
  (s.covers ?? []).forEach((id, i) => {
    if (isRuleId(id)) return;
    const dym = closest(id, RULES.map((r) => r.id));
    report('UNKNOWN_RULE', ['covers', i], `Unknown rule "${id}"${dym !== undefined ? ` (did you mean "${dym}"?)` : ''}; rules are listed in src/coverage/rules.ts`);
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
    report('UNKNOWN_REFERENCE', path, `Unknown ${what} "${name}"${dym !== undefined ? ` (did you mean "${dym}"?)` : ''}${set.size === 0 ? `; no ${what} is declared` : ''}`);
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

  s.steps.forEach((step, i) => {
    const kind = stepKind(step);
    const at: Path = ['steps', i, kind];
    switch (kind) {
      case 'ste': {
        const b = stepBody(step, 'ste');
        if (b !== undefined) checkStream(b, at);
        break;
      }
      case 'dma':
        ref(devSet, 'device', stepBody(step, 'dma')?.device, [...at, 'device']);
        break;
      case 'resume': {
        const b = stepBody(step, 'resume');
        ref(devSet, 'device', b?.device, [...at, 'device']);
        if (b === undefined) break;
        if ((b.stall === undefined) === (b.stag === undefined)) report('CONFLICT', at, 'A resume names its transaction by stall (a dma step number) or by device + stag: give exactly one of stall, stag');
        else if (b.stag !== undefined && b.device === undefined) report('CONFLICT', at, 'A resume by stag needs device');
        else if (b.stall !== undefined && (b.stall > i || !('dma' in (s.steps[b.stall - 1] ?? {})))) {
          report('CONFLICT', [...at, 'stall'], `stall: ${b.stall} must be the number of an earlier dma step`);
        }
        break;
      }
      case 'cmdq':
        (stepBody(step, 'cmdq')?.commands ?? []).forEach((c, j) => {
          const cat: Path = [...at, 'commands', j];
          ref(devSet, 'device', c.device, [...cat, 'device']);
          if (c.device !== undefined && c.sid !== undefined) report('CONFLICT', cat, 'Give either device or sid, not both');
          if (c.op === undefined && c.raw === undefined) report('CONFLICT', cat, 'A command needs op or raw dwords');
        });
        break;
      case 'map':
      case 'unmap': {
        const b = kind === 'map' ? stepBody(step, 'map') : stepBody(step, 'unmap');
        if (b === undefined) break;
        const isS1 = s1.has(b.table);
        const isS2 = s2.has(b.table);
        if (!isS1 && !isS2) {
          ref(new Set([...s1, ...s2]), 'page table', b.table, [...at, 'table']);
          break;
        }
        const pa = 'pa' in b ? b.pa : undefined;
        if (isS1 && b.va === undefined) report('CONFLICT', at, `Table "${b.table}" is a stage-1 table: give va`);
        if (isS1 && kind === 'map' && (pa === undefined) === (b.ipa === undefined)) report('CONFLICT', at, 'A stage-1 mapping needs exactly one output address: pa or ipa');
        if (isS2 && (b.ipa === undefined || b.va !== undefined)) report('CONFLICT', at, `Table "${b.table}" is a stage-2 table: give ipa (not va)`);
        if (isS2 && kind === 'map' && pa === undefined) report('CONFLICT', at, 'A stage-2 mapping needs pa');
        break;
      }
      default:
        break;
    }
  });
  checkHostReferences(s, { report, ref, devSet, s2, cds });
  return errors;
}

interface RefTools {
  readonly report: (code: LoadErrorCode, path: Path, message: string) => void;
  readonly ref: (set: ReadonlySet<string>, what: string, name: string | undefined, path: Path) => void;
  readonly devSet: ReadonlySet<string>;
  readonly s2: ReadonlySet<string>;
  readonly cds: ReadonlySet<string>;
}

/**
 * Host/guest objects (HWPTs, vIOMMUs, vDEVICEs, vEVENTQs) share one namespace and must be created
 * by an earlier step than the one naming them; host steps need a top-level `host`.
 */
function checkHostReferences(s: Scenario, x: RefTools): void {
  const { report, ref, devSet } = x;
  const objects = new Map<string, string>();
  const of = (kind: string): Set<string> => new Set([...objects].filter(([, k]) => kind === '*' || k === kind).map(([n]) => n));
  const hostKinds: ReadonlySet<string> = new Set(HOST_STEP_KINDS);
  (s.host?.devices ?? []).forEach((d, i) => ref(devSet, 'device', d.device, ['host', 'devices', i, 'device']));
  const declare = (kind: string, name: string | undefined, path: Path): void => {
    if (name === undefined) return;
    if (objects.has(name)) report('DUPLICATE_NAME', path, `Host object "${name}" is created twice (HWPTs, vIOMMUs, vDEVICEs and vEVENTQs share one namespace)`);
    objects.set(name, kind);
  };
  s.steps.forEach((step, i) => {
    const kind = stepKind(step);
    const at: Path = ['steps', i, kind];
    if (hostKinds.has(kind) && s.host === undefined) report('CONFLICT', at, `Step "${kind}" drives the host layer: add a top-level \`host:\``);
    const b = (step as unknown as Record<string, Record<string, unknown>>)[kind] ?? {};
    const str = (k: string): string | undefined => (typeof b[k] === 'string' ? (b[k] as string) : undefined);
    if (hostKinds.has(kind) && 'device' in b) ref(devSet, 'device', str('device'), [...at, 'device']);
    switch (kind) {
      case 'hwpt_alloc':
        ref(x.s2, 's2 table', str('s2_table'), [...at, 's2_table']);
        declare('hwpt', str('name'), [...at, 'name']);
        break;
      case 's2_map': case 's2_unmap':
        ref(of('hwpt'), 'HWPT', str('hwpt'), [...at, 'hwpt']);
        break;
      case 'viommu':
        ref(of('hwpt'), 'HWPT', str('hwpt'), [...at, 'hwpt']);
        declare('viommu', str('name'), [...at, 'name']);
        break;
      case 'vdevice':
        ref(of('viommu'), 'vIOMMU', str('viommu'), [...at, 'viommu']);
        declare('vdevice', str('name'), [...at, 'name']);
        break;
      case 'nested_hwpt': {
        ref(of('*'), 'host object', str('pt'), [...at, 'pt']);
        const v = b['ste'] as { cd_table?: string; raw?: unknown } | undefined;
        ref(x.cds, 'CD table', v?.cd_table, [...at, 'ste', 'cd_table']);
        declare('hwpt', str('name'), [...at, 'name']);
        break;
      }
      case 'attach':
        ref(of('hwpt'), 'HWPT', str('hwpt'), [...at, 'hwpt']);
        break;
      case 'invalidate':
        ref(of('*'), 'host object', str('target'), [...at, 'target']);
        break;
      case 'veventq':
        ref(of('viommu'), 'vIOMMU', str('viommu'), [...at, 'viommu']);
        declare('veventq', str('name'), [...at, 'name']);
        break;
      case 'read_vevents':
        ref(of('veventq'), 'vEVENTQ', str('veventq'), [...at, 'veventq']);
        break;
      case 'destroy':
        ref(of('*'), 'host object', str('object'), [...at, 'object']);
        break;
      case 'guest_cmdq': case 'guest_events':
        if (s.guest === undefined) report('CONFLICT', at, `Step "${kind}" needs a top-level \`guest:\``);
        break;
      default:
        break;
    }
    if (kind === 'invalidate' || kind === 'guest_cmdq') {
      const cmds = (b['commands'] ?? []) as { device?: string; sid?: unknown; op?: unknown; raw?: unknown }[];
      cmds.forEach((c, j) => {
        ref(devSet, 'device', c.device, [...at, 'commands', j, 'device']);
        if (c.op === undefined && c.raw === undefined) report('CONFLICT', [...at, 'commands', j], 'A command needs op or raw dwords');
      });
    }
  });
  if (s.guest !== undefined) {
    if (s.host === undefined) report('CONFLICT', ['guest'], 'A guest vSMMU needs a top-level `host:`');
    const rfc = s.host?.uapi === 'rfc-2023';
    if (rfc && s.guest.nested_hwpt === undefined) report('CONFLICT', ['guest'], 'With uapi rfc-2023 the guest needs nested_hwpt (the RFC invalidated on a nested HWPT)');
    if (!rfc && s.guest.viommu === undefined) report('CONFLICT', ['guest'], 'The guest needs viommu: the vIOMMU its vSMMU forwards to');
    ref(of('viommu'), 'vIOMMU', s.guest.viommu, ['guest', 'viommu']);
    ref(of('hwpt'), 'HWPT', s.guest.nested_hwpt, ['guest', 'nested_hwpt']);
  }
}
