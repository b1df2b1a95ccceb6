/**
 * A scenario's `smmu:` block (or a `--profile` file, which has the same shape) → overrides of
 * the emulator's one profile type (src/smmu/profile.ts), with the document path each override
 * came from, and the consistency check of the resulting part (src/smmu/profile-rules.ts) as
 * located errors. The executor applies exactly these overrides, so what is validated is what runs.
 */
import { OAS_BITS } from '../arch/registers.ts';
import type { GranuleName } from '../arch/ttd.ts';
import { DEFAULT_PROFILE, type SmmuProfile, makeProfile, profileIas } from '../smmu/profile.ts';
import { fieldAllows, profileField } from '../smmu/profile-fields.ts';
import { type ProfileKey, profileViolations } from '../smmu/profile-rules.ts';
import { featureBit } from './features.ts';
import type { LoadError } from './errors.ts';
import { pathString } from './errors.ts';
import type { Locator } from './locate.ts';
import type { Scenario, SmmuBlock } from './types.ts';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
export type Path = (string | number)[];

export interface ProfileOverrides {
  readonly profile: Partial<SmmuProfile>;
  /** Where each override was written (relative to the document root). */
  readonly paths: ReadonlyMap<ProfileKey, Path>;
}

/** The output address sizes a part can have: the IDR5.OAS encodings the profile field table allows. */
const OAS_FIELD = profileField('OAS');
const OAS = OAS_BITS.filter((_, enc) => OAS_FIELD !== undefined && fieldAllows(OAS_FIELD, enc));
export const VERSIONS = ['v3.0', 'v3.1', 'v3.2'] as const;

/**
 * `under`: the part the block is applied to (a run-level `--profile`, else the default), which
 * granule toggles and IIDR/AIDR sub-fields start from.
 */
export function profileOverrides(m: SmmuBlock, base: Path = ['smmu'], under: SmmuProfile = DEFAULT_PROFILE): ProfileOverrides {
  const p: Partial<Mutable<SmmuProfile>> = {};
  const paths = new Map<ProfileKey, Path>();
  const set = <K extends ProfileKey>(key: K, v: SmmuProfile[K], path: Path): void => {
    p[key] = v;
    paths.set(key, [...base, ...path]);
  };
  if (m.version !== undefined) set('aidr', { major: 0, minor: VERSIONS.indexOf(m.version) }, ['version']);
  // the schema allows 32..52; a value between the encodings is reported by checkProfileBlock
  if (m.oas !== undefined) set('oas', m.oas as SmmuProfile['oas'], ['oas']);
  if (m.sidsize !== undefined) set('sidSize', m.sidsize, ['sidsize']);
  if (m.ssidsize !== undefined) set('ssidSize', m.ssidsize, ['ssidsize']);
  if (m.stall_model !== undefined) {
    set('stallModel', m.stall_model === 'stall_and_terminate' ? 0 : m.stall_model === 'terminate' ? 1 : 2, ['stall_model']);
  }
  let granules: GranuleName[] = [...(m.granules ?? under.granules)];
  let granulesAt: Path | undefined = m.granules !== undefined ? ['granules'] : undefined;
  const f = m.features ?? {};
  for (const [name, on] of Object.entries(f)) {
    if (on === undefined) continue;
    const at: Path = ['features', name];
    const bit = featureBit(name);
    if (bit !== undefined) {
      set(bit, on, at);
      continue;
    }
    switch (name) {
      case 'nesting':
        if (!on && f.s2 === undefined) set('s2p', false, at);
        break;
      case 'stall':
        set('stallModel', on ? (m.stall_model === 'stall_force' ? 2 : 0) : 1, at);
        break;
      case '2lvl_strtab':
        set('stLevel', on ? 1 : 0, at);
        break;
      case 'httu':
        set('httu', on ? 2 : 0, at);
        break;
      case 'granule_16k':
        granules = toggle(granules, '16k', on);
        granulesAt ??= at;
        break;
      case 'granule_64k':
        granules = toggle(granules, '64k', on);
        granulesAt ??= at;
        break;
      default:
        break; // e2h, vatos: no IDR field of their own here (docs/writing-scenarios.md)
    }
  }
  if (granulesAt !== undefined) set('granules', granules, granulesAt);
  // raw ID register fields last: they are the most specific way to say what the part reads as
  for (const [name, v] of Object.entries(m.idr ?? {})) {
    const f = profileField(name);
    if (f === undefined) continue; // the schema rejects unknown names
    f.set(p, v, { ...under, ...p } as SmmuProfile);
    paths.set(f.key, [...base, 'idr', name]);
  }
  const d = m.impdef ?? {};
  if (d.cmd_res0 !== undefined) set('cmdRes0', d.cmd_res0, ['impdef', 'cmd_res0']);
  if (d.gbpa_abort_reset !== undefined) set('gbpaAbortReset', d.gbpa_abort_reset, ['impdef', 'gbpa_abort_reset']);
  if (d.wired_irq !== undefined) set('wiredIrq', d.wired_irq, ['impdef', 'wired_irq']);
  if (d.merge_events !== undefined) set('mergeEvents', d.merge_events, ['impdef', 'merge_events']);
  return { profile: p, paths };
}

function toggle(gs: GranuleName[], g: '16k' | '64k', on: boolean): GranuleName[] {
  const rest = gs.filter((x) => x !== g);
  return on ? [...rest, g] : rest;
}

/**
 * Located errors for an `smmu:` block describing a part the architecture does not allow: each
 * broken consistency rule is reported at the first key of the rule that the block wrote (else at
 * the block itself), citing the rule id and section.
 */
export function checkProfileBlock(m: SmmuBlock | undefined, file: string, loc: Locator, base: Path = ['smmu'], under: Partial<SmmuProfile> = {}): LoadError[] {
  if (m === undefined) return [];
  const errors: LoadError[] = [];
  const report = (path: Path, message: string, code: 'PROFILE_RULE' | 'CONFLICT' = 'PROFILE_RULE'): void => {
    const at = loc.locate(path, true);
    errors.push({ code, file, line: at.line, col: at.col, path: pathString(path), message });
  };
  let part: SmmuProfile;
  try {
    part = makeProfile(under);
  } catch {
    return []; // the run-level profile was reported when it was loaded
  }
  const o = profileOverrides(m, base, part);
  // an idr field and a feature switch naming the same profile field must agree
  const { idr, ...rest } = m;
  const plain = profileOverrides(rest, base, part);
  for (const name of Object.keys(idr ?? {})) {
    const f = profileField(name);
    if (f === undefined || !plain.paths.has(f.key)) continue;
    if (JSON.stringify(plain.profile[f.key]) !== JSON.stringify(o.profile[f.key])) {
      report([...base, 'idr', name], `idr.${name} disagrees with ${pathString(plain.paths.get(f.key) ?? base)}; name the field once`, 'CONFLICT');
    }
  }
  if (m.oas !== undefined && !OAS.includes(m.oas)) {
    report([...base, 'oas'], `IDR5.OAS cannot encode ${m.oas} bits; expected one of ${OAS.join(', ')} (SMMUv3 §6.3.6)`);
    return errors;
  }
  let p: SmmuProfile;
  try {
    p = makeProfile({ ...under, ...o.profile });
  } catch (e) {
    report(
      o.paths.get('hyp') ?? o.paths.get('s1p') ?? o.paths.get('s2p') ?? base,
      e instanceof Error ? e.message.replace(/^Cannot build SMMU profile: /, '') : String(e),
    );
    return errors;
  }
  for (const v of profileViolations(p)) {
    const key = v.rule.keys.find((k) => o.paths.has(k));
    report(key !== undefined ? (o.paths.get(key) ?? base) : base, v.message);
  }
  if (m.cmdq_log2size !== undefined && m.cmdq_log2size > p.cmdqs) {
    report([...base, 'cmdq_log2size'], `CMDQ_BASE.LOG2SIZE ${m.cmdq_log2size} exceeds IDR1.CMDQS ${p.cmdqs} (SMMUv3 §6.3.26)`);
  }
  if (m.evtq_log2size !== undefined && m.evtq_log2size > p.eventqs) {
    report([...base, 'evtq_log2size'], `EVENTQ_BASE.LOG2SIZE ${m.evtq_log2size} exceeds IDR1.EVENTQS ${p.eventqs} (SMMUv3 §6.3.29)`);
  }
  return errors;
}

/**
 * A nest-parent stage 2 is built the way Linux builds it: io-pgtable gets ias = the SMMU's IAS
 * (arm_smmu_domain_finalise for ARM_SMMU_DOMAIN_S2), so STE.S2T0SZ = 64 - IAS and the start
 * level follows from it. An `s2_tables` entry named by a nest-parent `hwpt_alloc` must therefore
 * declare `ipa_bits` = IAS (SMMUv3 §3.4: IAS = MAX(40 with AArch32 tables, OAS)).
 */
export function checkNestParentTables(s: Scenario, file: string, loc: Locator, under: Partial<SmmuProfile> = {}): LoadError[] {
  let ias: number;
  try {
    const part = makeProfile(under);
    ias = profileIas(makeProfile({ ...under, ...profileOverrides(s.smmu ?? {}, ['smmu'], part).profile }));
  } catch {
    return []; // reported by checkProfileBlock
  }
  const errors: LoadError[] = [];
  const tables = s.memory?.s2_tables ?? [];
  const seen = new Set<string>();
  s.steps.forEach((step) => {
    if (!('hwpt_alloc' in step)) return;
    const b = step.hwpt_alloc;
    const nestParent = b.flags !== undefined ? (b.flags & 1) === 1 : (b.nest_parent ?? true);
    if (!nestParent || b.s2_table === undefined || seen.has(b.s2_table)) return;
    seen.add(b.s2_table);
    const ti = tables.findIndex((t) => t.name === b.s2_table);
    const t = tables[ti];
    if (t === undefined || t.ipa_bits === ias) return;
    const path: Path = ['memory', 's2_tables', ti, 'ipa_bits'];
    const at = loc.locate(path);
    errors.push({
      code: 'PROFILE_RULE',
      file,
      line: at.line,
      col: at.col,
      path: pathString(path),
      message: `s2 table "${t.name}" backs a nest-parent HWPT, which Linux sizes by the SMMU's IAS: expected ipa_bits: ${ias} (S2T0SZ = 64 - IAS = ${64 - ias}; SMMUv3 §3.4, linux-smmuv3-iommufd.md §6.3), got ${t.ipa_bits}`,
    });
  });
  return errors;
}
