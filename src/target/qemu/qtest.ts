/**
 * QEMU qtest transport (node:net, asynchronous): start one QEMU with `-qtest` and a QMP monitor
 * on UNIX sockets the harness listens on (QEMU connects as a client, as libqtest does), send
 * pipelined qtest command lines, read one reply line per command in order, and always reap the
 * process: QMP `quit`, then SIGKILL if it has not exited. The protocol is plain text lines
 * (QEMU system/qtest.c): `readl ADDR` → `OK 0x…`, `writel ADDR VAL` → `OK`, `read ADDR LEN` →
 * `OK 0x<hex>`, `write ADDR LEN 0x<hex>` → `OK`; `IRQ raise|lower N` lines arrive asynchronously.
 * Malformed commands kill QEMU (g_assert), so callers build lines mechanically (qtest-lines.ts).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { type Server, type Socket, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface QemuStartOptions {
  readonly binary: string;
  /** Machine arguments (everything except the -qtest/-chardev/-mon plumbing added here). */
  readonly args: readonly string[];
  /** Give up when QEMU has not connected within this many ms. */
  readonly startTimeoutMs?: number;
}

const MAX_STDERR = 4096;
const SETPRIV = '/usr/bin/setpriv';
const PDEATHSIG = existsSync(SETPRIV);

/** One running QEMU with its qtest and QMP connections. */
export class QtestSession {
  readonly pid: number;
  readonly #child: ChildProcess;
  readonly #qtest: Socket;
  readonly #qmp: Socket;
  readonly #dir: string;
  #buf = '';
  #pending: Array<{ resolve: (line: string) => void; reject: (e: Error) => void }> = [];
  #dead: Error | undefined;
  #stderr = '';
  readonly irqs: string[] = [];

  private constructor(child: ChildProcess, qtest: Socket, qmp: Socket, dir: string, stderr: () => string) {
    this.#child = child;
    this.pid = child.pid ?? -1;
    this.#qtest = qtest;
    this.#qmp = qmp;
    this.#dir = dir;
    qtest.setEncoding('latin1');
    qtest.on('data', (chunk: string) => this.#onData(chunk));
    const die = (why: string): void => {
      if (this.#dead === undefined) this.#dead = new Error(`${why}${this.#stderrTail(stderr())}`);
      for (const p of this.#pending.splice(0)) p.reject(this.#dead);
    };
    qtest.on('close', () => die('QEMU closed the qtest connection'));
    // a reset or broken pipe is QEMU going away, like a close: one message whichever comes first
    qtest.on('error', (e: NodeJS.ErrnoException) =>
      die(e.code === 'ECONNRESET' || e.code === 'EPIPE' ? 'QEMU closed the qtest connection' : `QEMU connection lost (${e.message})`),
    );
    qmp.on('error', () => undefined);
    child.on('exit', (code, signal) => die(`QEMU exited (${signal ?? `status ${String(code)}`})`));
  }

  /** Spawn QEMU and wait for both connections; rejects with a clear message, never hangs. */
  static async start(opts: QemuStartOptions): Promise<QtestSession> {
    if (findBinary(opts.binary) === undefined) throw new Error(`QEMU not found: ${opts.binary} (install it with scripts/install-qemu.sh)`);
    const dir = mkdtempSync(join(tmpdir(), 'smmu-qtest-'));
    const qtestPath = join(dir, 'qtest.sock');
    const qmpPath = join(dir, 'qmp.sock');
    const servers: Server[] = [];
    const accept = (path: string): Promise<Socket> =>
      new Promise((resolve, reject) => {
        const srv = createServer((s) => {
          srv.close();
          resolve(s);
        });
        servers.push(srv);
        srv.on('error', reject);
        srv.listen(path);
      });
    const qtestConn = accept(qtestPath);
    const qmpConn = accept(qmpPath);
    let stderr = '';
    const args = [
      ...opts.args,
      '-qtest-log',
      '/dev/null',
      '-chardev',
      `socket,path=${qmpPath},id=qmp0`,
      '-mon',
      'chardev=qmp0,mode=control',
      '-qtest',
      `unix:${qtestPath}`,
    ];
    // QEMU does not exit when its qtest connection closes; where util-linux's setpriv exists, the
    // kernel kills it when the spawning thread dies (even by SIGKILL, e.g. a test-runner timeout)
    const child = PDEATHSIG
      ? spawn(SETPRIV, ['--pdeathsig', 'KILL', '--', opts.binary, ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
      : spawn(opts.binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (s: string) => {
      stderr = (stderr + s).slice(-MAX_STDERR);
    });
    const cleanup = (): void => {
      for (const s of servers) s.close();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    };
    const timeoutMs = opts.startTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    try {
      const [qtest, qmp] = await Promise.race([
        Promise.all([qtestConn, qmpConn]),
        new Promise<never>((_, reject) => {
          child.once('error', (e: NodeJS.ErrnoException) =>
            reject(
              new Error(
                e.code === 'ENOENT'
                  ? `QEMU not found: ${opts.binary} (install it with scripts/install-qemu.sh)`
                  : `Cannot start QEMU ${opts.binary}: ${e.message}`,
              ),
            ),
          );
          child.once('exit', (code, signal) => reject(new Error(`QEMU exited before connecting (${signal ?? `status ${String(code)}`})${tail(stderr)}`)));
          timer = setTimeout(() => reject(new Error(`QEMU did not connect within ${timeoutMs} ms${tail(stderr)}`)), timeoutMs);
        }),
      ]);
      clearTimeout(timer);
      const session = new QtestSession(child, qtest, qmp, dir, () => stderr);
      await session.#qmpHandshake();
      return session;
    } catch (e) {
      clearTimeout(timer);
      cleanup();
      throw e;
    }
  }

  /** Send lines in one write and resolve with one reply per line, in order (pipelined). */
  batch(lines: readonly string[]): Promise<string[]> {
    if (this.#dead !== undefined) return Promise.reject(this.#dead);
    const replies = lines.map(() => new Promise<string>((resolve, reject) => this.#pending.push({ resolve, reject })));
    this.#qtest.write(lines.map((l) => `${l}\n`).join(''), 'latin1');
    return Promise.all(replies);
  }

  /** Reap QEMU: QMP quit, wait up to `graceMs`, then SIGKILL. Never rejects. */
  async close(graceMs = 2000): Promise<void> {
    const child = this.#child;
    const exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
    if (this.#dead === undefined) this.#dead = new Error('QEMU session closed');
    try {
      this.#qmp.write('{"execute":"quit"}\n');
    } catch {
      // QMP already gone: fall through to the kill
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      exited,
      new Promise<void>((r) => {
        timer = setTimeout(r, graceMs);
      }),
    ]);
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    this.#qtest.destroy();
    this.#qmp.destroy();
    rmSync(this.#dir, { recursive: true, force: true });
  }

  /** Kill at once (failsafe for a process-exit handler). */
  kill(): void {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGKILL');
  }

  #onData(chunk: string): void {
    this.#buf += chunk;
    let nl: number;
    while ((nl = this.#buf.indexOf('\n')) >= 0) {
      const line = this.#buf.slice(0, nl);
      this.#buf = this.#buf.slice(nl + 1);
      if (line.startsWith('IRQ ')) {
        this.irqs.push(line);
        continue;
      }
      const p = this.#pending.shift();
      if (p !== undefined) p.resolve(line);
    }
  }

  async #qmpHandshake(): Promise<void> {
    const qmp = this.#qmp;
    qmp.setEncoding('utf8');
    qmp.on('data', (chunk: string) => this.#onQmp(chunk));
    qmp.once('close', () => {
      for (const w of this.#qmpWaiters.splice(0)) w.reject(new Error('QEMU closed the QMP connection'));
    });
    await this.#qmpWait((m) => 'QMP' in m);
    await this.#qmpCommand('qmp_capabilities');
  }

  /**
   * QMP `system_reset`, resolved once QEMU has performed it (its RESET event): the reset request
   * is handled by QEMU's main loop after the command returns, so qtest lines sent before the
   * event could still reach the old state.
   */
  async reset(timeoutMs = 5000): Promise<void> {
    if (this.#dead !== undefined) throw this.#dead;
    const event = this.#qmpWait((m) => m['event'] === 'RESET', timeoutMs);
    await this.#qmpCommand('system_reset', timeoutMs);
    await event;
  }

  #qmpText = '';
  readonly #qmpWaiters: Array<{ match: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void; reject: (e: Error) => void }> =
    [];

  #onQmp(chunk: string): void {
    this.#qmpText += chunk;
    let nl: number;
    while ((nl = this.#qmpText.indexOf('\n')) >= 0) {
      const line = this.#qmpText.slice(0, nl).trim();
      this.#qmpText = this.#qmpText.slice(nl + 1);
      if (line === '') continue;
      let m: Record<string, unknown>;
      try {
        m = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      const i = this.#qmpWaiters.findIndex((w) => w.match(m));
      if (i >= 0) this.#qmpWaiters.splice(i, 1)[0]?.resolve(m);
    }
  }

  #qmpWait(match: (m: Record<string, unknown>) => boolean, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const w = {
        match,
        resolve: (m: Record<string, unknown>) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        const i = this.#qmpWaiters.indexOf(w);
        if (i >= 0) this.#qmpWaiters.splice(i, 1);
        reject(new Error(`QEMU's QMP monitor did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#qmpWaiters.push(w);
    });
  }

  /** One QMP command (one at a time: replies carry no id here); rejects on an `error` reply. */
  async #qmpCommand(execute: string, timeoutMs = 10_000): Promise<void> {
    const reply = this.#qmpWait((m) => 'return' in m || 'error' in m, timeoutMs);
    this.#qmp.write(`${JSON.stringify({ execute })}\n`);
    const r = await reply;
    if ('error' in r) throw new Error(`QMP ${execute} failed: ${JSON.stringify(r['error'])}`);
  }

  #stderrTail(s: string): string {
    return tail(s);
  }
}

function tail(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/icount sleep disabled|g_timer_elapsed/.test(l));
  return lines.length === 0 ? '' : `; QEMU said: ${lines.slice(-3).join(' | ')}`;
}

/** A reply `OK 0x…` → its value; anything else is a protocol error naming the command. */
export function okValue(cmd: string, reply: string): bigint {
  const m = /^OK (0x[0-9a-fA-F]+)$/.exec(reply);
  if (m === null) throw new Error(`qtest "${cmd}" answered "${reply}"`);
  return BigInt(m[1] as string);
}

export function expectOk(cmd: string, reply: string): void {
  if (reply !== 'OK') throw new Error(`qtest "${cmd}" answered "${reply}"`);
}

/** The executable `binary` names (a path, or a name looked up on PATH), if it exists. */
function findBinary(binary: string): string | undefined {
  if (binary.includes('/')) return existsSync(binary) ? binary : undefined;
  for (const dir of (process.env['PATH'] ?? '').split(':')) {
    if (dir !== '' && existsSync(join(dir, binary))) return join(dir, binary);
  }
  return undefined;
}
