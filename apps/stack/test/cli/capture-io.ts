import type { CommandIo } from '../../src/cli/commands/command-io.ts';

/** A CommandIo that keeps what the command wrote. */
export function captureIo(env: NodeJS.ProcessEnv = {}): CommandIo & { out(): string; err(): string } {
  let out = '';
  let err = '';
  return {
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: (t: string) => (err += t) },
    env,
    out: () => out,
    err: () => err,
  };
}
