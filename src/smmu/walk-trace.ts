/**
 * Optional collector of what a translation did: every descriptor fetched and every TLB hit.
 * Pass `undefined` in TranslateEnv.trace to switch it off; the walker then only tests
 * `trace !== undefined` and allocates nothing.
 */
import { TWO32 } from '../arch/ttd.ts';

export type WalkDecision = 'table' | 'block' | 'page' | 'invalid' | 'reserved' | `fault: ${string}` | 'abort';

export type WalkTraceRecord =
  | {
      kind: 'fetch';
      stage: 1 | 2;
      level: number;
      /** PA the descriptor was read from. */
      pa: bigint;
      /** IPA of the descriptor when the fetch address was an IPA (stage-1 walk under stage 2). */
      ipa?: bigint;
      /** Raw descriptor (undefined when the read aborted). */
      raw?: bigint;
      decision: WalkDecision;
    }
  | { kind: 'tlb-hit'; cache: 'leaf' | 's2' | 'walk-s1' | 'walk-s2'; level?: number; addr: bigint }
  | { kind: 'hardware-update'; stage: 1 | 2; pa: bigint; raw: bigint; what: 'HTTU' };

export class WalkTrace {
  readonly records: WalkTraceRecord[] = [];

  /** `ipa` < 0: the fetch address was a PA. `lo`/`hi` undefined: the read aborted. */
  fetch(stage: 1 | 2, level: number, pa: number, ipa: number, lo: number | undefined, hi: number | undefined, decision: WalkDecision): void {
    const r: WalkTraceRecord = { kind: 'fetch', stage, level, pa: BigInt(pa), decision };
    if (ipa >= 0) r.ipa = BigInt(ipa);
    if (lo !== undefined && hi !== undefined) r.raw = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
    this.records.push(r);
  }

  tlbHit(cache: 'leaf' | 's2' | 'walk-s1' | 'walk-s2', addr: number, level?: number): void {
    const r: WalkTraceRecord = { kind: 'tlb-hit', cache, addr: BigInt(addr) };
    if (level !== undefined) r.level = level;
    this.records.push(r);
  }

  hardwareUpdate(stage: 1 | 2, pa: number, lo: number, hi: number): void {
    this.records.push({ kind: 'hardware-update', stage, pa: BigInt(pa), raw: BigInt(hi >>> 0) * BigInt(TWO32) + BigInt(lo >>> 0), what: 'HTTU' });
  }

  clear(): void {
    this.records.length = 0;
  }

  /** Human-readable lines (deterministic). */
  format(): string[] {
    return this.records.map((r) => {
      if (r.kind === 'fetch') {
        const at = r.ipa !== undefined ? `IPA 0x${r.ipa.toString(16)} -> PA 0x${r.pa.toString(16)}` : `PA 0x${r.pa.toString(16)}`;
        const raw = r.raw !== undefined ? `0x${r.raw.toString(16).padStart(16, '0')}` : '(abort)';
        return `S${r.stage} L${r.level} ${at} = ${raw}: ${r.decision}`;
      }
      if (r.kind === 'tlb-hit') return `TLB hit ${r.cache}${r.level !== undefined ? ` L${r.level}` : ''} 0x${r.addr.toString(16)}`;
      return `S${r.stage} HTTU ${r.what} set at PA 0x${r.pa.toString(16)} = 0x${r.raw.toString(16).padStart(16, '0')}`;
    });
  }
}
