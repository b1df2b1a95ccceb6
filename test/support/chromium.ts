/**
 * Headless Chromium driven over the DevTools protocol through a pipe (--remote-debugging-pipe:
 * JSON messages, NUL-terminated, on fds 3 and 4), so no client library or port is needed. The
 * browser gets a fresh profile folder and the flags that keep it off the network; `close()`
 * always kills it and removes the profile, and a process 'exit' hook reaps it (and removes the
 * profile) if a test dies or a browser shared by several tests is never closed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** Why the browser test cannot run here, or undefined when it can. */
export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `${CHROMIUM} not found (Debian package chromium; .ci/run installs it)`;
}

interface Pending {
  readonly resolve: (v: Record<string, unknown>) => void;
  readonly reject: (e: Error) => void;
}

export class Browser {
  readonly #proc: ChildProcess;
  readonly #profile: string;
  readonly #out: Writable;
  #next = 1;
  readonly #pending = new Map<number, Pending>();
  readonly #listeners: ((method: string, params: Record<string, unknown>, sessionId?: string) => void)[] = [];
  /** Kill the browser's whole process group (renderers, zygote), not only the main process. */
  readonly #reap = (): void => {
    try {
      if (this.#proc.pid !== undefined) process.kill(-this.#proc.pid, 'SIGKILL');
    } catch {
      this.#proc.kill('SIGKILL');
    }
  };

  readonly #atExit = (): void => {
    this.#reap();
    try {
      rmSync(this.#profile, { recursive: true, force: true });
    } catch {
      // a dying renderer may still be writing into it: leave the temp folder
    }
  };

  private constructor(proc: ChildProcess, profile: string) {
    this.#proc = proc;
    this.#profile = profile;
    const [, , , out, input] = proc.stdio as unknown as [unknown, unknown, unknown, Writable, Readable];
    this.#out = out;
    let buf = '';
    input.setEncoding('utf8');
    input.on('data', (chunk: string) => {
      buf += chunk;
      for (let i = buf.indexOf('\0'); i >= 0; i = buf.indexOf('\0')) {
        const msg = JSON.parse(buf.slice(0, i)) as {
          id?: number;
          result?: Record<string, unknown>;
          error?: { message: string };
          method?: string;
          params?: Record<string, unknown>;
          sessionId?: string;
        };
        buf = buf.slice(i + 1);
        if (msg.id !== undefined) {
          const p = this.#pending.get(msg.id);
          this.#pending.delete(msg.id);
          if (msg.error !== undefined) p?.reject(new Error(msg.error.message));
          else p?.resolve(msg.result ?? {});
        } else if (msg.method !== undefined) {
          for (const l of this.#listeners) l(msg.method, msg.params ?? {}, msg.sessionId);
        }
      }
    });
    proc.on('exit', () => {
      for (const p of this.#pending.values()) p.reject(new Error('chromium exited'));
      this.#pending.clear();
    });
    process.once('exit', this.#atExit);
  }

  static launch(): Browser {
    const profile = mkdtempSync(join(tmpdir(), 'smmu-chromium-'));
    const args = [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-extensions',
      '--disable-dev-shm-usage',
      '--hide-scrollbars',
      `--user-data-dir=${profile}`,
      '--remote-debugging-pipe',
      'about:blank',
    ];
    // Its own process group, so close() and the exit hook can kill every process it started.
    const proc = spawn(CHROMIUM, args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'], detached: true });
    proc.stderr?.resume();
    return new Browser(proc, profile);
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string, timeoutMs = 30000): Promise<Record<string, unknown>> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`${method}: no answer in ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.#out.write(`${JSON.stringify({ id, method, params, ...(sessionId !== undefined ? { sessionId } : {}) })}\0`);
    });
  }

  /** Resolve on the next event `method` (of `sessionId`). */
  waitFor(method: string, sessionId?: string, timeoutMs = 30000): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${method} in ${timeoutMs} ms`)), timeoutMs);
      timer.unref(); // an event that never comes must not hold the process open after the browser is gone
      const l = (m: string, p: Record<string, unknown>, s?: string): void => {
        if (m !== method || (sessionId !== undefined && s !== sessionId)) return;
        clearTimeout(timer);
        this.#listeners.splice(this.#listeners.indexOf(l), 1);
        resolve(p);
      };
      this.#listeners.push(l);
    });
  }

  /** A new page (target) attached in flat mode: returns its session id. */
  async newPage(): Promise<string> {
    const { targetId } = (await this.send('Target.createTarget', { url: 'about:blank' })) as { targetId: string };
    const { sessionId } = (await this.send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
    return sessionId;
  }

  /** Evaluate an expression in the page and return its value (JSON-serialisable). */
  async evaluate<T>(session: string, expression: string): Promise<T> {
    const r = (await this.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true }, session)) as {
      result: { value?: T };
      exceptionDetails?: { text: string; exception?: { description?: string } };
    };
    if (r.exceptionDetails !== undefined) throw new Error(`page error: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    return r.result.value as T;
  }

  async close(): Promise<void> {
    process.removeListener('exit', this.#atExit);
    const exited = new Promise<void>((res) => {
      if (this.#proc.exitCode !== null || this.#proc.signalCode !== null) res();
      else this.#proc.once('exit', () => res());
    });
    // Ask first (Chromium then waits for its own children), kill the group after 5 s at most.
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((res) => (timer = setTimeout(res, 5000)));
    try {
      await Promise.race([this.send('Browser.close', {}, undefined, 3000), exited]);
    } catch {
      // killed below
    }
    await Promise.race([exited, grace]);
    clearTimeout(timer); // else it holds the process open for the rest of the 5 s
    this.#reap();
    await exited;
    rmSync(this.#profile, { recursive: true, force: true });
  }
}
