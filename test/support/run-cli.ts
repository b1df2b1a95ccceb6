/** Run the CLI in-process and collect what it prints (tests only). */
import { cli } from '../../src/cli/app.ts';

export interface CliOut {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function runCli(cwd: string, args: readonly string[], env: Record<string, string> = {}, stdoutIsTTY = false): Promise<CliOut> {
  let stdout = '';
  let stderr = '';
  const code = await cli(args, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), env, cwd, isTTY: false, stdoutIsTTY });
  return { code, stdout, stderr };
}

/** The same, spelled { code, out, err } as the trace tests read it. */
export async function runCliOutErr(cwd: string, args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await runCli(cwd, args);
  return { code: r.code, out: r.stdout, err: r.stderr };
}
