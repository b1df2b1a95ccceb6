/**
 * Synchronous access to the asynchronous qtest transport. The scenario executor is synchronous
 * (software steps run one after another), while node:net is not; so the QtestSession lives in a
 * worker thread and the caller blocks on a shared flag (Atomics.wait) until the worker answers.
 * Every call has a timeout: a QEMU that hangs is killed (SIGKILL by pid) and the call throws a
 * TargetFailure, so a scenario never hangs. A process-exit hook kills any QEMU still running.
 */
import { MessageChannel, type MessagePort, Worker, receiveMessageOnPort } from 'node:worker_threads';
import { TargetFailure } from '../contract.ts';

export type BridgeRequest = { readonly seq: number } & (
  | { readonly op: 'start'; readonly binary: string; readonly args: readonly string[] }
  | { readonly op: 'batch'; readonly lines: readonly string[] }
  | { readonly op: 'reset' }
  | { readonly op: 'close' }
);

type Request = BridgeRequest extends infer R ? (R extends { seq: number } ? Omit<R, 'seq'> : never) : never;

export interface BridgeReply {
  readonly seq: number;
  readonly ok: boolean;
  readonly pid: number;
  readonly replies: readonly string[];
  readonly error?: string;
}

const live = new Set<number>();
let hooked = false;
function trackPid(pid: number): void {
  live.add(pid);
  if (hooked) return;
  hooked = true;
  const killAll = (): void => {
    for (const p of live) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  process.on('exit', killAll);
  // a terminated run (test-runner timeout, Ctrl-C) must not leave QEMU behind
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.once(sig, () => {
      killAll();
      process.exit(sig === 'SIGTERM' ? 143 : 130);
    });
  }
}

/** PIDs of QEMU processes this thread started and has not reaped (for tests of the cleanup). */
export function livePids(): number[] {
  return [...live];
}

function startWorker(workerData: unknown, transfer: MessagePort[]): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./bridge-worker.js', import.meta.url), { workerData, transferList: transfer });
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./bridge-worker.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { eval: true, workerData, transferList: transfer });
}

export class SyncQtest {
  readonly #worker: Worker;
  readonly #port: MessagePort;
  readonly #flag: Int32Array;
  #pid = -1;
  #seq = 0;
  #running: { readonly binary: string; readonly args: readonly string[] } | undefined;
  #broken: string | undefined;

  constructor() {
    const { port1, port2 } = new MessageChannel();
    this.#flag = new Int32Array(new SharedArrayBuffer(4));
    this.#port = port1;
    this.#worker = startWorker({ port: port2, flag: this.#flag }, [port2]);
    this.#worker.unref();
  }

  get pid(): number {
    return this.#pid;
  }

  /** Start a fresh QEMU (reaping the previous one). */
  start(binary: string, args: readonly string[]): void {
    this.#broken = undefined;
    this.#running = undefined;
    this.#call({ op: 'start', binary, args }, 30_000);
    this.#running = { binary, args: [...args] };
  }

  /** The binary and arguments of the QEMU this bridge runs and can still talk to, if any. */
  get running(): { readonly binary: string; readonly args: readonly string[] } | undefined {
    return this.#broken === undefined && this.#pid > 0 ? this.#running : undefined;
  }

  /** QMP `system_reset` of the running QEMU, returning once QEMU has performed it. */
  reset(timeoutMs = 10_000): void {
    if (this.#broken !== undefined) throw new TargetFailure(this.#broken);
    this.#call({ op: 'reset' }, timeoutMs);
  }

  batch(lines: readonly string[], timeoutMs = 10_000): readonly string[] {
    if (this.#broken !== undefined) throw new TargetFailure(this.#broken);
    return this.#call({ op: 'batch', lines }, timeoutMs).replies;
  }

  /** Reap the current QEMU. Never throws. */
  stop(): void {
    try {
      this.#call({ op: 'close' }, 10_000);
    } catch {
      this.#killCurrent();
    }
  }

  /** Stop QEMU and the worker thread. */
  dispose(): void {
    this.stop();
    void this.#worker.terminate();
  }

  #killCurrent(): void {
    if (this.#pid > 0) {
      try {
        process.kill(this.#pid, 'SIGKILL');
      } catch {
        // already gone
      }
      live.delete(this.#pid);
      this.#pid = -1;
    }
  }

  #call(req: Request, timeoutMs: number): BridgeReply {
    const seq = ++this.#seq;
    const deadline = Date.now() + timeoutMs;
    Atomics.store(this.#flag, 0, 0);
    this.#port.postMessage({ ...req, seq });
    let reply: BridgeReply | undefined;
    while (reply === undefined) {
      const left = deadline - Date.now();
      if (left <= 0 || Atomics.wait(this.#flag, 0, 0, left) === 'timed-out') {
        this.#killCurrent();
        this.#broken = `QEMU did not answer "${req.op}" within ${timeoutMs} ms; killed it`;
        throw new TargetFailure(this.#broken);
      }
      Atomics.store(this.#flag, 0, 0);
      // a late answer to an earlier, timed-out request is dropped by its sequence number
      for (let m = receiveMessageOnPort(this.#port); m !== undefined; m = receiveMessageOnPort(this.#port)) {
        const r = m.message as BridgeReply;
        if (r.seq === seq) reply = r;
      }
    }
    if (req.op === 'close') {
      live.delete(this.#pid);
      this.#pid = -1;
      this.#running = undefined;
    } else if (reply.pid > 0 && reply.pid !== this.#pid) {
      // a start reaps the QEMU it replaces (bridge-worker.ts)
      live.delete(this.#pid);
      this.#pid = reply.pid;
      trackPid(reply.pid);
    }
    if (!reply.ok) {
      this.#broken = reply.error ?? 'qtest bridge failed';
      throw new TargetFailure(this.#broken);
    }
    return reply;
  }
}
