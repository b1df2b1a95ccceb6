/** Worker thread entry: runs tasks posted by run-suite.ts, one at a time, and posts results back. */
import { parentPort, workerData } from 'node:worker_threads';
import { type RunContext, type RunTask, runOne } from './run-one.ts';

interface Request {
  readonly seq: number;
  readonly task: RunTask;
}

const ctx = workerData as RunContext;
const port = parentPort;
if (port !== null) {
  port.on('message', (msg: Request) => {
    void runOne(msg.task, ctx).then((result) => port.postMessage({ seq: msg.seq, result }));
  });
}
