/**
 * Guest memory as the VMM sees it: the guest's IPA space, backed by host physical memory through
 * the same IPA→PA regions the VMM maps into the nest parent's stage 2 (IOMMU_IOAS_MAP of guest
 * RAM). One list of regions serves both the VMM's own reads (guest CMDQ, stream table, EVTQ
 * writes) and, through `mapIntoS2`, the SMMU's stage-2 walk — so the two views cannot diverge.
 * Reads of IPAs outside guest RAM return undefined (the VMM treats them like a bus abort).
 */
import { type SparseMemory, readWordsWith } from '../memory/sparse-memory.ts';
import { type TableMemory, ipaView } from '../pgtable/builder.ts';

export interface GuestRamRegion {
  readonly ipa: bigint;
  readonly pa: bigint;
  readonly size: bigint;
}

export class GuestMemory {
  readonly mem: SparseMemory;
  readonly #regions: GuestRamRegion[] = [];

  constructor(mem: SparseMemory) {
    this.mem = mem;
  }

  /** Add guest RAM [ipa, ipa+size) backed by [pa, pa+size) (4 KiB aligned, non-overlapping). */
  addRam(ipa: bigint, pa: bigint, size: bigint): void {
    if (((ipa | pa | size) & 0xfffn) !== 0n || size <= 0n) {
      throw new RangeError(`Cannot add guest RAM at IPA 0x${ipa.toString(16)}: IPA, PA and size must be 4 KiB aligned`);
    }
    for (const r of this.#regions) {
      if (ipa < r.ipa + r.size && r.ipa < ipa + size)
        throw new RangeError(`Cannot add guest RAM at IPA 0x${ipa.toString(16)}: overlaps 0x${r.ipa.toString(16)}`);
    }
    this.mem.back(pa, Number(size));
    this.#regions.push({ ipa, pa, size });
    this.#regions.sort((a, b) => (a.ipa < b.ipa ? -1 : 1));
  }

  regions(): readonly GuestRamRegion[] {
    return this.#regions;
  }

  toPa(ipa: bigint): bigint | undefined {
    for (const r of this.#regions) if (ipa >= r.ipa && ipa < r.ipa + r.size) return r.pa + (ipa - r.ipa);
    return undefined;
  }

  read64(ipa: bigint): bigint | undefined {
    const pa = this.toPa(ipa);
    return pa === undefined ? undefined : this.mem.read64(pa);
  }

  /** Returns false (nothing written) when the IPA is not guest RAM. */
  write64(ipa: bigint, value: bigint): boolean {
    const pa = this.toPa(ipa);
    if (pa === undefined) return false;
    this.mem.write64(pa, BigInt.asUintN(64, value));
    return true;
  }

  readWords(ipa: bigint, n: number): bigint[] | undefined {
    return readWordsWith((a) => this.read64(a), ipa, n);
  }

  writeWords(ipa: bigint, words: readonly bigint[]): boolean {
    let ok = true;
    words.forEach((w, i) => {
      ok = this.write64(ipa + BigInt(8 * i), w) && ok;
    });
    return ok;
  }

  /** A TableMemory at IPAs for guest-built stage-1 tables (PageTableBuilder). */
  tableView(): TableMemory {
    return ipaView(this.mem, (ipa) => {
      const pa = this.toPa(ipa);
      if (pa === undefined) throw new RangeError(`Cannot access guest IPA 0x${ipa.toString(16)}: not guest RAM`);
      return pa;
    });
  }

  /** Mirror every region into a stage-2 mapping (e.g. `(ipa, pa, size) => fd.s2Map(parent, ipa, pa, size)`). */
  mapIntoS2(map: (ipa: bigint, pa: bigint, size: bigint) => { errno: unknown }): void {
    for (const r of this.#regions) {
      const res = map(r.ipa, r.pa, r.size);
      if (res.errno !== 0) throw new Error(`Cannot map guest RAM IPA 0x${r.ipa.toString(16)} into stage 2: ${String(res.errno)}`);
    }
  }
}
