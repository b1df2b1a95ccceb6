/** What a command may touch, so commands run the same in-process (tests) and as the binary. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** stderr is a terminal: progress lines are allowed. */
  readonly isTTY: boolean;
  /** stdout is a terminal: the pretty report may use colour (NO_COLOR/FORCE_COLOR still apply). Defaults to isTTY. */
  readonly stdoutIsTTY?: boolean;
}

/** Exit codes: 0 all as expected, 1 conformance failures, 2 invalid input (schema, references, usage). */
export const EXIT_OK = 0;
export const EXIT_FAIL = 1;
export const EXIT_INVALID = 2;
