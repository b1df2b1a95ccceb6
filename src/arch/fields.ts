/**
 * Field tables: every SMMUv3 structure (STE, CD, command, event record, register) is declared
 * once as a list of fields (name, dword, bit range, encoding). Encode, decode, pretty-print and
 * validation are all derived from that table, so a bit position is written in exactly one place.
 *
 * Values are bigint at this edge: structures are 64-bit words and a JS number would silently
 * lose bits above 2^53. Hot paths (walks, TLB lookups) do not use these codecs.
 *
 * Address fields (`addr: true`) hold the address itself: bits [hi:lo] are stored in place and the
 * low bits are zero, so S1ContextPtr = 0x8000_1000 reads back as 0x8000_1000, not as a shifted
 * index. This is how the architecture names them ("S1ContextPtr[55:6]").
 */

export interface FieldSpec {
  /** Architecture name, e.g. `S1ContextPtr`, `CERROR`, `S2T0SZ`. */
  readonly name: string;
  /** Which 64-bit word of the structure (0-based). Registers use dword 0. */
  readonly dword: number;
  /** Lowest bit (inclusive) within the dword. */
  readonly lo: number;
  /** Highest bit (inclusive) within the dword. */
  readonly hi: number;
  /** The value is an address with bits [hi:lo] kept in place (low bits zero). */
  readonly addr?: boolean;
  /** Named encodings for pretty printing (unnamed values print as numbers). */
  readonly enum?: Readonly<Record<number, string>>;
  /** One-line meaning, shown by `decode`. */
  readonly doc?: string;
}

export type FieldValues = Record<string, bigint>;
export type FieldInput = Readonly<Record<string, bigint | number | boolean | undefined>>;

export interface FieldError {
  readonly code: 'UNKNOWN_FIELD' | 'VALUE_TOO_WIDE' | 'MISALIGNED_ADDRESS' | 'NEGATIVE' | 'NOT_INTEGER';
  readonly field: string;
  readonly message: string;
}

export interface DecodedField {
  readonly spec: FieldSpec;
  readonly value: bigint;
  /** Enum name if the field has one for this value. */
  readonly name: string | undefined;
}

/**
 * A field with its constants precomputed: decoding an STE or CD (every transaction under
 * `cache_policy: none`) and encoding commands and events run these per field, so no shift
 * amount or mask is rebuilt per call.
 *
 * Most fields lie inside one 32-bit half of their dword: those are read and written as JS
 * numbers on the two halves (exact: at most 32 bits), and only the finished dwords and field
 * values are BigInts. Address fields and fields across bit 32 take the BigInt path.
 */
interface Compiled {
  readonly spec: FieldSpec;
  readonly name: string;
  readonly dword: number;
  readonly mask: bigint;
  /** Right shift that brings the field to bit 0 (0 for address fields, kept in place). */
  readonly shift: bigint;
  /** Smallest value that does not fit (values are checked against it). */
  readonly limit: bigint;
  /** Address fields: the bits below `lo`, which must be zero. */
  readonly lowMask: bigint;
  /** Index of the 32-bit half holding the whole field (2 * dword + 0 or 1), or -1 for the BigInt path. */
  readonly half: number;
  /** Within that half: the field's lowest bit, its width as a mask, and its bits in place (int32). */
  readonly halfShift: number;
  readonly halfMask: number;
  readonly halfBits: number;
  /** The field's bits in the low and high half of its dword (int32; both used by the BigInt path to clear). */
  readonly loBits: number;
  readonly hiBits: number;
}

function compile(f: FieldSpec): Compiled {
  const mask = fieldMask(f);
  const oneHalf = !f.addr && f.lo >> 5 === f.hi >> 5;
  const halfShift = f.lo & 31;
  const halfMask = oneHalf ? 2 ** (f.hi - f.lo + 1) - 1 : 0;
  return {
    spec: f,
    name: f.name,
    dword: f.dword,
    mask,
    shift: f.addr ? 0n : BigInt(f.lo),
    limit: 1n << BigInt(f.addr ? f.hi + 1 : f.hi - f.lo + 1),
    lowMask: f.addr ? (1n << BigInt(f.lo)) - 1n : 0n,
    half: oneHalf ? 2 * f.dword + (f.lo >> 5) : -1,
    halfShift,
    halfMask,
    halfBits: halfMask << halfShift,
    loBits: Number(BigInt.asIntN(32, mask)),
    hiBits: Number(BigInt.asIntN(32, mask >> 32n)),
  };
}

/** BigInts 0..4095 made once: most field values are small, and a decode then allocates none for them. */
const SMALL: readonly bigint[] = Array.from({ length: 4096 }, (_, i) => BigInt(i));
const toBigU32 = (v: number): bigint => (v < 4096 ? (SMALL[v] as bigint) : BigInt(v));

/**
 * A function building the decoded object from the values in table order, as one object literal:
 * V8 then gives it fixed-layout (fast) properties, where assigning 60-80 names one by one would
 * turn it into a hash table (the STE and CD are decoded on every configuration fetch).
 */
function objectMaker(names: readonly string[]): (values: readonly bigint[]) => FieldValues {
  const body = `return {${names.map((n, i) => `${JSON.stringify(n)}: v[${i}]`).join(', ')}};`;
  return new Function('v', body) as (values: readonly bigint[]) => FieldValues;
}

export class StructCodec {
  readonly name: string;
  readonly dwords: number;
  readonly fields: readonly FieldSpec[];
  /** Bits covered by some field, per dword: encode(decode(raw)) == raw & definedMask. */
  readonly definedMask: readonly bigint[];
  readonly #byName: ReadonlyMap<string, FieldSpec>;
  readonly #compiled: readonly Compiled[];
  readonly #compiledByName: ReadonlyMap<string, Compiled>;
  readonly #make: (values: readonly bigint[]) => FieldValues;
  /** Scratch space of decode/encode (never escapes a call; codecs are not re-entered). */
  readonly #halves: number[];
  readonly #values: bigint[];
  readonly #big: bigint[];

  constructor(name: string, dwords: number, fields: readonly FieldSpec[]) {
    this.name = name;
    this.dwords = dwords;
    this.fields = fields;
    const byName = new Map<string, FieldSpec>();
    const masks = new Array<bigint>(dwords).fill(0n);
    for (const f of fields) {
      if (byName.has(f.name)) throw new Error(`Cannot define ${name}: field "${f.name}" is declared twice`);
      if (f.dword < 0 || f.dword >= dwords) throw new Error(`Cannot define ${name}.${f.name}: dword ${f.dword} out of range`);
      if (f.lo < 0 || f.hi > 63 || f.lo > f.hi) throw new Error(`Cannot define ${name}.${f.name}: bad bit range [${f.hi}:${f.lo}]`);
      const m = fieldMask(f);
      if (((masks[f.dword] ?? 0n) & m) !== 0n) throw new Error(`Cannot define ${name}.${f.name}: overlaps another field`);
      masks[f.dword] = (masks[f.dword] ?? 0n) | m;
      byName.set(f.name, f);
    }
    this.#byName = byName;
    this.definedMask = masks;
    this.#compiled = fields.map(compile);
    this.#compiledByName = new Map(this.#compiled.map((c) => [c.name, c]));
    this.#make = objectMaker(fields.map((f) => f.name));
    this.#halves = new Array<number>(2 * dwords).fill(0);
    this.#values = new Array<bigint>(fields.length).fill(0n);
    this.#big = new Array<bigint>(dwords).fill(0n);
  }

  field(name: string): FieldSpec {
    return this.#field(name).spec;
  }

  #field(name: string): Compiled {
    const c = this.#compiledByName.get(name);
    if (c === undefined) throw new Error(`Unknown field "${name}" in ${this.name}${suggest(name, [...this.#byName.keys()])}`);
    return c;
  }

  /** The named field's bits in place, made when the layout was built. */
  mask(name: string): bigint {
    return this.#field(name).mask;
  }

  has(name: string): boolean {
    return this.#byName.has(name);
  }

  /** Read one field from raw dwords. Missing dwords read as zero. */
  get(raw: readonly bigint[], name: string): bigint {
    const c = this.#field(name);
    return (BigInt.asUintN(64, raw[c.dword] ?? 0n) & c.mask) >> c.shift;
  }

  /** Return a copy of `raw` with one field replaced. */
  with(raw: readonly bigint[], name: string, value: bigint | number | boolean): bigint[] {
    const out = this.normalise(raw);
    const c = this.#field(name);
    const v = toBig(value);
    const err = checkCompiled(c, v);
    if (err) throw new RangeError(`Cannot set ${this.name}.${name}: ${err.message}`);
    out[c.dword] = ((out[c.dword] as bigint) & ~c.mask) | ((v << c.shift) & c.mask);
    return out;
  }

  /** All fields, by name in table order (zero-valued fields included). */
  decode(raw: readonly bigint[]): FieldValues {
    const words = this.#big;
    const halves = this.#halves;
    for (let d = 0; d < this.dwords; d++) {
      const w = BigInt.asUintN(64, raw[d] ?? 0n);
      words[d] = w;
      halves[2 * d] = w === 0n ? 0 : Number(BigInt.asUintN(32, w));
      halves[2 * d + 1] = w === 0n ? 0 : Number(w >> 32n);
    }
    const values = this.#values;
    const compiled = this.#compiled;
    for (let i = 0; i < compiled.length; i++) {
      const c = compiled[i] as Compiled;
      values[i] = c.half >= 0 ? toBigU32((((halves[c.half] as number) >>> c.halfShift) & c.halfMask) >>> 0) : ((words[c.dword] as bigint) & c.mask) >> c.shift;
    }
    return this.#make(values);
  }

  /** Fields in table order with enum names, for printing. */
  describe(raw: readonly bigint[]): DecodedField[] {
    return this.fields.map((spec) => {
      const value = extract(raw, spec);
      return { spec, value, name: spec.enum?.[Number(value)] };
    });
  }

  /** Collect every problem with a field assignment instead of throwing on the first. */
  validate(values: FieldInput): FieldError[] {
    const errors: FieldError[] = [];
    for (const name in values) {
      const v = values[name];
      if (v === undefined) continue;
      const err = this.#check(name, v);
      if (err !== undefined) errors.push(err);
    }
    return errors;
  }

  #check(name: string, v: bigint | number | boolean): FieldError | undefined {
    const c = this.#compiledByName.get(name);
    if (c === undefined)
      return { code: 'UNKNOWN_FIELD', field: name, message: `${this.name} has no field "${name}"${suggest(name, [...this.#byName.keys()])}` };
    if (typeof v === 'number' && !Number.isSafeInteger(v))
      return { code: 'NOT_INTEGER', field: name, message: `${name} must be an integer below 2^53 (use a hex string for larger values), got ${v}` };
    return checkCompiled(c, toBig(v));
  }

  /** Build raw dwords from named fields; unnamed fields are zero. Throws on invalid input. */
  encode(values: FieldInput, base?: readonly bigint[]): bigint[] {
    return this.#encode(values, base, false);
  }

  /**
   * `encode` of the fields this structure has, skipping the names it does not have: one set of
   * transaction fields (StreamID, SSV, InputAddr, ...) serves every event layout (§7.3).
   */
  encodeKnown(values: FieldInput, base?: readonly bigint[]): bigint[] {
    return this.#encode(values, base, true);
  }

  #encode(values: FieldInput, base: readonly bigint[] | undefined, skipUnknown: boolean): bigint[] {
    const halves = this.#halves;
    const big = this.#big;
    for (let d = 0; d < this.dwords; d++) {
      const w = base === undefined ? 0n : BigInt.asUintN(64, base[d] ?? 0n);
      halves[2 * d] = w === 0n ? 0 : Number(BigInt.asUintN(32, w));
      halves[2 * d + 1] = w === 0n ? 0 : Number(w >> 32n);
      big[d] = 0n;
    }
    let errors: FieldError[] | undefined;
    for (const name in values) {
      const v = values[name];
      if (v === undefined) continue;
      const c = this.#compiledByName.get(name);
      if (c === undefined && skipUnknown) continue;
      // the common cases (a known field, an integer that fits) inline; anything else as validate() reports it
      if (c !== undefined && c.half >= 0) {
        const x = typeof v === 'number' ? v : typeof v === 'boolean' ? (v ? 1 : 0) : v >= 0n && v < c.limit ? Number(v) : -1;
        if (Number.isInteger(x) && x >= 0 && x <= c.halfMask) {
          halves[c.half] = ((halves[c.half] as number) & ~c.halfBits) | (x << c.halfShift);
          continue;
        }
      }
      const b = typeof v === 'bigint' ? v : typeof v === 'boolean' ? (v ? 1n : 0n) : Number.isSafeInteger(v) ? BigInt(v) : undefined;
      if (c !== undefined && b !== undefined && b >= 0n && b < c.limit && (b & c.lowMask) === 0n) {
        halves[2 * c.dword] = (halves[2 * c.dword] as number) & ~c.loBits;
        halves[2 * c.dword + 1] = (halves[2 * c.dword + 1] as number) & ~c.hiBits;
        big[c.dword] = (big[c.dword] as bigint) | ((b << c.shift) & c.mask);
        continue;
      }
      const err = this.#check(name, v);
      if (err !== undefined) (errors ??= []).push(err);
    }
    if (errors !== undefined) throw new RangeError(`Cannot encode ${this.name}: ${errors.map((e) => e.message).join('; ')}`);
    const out = new Array<bigint>(this.dwords);
    for (let d = 0; d < this.dwords; d++) {
      const lo = (halves[2 * d] as number) >>> 0;
      const hi = (halves[2 * d + 1] as number) >>> 0;
      const w = hi === 0 ? toBigU32(lo) : (BigInt(hi) << 32n) | BigInt(lo);
      const b = big[d] as bigint;
      out[d] = b === 0n ? w : w | b;
    }
    return out;
  }

  /**
   * Build raw dwords keeping only each value's field bits (an address field keeps bits [hi:lo] in
   * place), as hardware stores a write: no validation. For builders whose callers already checked
   * their values (a driver formatting a command); scenario input goes through `encode`.
   */
  encodeMasked(values: FieldInput): bigint[] {
    const out = this.normalise([]);
    for (const [name, v] of Object.entries(values)) {
      if (v === undefined) continue;
      const c = this.#field(name);
      out[c.dword] = ((out[c.dword] as bigint) & ~c.mask) | ((toBig(v) << c.shift) & c.mask);
    }
    return out;
  }

  /** Pad/trim to `dwords` words, each masked to 64 bits. */
  normalise(raw: readonly bigint[]): bigint[] {
    const out = new Array<bigint>(this.dwords);
    for (let i = 0; i < this.dwords; i++) out[i] = BigInt.asUintN(64, raw[i] ?? 0n);
    return out;
  }

  /** Multi-line human-readable dump: one field per line, non-zero fields only unless `all`. */
  format(raw: readonly bigint[], opts: { all?: boolean } = {}): string {
    const lines: string[] = [];
    for (const d of this.describe(raw)) {
      if (!opts.all && d.value === 0n && d.name === undefined) continue;
      lines.push(formatField(d));
    }
    return lines.join('\n');
  }
}

/** checkValue with the field's constants precomputed (same codes and messages). */
function checkCompiled(c: Compiled, v: bigint): FieldError | undefined {
  if (v >= 0n && v < c.limit && (v & c.lowMask) === 0n) return undefined;
  return checkValue(c.spec, v);
}

/** `Name  dwN[hi:lo]  value (enum)  doc`; `missing` replaces value and enum when the value is not known. */
export function formatField(d: DecodedField, missing?: string): string {
  const f = d.spec;
  const pos = f.lo === f.hi ? `dw${f.dword}[${f.lo}]` : `dw${f.dword}[${f.hi}:${f.lo}]`;
  const width = f.hi - f.lo + 1;
  const val = missing ?? (f.addr || width > 8 ? `0x${d.value.toString(16)}` : d.value.toString());
  return `${f.name.padEnd(16)} ${pos.padEnd(13)} ${val}${d.name !== undefined && missing === undefined ? ` (${d.name})` : ''}${f.doc ? `  ${f.doc}` : ''}`;
}

/**
 * The field's bits in place. Computed per call (two BigInt operations): a codec keeps each of
 * its fields' masks from when its layout was built (`StructCodec.mask`), which is what hot
 * paths use; this serves loose specs (event views, trace parsers) and layout building.
 */
export function fieldMask(f: FieldSpec): bigint {
  return ((1n << BigInt(f.hi - f.lo + 1)) - 1n) << BigInt(f.lo);
}

function extract(raw: readonly bigint[], f: FieldSpec): bigint {
  const w = BigInt.asUintN(64, raw[f.dword] ?? 0n);
  const m = fieldMask(f);
  return f.addr ? w & m : (w & m) >> BigInt(f.lo);
}

/** One field of raw dwords by its position alone (for views that are not one codec: overlapping fields). */
export function fieldValue(raw: readonly bigint[], f: FieldSpec): bigint {
  return extract(raw, f);
}

/** Set one field in place, the value cut to its bits (address fields keep bits [hi:lo] in place). */
export function setFieldValue(raw: bigint[], f: FieldSpec, v: bigint): void {
  const m = fieldMask(f);
  const placed = f.addr ? v & m : (v << BigInt(f.lo)) & m;
  raw[f.dword] = ((raw[f.dword] ?? 0n) & ~m) | placed;
}

function checkValue(f: FieldSpec, v: bigint): FieldError | undefined {
  if (v < 0n) return { code: 'NEGATIVE', field: f.name, message: `${f.name} must not be negative` };
  if (f.addr) {
    if ((v & ((1n << BigInt(f.lo)) - 1n)) !== 0n) {
      return {
        code: 'MISALIGNED_ADDRESS',
        field: f.name,
        message: `${f.name} = 0x${v.toString(16)} must be aligned to ${1n << BigInt(f.lo)} bytes (bits [${f.lo - 1}:0] are not stored)`,
      };
    }
    if (v >> BigInt(f.hi + 1) !== 0n) {
      return { code: 'VALUE_TOO_WIDE', field: f.name, message: `${f.name} = 0x${v.toString(16)} does not fit in bits [${f.hi}:${f.lo}]` };
    }
    return undefined;
  }
  if (v >> BigInt(f.hi - f.lo + 1) !== 0n) {
    return { code: 'VALUE_TOO_WIDE', field: f.name, message: `${f.name} = 0x${v.toString(16)} does not fit in ${f.hi - f.lo + 1} bits` };
  }
  return undefined;
}

function toBig(v: bigint | number | boolean): bigint {
  if (typeof v === 'boolean') return v ? 1n : 0n;
  return typeof v === 'bigint' ? v : BigInt(v);
}

/** `" (did you mean \"X\"?)"` when a known name is within edit distance 2, else "". */
export function suggest(name: string, known: readonly string[]): string {
  const best = closest(name, known);
  return best === undefined ? '' : ` (did you mean "${best}"?)`;
}

export function closest(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  const lower = name.toLowerCase();
  for (const k of known) {
    const d = editDistance(lower, k.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  const limit = Math.max(2, Math.floor(name.length / 3));
  return bestD <= limit ? best : undefined;
}

export function editDistance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] ?? 0;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] ?? 0;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      prev[j] = Math.min(up + 1, (prev[j - 1] ?? 0) + 1, diag + cost);
      diag = up;
    }
  }
  return prev[b.length] ?? 0;
}

/** Fixed-width lower-case hex with 0x, for goldens and logs: hex64(0x10n) = '0x0000000000000010'. */
export function hex64(v: bigint): string {
  return `0x${BigInt.asUintN(64, v).toString(16).padStart(16, '0')}`;
}

export function hex32(v: bigint | number): string {
  return `0x${(typeof v === 'bigint' ? BigInt.asUintN(32, v) : BigInt(v >>> 0)).toString(16).padStart(8, '0')}`;
}
