/**
 * A transaction as a client device presents it to the SMMU and its outcome: the contract between
 * the device (device.ts), the command executor (cmd-exec.ts: stall completions), the context
 * builders (contexts.ts) and the layers above. A leaf: the device and its parts import it.
 */
import type { EventName } from '../arch/event.ts';
import type { IllegalId } from './config-checks.ts';
import type { WalkTrace } from './walk-trace.ts';

export type Access = 'read' | 'write' | 'exec';

export interface TransactionRequest {
  sid: number;
  ssid?: number;
  iova: bigint;
  access: Access;
  /** Incoming PnU (default false: PCIe without PASID is Unprivileged Data, §13.7). */
  privileged?: boolean;
  trace?: WalkTrace;
}

export type Stages = 's1' | 's2' | 'nested' | 'bypass';

export type TransactionResult =
  | { kind: 'translated'; pa: bigint; stages: Stages }
  | {
      kind: 'aborted';
      /** Event the fault produced (whether or not it was recorded). */
      event?: EventName;
      /** The event record was written/offered to the event queue. */
      recorded?: boolean;
      /** Terminated with RAZ/WI success instead of an abort (CD.A=0, RESUME Ab=0). */
      raz?: boolean;
      /** Aborted without any event (STE.Config=0b0xx, GBPA.ABORT). */
      silent?: boolean;
      reason?: string;
      /** Stable id of the ILLEGAL rule behind a C_BAD_STE / C_BAD_CD (config-checks.ts). */
      reasonId?: IllegalId;
    }
  | { kind: 'stalled'; stag: number };
