/** Where a subcommand writes and what environment it sees; `process` fits, tests pass buffers. */
export interface CommandIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: NodeJS.ProcessEnv;
}

/** sysexits.h: a command line the command cannot use. */
export const EX_USAGE = 64;

/**
 * `--config FILE` is read by the `mailstack` dispatcher, which passes the loaded config in;
 * a command called without it must not quietly fall back to the defaults.
 */
export function noConfigLoader(io: CommandIo): number {
  io.stderr.write('mailstack: --config is read by the mailstack command; run this through it\n');
  return EX_USAGE;
}
