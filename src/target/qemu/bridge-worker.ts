/**
 * Worker side of the synchronous qtest bridge (bridge.ts): owns the asynchronous QtestSession and
 * answers one request at a time on the transferred port, then wakes the blocked caller through
 * the shared flag (Atomics.notify).
 */
import { type MessagePort, workerData } from 'node:worker_threads';
import { QtestSession } from './qtest.ts';
import type { BridgeRequest, BridgeReply } from './bridge.ts';

const { port, flag } = workerData as { port: MessagePort; flag: Int32Array };
let session: QtestSession | undefined;

async function handle(req: BridgeRequest): Promise<BridgeReply> {
  switch (req.op) {
    case 'start':
      if (session !== undefined) await session.close();
      session = await QtestSession.start({ binary: req.binary, args: req.args });
      return { seq: req.seq, ok: true, pid: session.pid, replies: [] };
    case 'reset':
      if (session === undefined) throw new Error('No QEMU running');
      await session.reset();
      return { seq: req.seq, ok: true, pid: session.pid, replies: [] };
    case 'batch':
      if (session === undefined) throw new Error('No QEMU running');
      return { seq: req.seq, ok: true, pid: session.pid, replies: await session.batch(req.lines) };
    case 'close': {
      const s = session;
      session = undefined;
      if (s !== undefined) await s.close();
      return { seq: req.seq, ok: true, pid: -1, replies: [] };
    }
  }
}

port.on('message', (req: BridgeRequest) => {
  void handle(req)
    .then(
      (r) => r,
      (e: unknown): BridgeReply => ({ seq: req.seq, ok: false, pid: session?.pid ?? -1, replies: [], error: e instanceof Error ? e.message : String(e) }),
    )
    .then((reply) => {
      port.postMessage(reply);
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
    });
});
