/**
 * Stall model (§3.12.2, §4.7.1-2): transactions held after a stallable fault
 * (F_TRANSLATION, F_ADDR_SIZE, F_ACCESS, F_PERMISSION with CD.S / STE.S2S set, or stall-forced
 * STALL_MODEL=0b10), each identified by (StreamID, STAG). STAGs are allocated deterministically:
 * a counter from 0, skipping tags still in use.
 *
 * CMD_RESUME with a STAG that matches no stalled transaction of that StreamID is a no-op
 * (errata row 4). CMD_STALL_TERM terminates every stalled transaction of the StreamID with an
 * abort.
 */

export const STALLABLE = new Set(['F_TRANSLATION', 'F_ADDR_SIZE', 'F_ACCESS', 'F_PERMISSION']);

export interface StalledTxn<R> {
  stag: number;
  sid: number;
  /** The original request, replayed on a retry. */
  req: R;
}

export class StallTable<R> {
  readonly #held = new Map<number, StalledTxn<R>>();
  #next = 0;

  /** Hold a transaction; returns its STAG, or undefined when 2^16 are already stalled. */
  hold(sid: number, req: R): number | undefined {
    if (this.#held.size >= 0x10000) return undefined;
    while (this.#held.has(this.#next)) this.#next = (this.#next + 1) & 0xffff;
    const stag = this.#next;
    this.#next = (this.#next + 1) & 0xffff;
    this.#held.set(stag, { stag, sid, req });
    return stag;
  }

  /** Remove and return the stalled transaction (sid, stag), if any. */
  take(sid: number, stag: number): StalledTxn<R> | undefined {
    const t = this.#held.get(stag);
    if (t === undefined || t.sid !== sid) return undefined;
    this.#held.delete(stag);
    return t;
  }

  /** Remove and return every stalled transaction of `sid`, in STAG order. */
  takeAll(sid: number): StalledTxn<R>[] {
    const out = [...this.#held.values()].filter((t) => t.sid === sid).sort((a, b) => a.stag - b.stag);
    for (const t of out) this.#held.delete(t.stag);
    return out;
  }

  get size(): number {
    return this.#held.size;
  }

  list(): StalledTxn<R>[] {
    return [...this.#held.values()].sort((a, b) => a.stag - b.stag);
  }
}
