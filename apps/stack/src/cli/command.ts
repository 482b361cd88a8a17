/** What a `mailstack` subcommand reads and writes: the process's, or a test's. */
export interface CommandIo {
  stdin: AsyncIterable<Buffer | string>;
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  env: Record<string, string | undefined>;
  cwd: string;
}

/**
 * One `mailstack` subcommand: one file under commands/, one line in commands/index.ts.
 * `run` gets the arguments after the command name and returns the exit code (sysexits);
 * `--help` and `-h` never reach it: the dispatcher prints `usage`.
 */
export interface Command {
  name: string;
  /** One line for `mailstack --help`. */
  summary: string;
  /** The whole help text of `mailstack <name> --help`, ending with a newline. */
  usage: string;
  run(argv: string[], io: CommandIo): Promise<number>;
}

/** sysexits(3) codes the commands share. */
export const EXIT = { ok: 0, usage: 64, software: 70, config: 78 } as const;
