// Drawing for a part (a fuzz target's ID registers and capabilities, or generate --profile): the
// areas a part runs come from what each area needs, and each area then draws only what the part
// has, so a campaign against a stage-1-only QEMU 7.2 runs ste, cd, cmdq, caching and httu too
// instead of skipping them. Without a part every draw is the reference part's, unchanged.
import t from 'tap';
import { executeScenario } from '../../engine/execute.ts';
import { FEATURES, type Feature } from '../../scenario/features.ts';
import type { Scenario } from '../../scenario/types.ts';
import { AREA_NAMES, areasFor, checkAreas, generateOne, generateScenarios, type PartLimits, runsOn } from '../index.ts';
import { deriveSeed } from '../rng.ts';

/** QEMU 7.2's part as its ID registers give it (stage 1 only, no stalls, HTTU, CD2L or SubstreamIDs, OAS 44). */
const STAGE1: PartLimits = {
  features: ['s1', '2lvl_strtab', 'ril', 'asid16', 'granule_16k', 'granule_64k'],
  oas: 44,
  substreams: false,
  faultInjection: false,
};

t.test('areasFor: the areas whose every scenario the part can run', async (t) => {
  t.same(areasFor(STAGE1), ['s1', 'ste', 'cd', 'cmdq', 'caching', 'httu']);
  t.same(areasFor({ features: FEATURES }), AREA_NAMES, 'every area on a part with every feature');
  t.notOk(areasFor({ features: FEATURES, faultInjection: false }).includes('faults'), 'no faults area without fault injection');
  t.same(areasFor({ features: ['s2', 'stall'] }), ['s2', 'ste', 'caching', 'stall', 'httu'], 'a stage-2-only part');
  t.equal(runsOn('nested', STAGE1), 'needs s2, nesting');
  t.equal(runsOn('faults', STAGE1), 'needs fault injection');
  t.equal(runsOn('caching', { features: ['hyp'] }), 'needs one of s1, s2');
  t.equal(runsOn('cmdq', STAGE1), undefined);
});

t.test("checkAreas: by default the part's areas; an area the part cannot run is refused with what it lacks", async (t) => {
  t.same(checkAreas(undefined, STAGE1), areasFor(STAGE1));
  t.throws(() => checkAreas(['s1', 'stall'], STAGE1), /Area stall does not run on this part: needs stall/);
  t.throws(() => generateScenarios({ seed: 1, count: 3, areas: ['el2'], part: STAGE1 }), /Area el2 does not run on this part: needs hyp/);
  t.throws(() => checkAreas(undefined, { features: ['hyp'] }), /No generator area runs on this part/);
});

/** What of a scenario a stage-1-only part without SubstreamIDs could not run. */
function beyondStage1(s: Scenario): string[] {
  const out: string[] = [];
  for (const f of s.requires ?? []) if (!STAGE1.features.includes(f)) out.push(`requires ${f}`);
  for (const st of s.streams ?? []) if (st.config === 's2' || st.config === 'nested') out.push(`a ${st.config} stream`);
  for (const step of s.steps) {
    if ('dma' in step && step.dma.ssid !== undefined) out.push('a DMA with a SubstreamID');
    if ('ste' in step && (step.ste.config === 's2' || step.ste.config === 'nested')) out.push(`an STE rewritten to ${step.ste.config}`);
    if ('cmdq' in step && (s.tags ?? []).includes('caching'))
      for (const c of step.cmdq.commands) if (c.op === 'TLBI_S2_IPA' || c.op === 'TLBI_S12_VMALL') out.push(`caching with ${c.op}`);
  }
  if (s.smmu?.ssidsize !== undefined) out.push(`smmu.ssidsize ${s.smmu.ssidsize}`);
  if (s.boot?.strtab?.fmt === '2level' && !STAGE1.features.includes('2lvl_strtab')) out.push('a 2-level stream table');
  for (const c of s.memory?.cd_tables ?? []) if (c.s1fmt !== undefined && c.s1fmt !== 'linear') out.push(`a ${c.s1fmt} CD table`);
  return out;
}

t.test('each area a stage-1-only part runs draws only what that part has, first time (no redraw)', async (t) => {
  const configs = new Set<string>();
  for (const area of areasFor(STAGE1)) {
    const problems: string[] = [];
    for (let i = 0; i < 150; i++) {
      const g = generateOne(area, deriveSeed(0x7e2, i), STAGE1);
      for (const p of beyondStage1(g.scenario)) problems.push(`${g.id}: ${p}`);
      if (area === 'ste') for (const st of g.scenario.streams ?? []) if (st.config !== undefined) configs.add(st.config);
    }
    t.same(problems.slice(0, 5), [], `${area}: 150 scenarios`);
  }
  t.same([...configs].sort(), ['abort', 'bypass', 's1'], 'the ste area still draws abort, bypass and stage-1 STEs');
});

t.test('without the feature, CD.HA/HD and CD.S are drawn as the ILLEGAL CDs they are (C_BAD_CD, §5.4), not required', async (t) => {
  let illegalS = 0;
  let illegalHa = 0;
  let badCd = 0;
  const profile = { name: 'stage1', features: [...STAGE1.features] as Feature[], smmu: { stallModel: 1 as const, httu: 0 as const, s2p: false } };
  for (const g of generateScenarios({ seed: 0x5a11, count: 300, areas: ['s1'], part: STAGE1 })) {
    const cds = (g.scenario.memory?.cd_tables ?? []).flatMap((c) => c.entries);
    if (cds.some((e) => e.s === true)) illegalS++;
    if (cds.some((e) => e.ha === true || e.hd === true)) illegalHa++;
    if (cds.some((e) => e.s === true || e.ha === true || e.hd === true) && executeScenario(g.scenario, { profile }).events.some((e) => e.type === 'C_BAD_CD'))
      badCd++;
  }
  t.ok(illegalS >= 5, `${illegalS} scenarios with CD.S=1 on a part without stalls`);
  t.ok(illegalHa >= 5, `${illegalHa} scenarios with CD.HA/HD=1 on a part without HTTU`);
  t.ok(badCd >= 5, `${badCd} of them record C_BAD_CD on the reference model run as that part`);
});

t.test('a part with every feature draws exactly what no part draws (the default stays byte for byte)', async (t) => {
  for (const area of AREA_NAMES)
    for (let i = 0; i < 40; i++) {
      const seed = deriveSeed(0xdef, i);
      if (generateOne(area, seed, { features: FEATURES }).yaml() !== generateOne(area, seed).yaml()) {
        t.fail(`${area} seed ${seed}: the full part draws differently`);
        return;
      }
    }
  t.pass(`${AREA_NAMES.length} areas × 40 seeds`);
});

t.test("host: the nest parent's stage 2 is sized by the part's IAS (Linux does; a campaign's adapt.ts would refuse others)", async (t) => {
  const part: PartLimits = { features: ['s1', 's2', 'nesting', 'granule_16k', 'granule_64k'], oas: 44, substreams: false };
  const bits = new Set<number>();
  for (let i = 0; i < 30; i++) for (const s2 of generateOne('host', deriveSeed(0x4057, i), part).scenario.memory?.s2_tables ?? []) bits.add(s2.ipa_bits);
  t.same([...bits], [44]);
  t.same(new Set((generateOne('host', deriveSeed(0x4057, 0)).scenario.memory?.s2_tables ?? []).map((x) => x.ipa_bits)), new Set([48]), 'the default part: 48');
});
