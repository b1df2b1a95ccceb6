import t from 'tap';
import { IDR0, IDR5 } from '../arch/registers.ts';
import { DEFAULT_PROFILE, makeProfile, profileToIdRegs } from '../smmu/profile.ts';
import { PROFILE_FIELDS } from '../smmu/profile-fields.ts';
import { idRegFields, profileFromIdRegs } from './idregs.ts';

t.test('a part read back from its own ID registers is the same part', async (t) => {
  for (const over of [{}, { s2p: false, hyp: false, oas: 44 as const, granules: ['4k' as const] }, { stallModel: 1 as const, stallMax: 0, httu: 2 as const }]) {
    const p = makeProfile(over);
    const back = profileFromIdRegs(p.name, profileToIdRegs(p));
    const read = idRegFields(profileToIdRegs(p));
    // every field of the table is read back, none dropped
    t.same(Object.keys(read).sort(), [...new Set(PROFILE_FIELDS.map((f) => f.key))].sort(), `${JSON.stringify(over)}: every profile field`);
    for (const [k, v] of Object.entries(read)) t.same(v, p[k as keyof typeof p], `${JSON.stringify(over)}: ${k}`);
    t.same(back.granules, p.granules);
  }
});

t.test('reserved encodings a target may report read as defined ones (§6.3.1, §6.3.6)', async (t) => {
  const r = { ...profileToIdRegs(DEFAULT_PROFILE) };
  const set = (v: bigint, codec: typeof IDR0, name: string, x: number): bigint => codec.encode({ ...codec.decode([v]), [name]: x })[0] ?? 0n;
  r.idr0 = set(set(set(r.idr0, IDR0, 'TTF', 0), IDR0, 'STALL_MODEL', 3), IDR0, 'ST_LEVEL', 2);
  r.idr5 = set(set(r.idr5, IDR5, 'OAS', 7), IDR5, 'VAX', 2);
  const f = idRegFields(r);
  t.equal(f.ttf, 2, 'TTF 0b00 as AArch64 tables');
  t.equal(f.stallModel, 2, 'STALL_MODEL 0b11 as stall forced');
  t.equal(f.stLevel, 1, 'ST_LEVEL 0b10 as 2-level');
  t.equal(f.vax, 1, 'VAX 0b10 as 52-bit');
  t.equal(f.oas, 48, 'OAS 0b111 (56 bits) as Linux reads it');
});
