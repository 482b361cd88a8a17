#!/usr/bin/env node
// The `mailstack` command (`npx mailstack --help`); the commands live in commands/, one file each.
import { runMailstack } from './dispatch.ts';

const code = await runMailstack(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});
// Long-running commands (start, an agent) return once they have stopped. The exit waits for
// stdout to drain; a handle left open by a library must not keep a stopped process alive.
process.exitCode = code;
setTimeout(() => process.exit(code), 2000).unref();
