import t from 'tap';
import fc from 'fast-check';
import { hex64 } from './fields.ts';
import { roundTrips } from './roundtrip.testkit.ts';
import { CERROR, CERROR_NAME, COMMAND_NAMES, COMMANDS, OPCODE, decodeCommand, encodeCommand } from './command.ts';
import { CERROR_REASON } from '../linux/messages.ts';

const hx = (r: readonly bigint[]) => r.map(hex64);

t.test('every command codec round-trips and encodes its opcode', async (t) => {
  t.equal(COMMANDS.size, COMMAND_NAMES.length);
  t.equal(COMMANDS.size, 34);
  for (const name of COMMAND_NAMES) {
    const info = COMMANDS.get(OPCODE[name]);
    t.equal(info?.name, name);
    if (info === undefined) continue;
    t.equal(info.codec.dwords, 2);
    roundTrips(info.codec, 60);
    const raw = encodeCommand(name, {});
    t.equal(raw[0] & 0xffn, BigInt(OPCODE[name]), `${name} opcode`);
    t.equal(raw[1], 0n);
    const d = decodeCommand(raw);
    t.equal(d.name, name);
    t.equal(d.fields.Opcode, BigInt(OPCODE[name]));
  }
});

t.test('opcode table (§4.1.1)', async (t) => {
  t.same(Object.fromEntries(Object.entries(OPCODE).map(([k, v]) => [k, v.toString(16)])), {
    PREFETCH_CONFIG: '1',
    PREFETCH_ADDR: '2',
    CFGI_STE: '3',
    CFGI_STE_RANGE: '4',
    CFGI_CD: '5',
    CFGI_CD_ALL: '6',
    CFGI_VMS_PIDM: '7',
    TLBI_NH_ALL: '10',
    TLBI_NH_ASID: '11',
    TLBI_NH_VA: '12',
    TLBI_NH_VAA: '13',
    TLBI_EL3_ALL: '18',
    TLBI_EL3_VA: '1a',
    TLBI_EL2_ALL: '20',
    TLBI_EL2_ASID: '21',
    TLBI_EL2_VA: '22',
    TLBI_EL2_VAA: '23',
    TLBI_S12_VMALL: '28',
    TLBI_S2_IPA: '2a',
    TLBI_NSNH_ALL: '30',
    ATC_INV: '40',
    PRI_RESP: '41',
    RESUME: '44',
    STALL_TERM: '45',
    CMD_SYNC: '46',
    TLBI_S_EL2_ALL: '50',
    TLBI_S_EL2_ASID: '51',
    TLBI_S_EL2_VA: '52',
    TLBI_S_EL2_VAA: '53',
    TLBI_S_S12_VMALL: '58',
    TLBI_S_S2_IPA: '5a',
    TLBI_SNH_ALL: '60',
    DPTI_ALL: '70',
    DPTI_PA: '73',
  });
});

t.test('hand-computed command vectors', async (t) => {
  // Linux MSI-polled CMD_SYNC: CS=SIG_IRQ, MSH=ISH, MSIAttr=0xF, MSIData=0.
  t.same(hx(encodeCommand('CMD_SYNC', { CS: 1, MSH: 3, MSIAttr: 0xf, MSIAddr: 0x8000_1230n })), ['0x000000000fc01046', '0x0000000080001230']);
  t.same(
    hx(
      encodeCommand('TLBI_NH_VA', {
        VMID: 5,
        ASID: 0x30a,
        NUM: 3,
        SCALE: 2,
        Leaf: 1,
        TTL: 3,
        TG: 1,
        Address: 0xffff_0000_1234_5000n,
      }),
    ),
    ['0x030a000500203012', '0xffff000012345701'],
  );
  t.same(hx(encodeCommand('CFGI_STE', { StreamID: 0x1234, Leaf: 1 })), ['0x0000123400000003', '0x0000000000000001']);
  t.same(hx(encodeCommand('CFGI_STE_RANGE', { Range: 31 })), ['0x0000000000000004', '0x000000000000001f']);
  t.same(hx(encodeCommand('RESUME', { StreamID: 8, Ac: 0, Ab: 1, STAG: 0x55 })), ['0x0000000800002044', '0x0000000000000055']);
  t.same(hx(encodeCommand('PRI_RESP', { SSV: 1, SubstreamID: 5, StreamID: 2, PRGIndex: 0x1ff, Resp: 2 })), ['0x0000000200005841', '0x00000000000021ff']);
  t.same(hx(encodeCommand('ATC_INV', { Global: 1, SSV: 1, SubstreamID: 7, StreamID: 3, Size: 52 })), ['0x0000000300007a40', '0x0000000000000034']);
  t.same(hx(encodeCommand('TLBI_S2_IPA', { VMID: 1, Address: 0x00ff_ffff_ffff_f000n })), ['0x000000010000002a', '0x00fffffffffff000']);
  // IPA fields stop at bit 55; VA fields run to bit 63.
  t.throws(() => encodeCommand('TLBI_S2_IPA', { Address: 0xffff_0000_0000_0000n }), /Address/);
  t.throws(() => encodeCommand('TLBI_NH_VA', { Adress: 0x1000n }), /did you mean "Address"/);
  // Explicit Opcode in the input is overridden by the name.
  t.equal(encodeCommand('CFGI_CD', { Opcode: 0x46 })[0], 0x5n);
});

t.test('decode of literal commands', async (t) => {
  const sync = decodeCommand([0x0000_0000_0fc0_1046n, 0x8000_1230n]);
  t.equal(sync.name, 'CMD_SYNC');
  t.same(sync.fields, { Opcode: 0x46n, CS: 1n, MSH: 3n, MSIAttr: 15n, MSIData: 0n, MSIAddr: 0x8000_1230n });
  const cd = decodeCommand([0x0000_0004_0000_3805n, 1n]);
  t.equal(cd.name, 'CFGI_CD');
  t.same(cd.fields, { Opcode: 5n, SSec: 0n, SubstreamID: 3n, StreamID: 4n, Leaf: 1n });
  // Bit 11 is not part of CFGI_CD (no SSV parameter): it is dropped by decode.
  t.notOk('SSV' in cd.fields);
  const info = COMMANDS.get(0x44);
  t.equal(info?.codec.describe([0x2044n, 0n]).find((d) => d.spec.name === 'Ab')?.name, 'ABORT');
});

t.test('unknown opcodes decode without throwing', async (t) => {
  for (const op of [0x00, 0x08, 0x0a, 0x14, 0x19, 0x31, 0x47, 0x80, 0x8f, 0x90, 0xff]) {
    const d = decodeCommand([0xffff_ffff_ffff_ff00n | BigInt(op), 0xffn]);
    t.equal(d.name, 'UNKNOWN');
    t.equal(d.opcode, op);
    t.same(d.fields, { Opcode: BigInt(op) });
  }
  t.equal(decodeCommand([]).name, 'UNKNOWN');
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (a, b) => {
      const d = decodeCommand([a, b]);
      return d.opcode === Number(a & 0xffn) && d.fields.Opcode === (a & 0xffn);
    }),
    { numRuns: 300 },
  );
});

t.test('CERROR codes (§7.1) and Linux reason strings', async (t) => {
  t.same(CERROR, { NONE: 0, ILL: 1, ABT: 2, ATC_INV_SYNC: 3 });
  t.equal(CERROR_NAME[CERROR.ILL], 'CERROR_ILL');
  t.equal(CERROR_NAME[CERROR.ATC_INV_SYNC], 'CERROR_ATC_INV_SYNC');
  t.equal(CERROR_REASON[0], 'No error');
  t.equal(CERROR_REASON[1], 'Illegal command');
  t.equal(CERROR_REASON[2], 'Abort on command fetch');
  t.equal(CERROR_REASON[3], 'ATC invalidate timeout');
});
