#!/usr/bin/env node
// Entry point of `mailstack-queue`; the commands live in cli-run.ts so tests can call them too.
import { runCli } from './cli-run.ts';

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
