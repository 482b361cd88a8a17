/** Where a subcommand writes and what environment it sees; `process` fits, tests pass buffers. */
export interface CommandIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: NodeJS.ProcessEnv;
}

/** sysexits.h: a command line the command cannot use. */
export const EX_USAGE = 64;
