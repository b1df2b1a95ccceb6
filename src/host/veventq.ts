/**
 * vEVENTQ (reference §6.7; iommufd's vevent handler): a bounded queue of {header, data} records
 * read by the VMM. Every reported event takes the next sequence number (0..INT_MAX, then 0),
 * delivered or not, so a gap tells the reader how many were lost. When the queue holds `depth`
 * events a further event is dropped and the single LOST_EVENTS header (no data) is put at the
 * tail with that event's sequence. The header only ever sits at the tail: whenever it is the last
 * record and anything new is queued (an event, or the header again for a later loss) it is moved
 * off first, so after more losses it carries the newest lost sequence, and once the reader has
 * made room the next real event replaces it (the gap alone then shows the loss).
 */
export const VEVENTQ_FLAG_LOST_EVENTS = 1;
export const VEVENTQ_TYPE_ARM_SMMUV3 = 1;
const INT_MAX = 0x7fff_ffff;
/** sizeof(struct iommufd_vevent_header). */
export const VEVENT_HEADER_SIZE = 8;

export interface VEventRecord {
  readonly flags: number;
  readonly sequence: number;
  /** Event data (4 dwords for SMMUv3); absent for a LOST_EVENTS header. */
  readonly data?: bigint[];
}

export class VEventQueue {
  readonly type: number;
  readonly depth: number;
  #seq = 0;
  #events = 0;
  readonly #list: VEventRecord[] = [];

  constructor(type: number, depth: number) {
    this.type = type;
    this.depth = depth;
  }

  /** iommufd_viommu_report_event for this queue: returns 'queued' or 'lost'. */
  report(data: readonly bigint[]): 'queued' | 'lost' {
    const sequence = this.#seq;
    this.#seq = this.#seq === INT_MAX ? 0 : this.#seq + 1;
    const last = this.#list.at(-1);
    if (last !== undefined && last.data === undefined) this.#list.pop();
    if (this.#events === this.depth) {
      this.#list.push({ flags: VEVENTQ_FLAG_LOST_EVENTS, sequence });
      return 'lost';
    }
    this.#events++;
    this.#list.push({ flags: 0, sequence, data: data.slice() });
    return 'queued';
  }

  get pending(): number {
    return this.#list.length;
  }

  /** Next sequence number (for tests and scenario set-up). */
  setSequence(n: number): void {
    this.#seq = n & INT_MAX;
  }

  /**
   * read() with a buffer of `bufLen` bytes: whole records in order while they fit
   * (header 8 bytes + data 8 bytes per dword); a record that does not fit stays queued.
   */
  read(bufLen: number): { records: VEventRecord[]; bytes: number } {
    const records: VEventRecord[] = [];
    let bytes = 0;
    while (this.#list.length > 0) {
      const r = this.#list[0];
      if (r === undefined) break;
      const size = VEVENT_HEADER_SIZE + 8 * (r.data?.length ?? 0);
      if (bytes + size > bufLen) break;
      this.#list.shift();
      if (r.data !== undefined) this.#events--;
      records.push(r);
      bytes += size;
    }
    return { records, bytes };
  }
}
