#!/usr/bin/env node
/** The `smmu-conform` binary: wire process I/O to the command dispatcher. */
import { cli } from './app.ts';

process.exitCode = await cli(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  env: process.env,
  cwd: process.cwd(),
  isTTY: process.stderr.isTTY === true,
  stdoutIsTTY: process.stdout.isTTY === true,
});
