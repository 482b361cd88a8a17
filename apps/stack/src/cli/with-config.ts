import { ConfigError, EXIT_CONFIG, type LoadedConfig, type LoadOptions, loadConfig } from '@mailstack/config';
import type { CommandIo } from './command.ts';

/**
 * Takes `--config FILE` (or `--config=FILE`) out of `argv`, for commands that pass the rest to
 * another parser (the directory and queue CLIs).
 */
export function takeConfigFlag(argv: string[]): { file: string | undefined; rest: string[] } {
  const rest: string[] = [];
  let file: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--config' || arg === '-c') file = argv[++i];
    else if (arg.startsWith('--config=')) file = arg.slice('--config='.length);
    else rest.push(arg);
  }
  return { file, rest };
}

/**
 * Loads the config (`--config`, else MAILSTACK_CONFIG, else the embedded defaults) and runs
 * `body` with it; a config error is printed with every problem and exits 78 (EX_CONFIG).
 */
export async function withConfig(
  file: string | undefined,
  io: CommandIo,
  body: (loaded: LoadedConfig) => Promise<number>,
  overrides?: LoadOptions['overrides'],
): Promise<number> {
  let loaded: LoadedConfig;
  try {
    loaded = loadConfig({ file, env: io.env, cwd: io.cwd, ...(overrides ? { overrides } : {}) });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.stderr.write(`mailstack: config error in ${err.message}\n`);
    return EXIT_CONFIG;
  }
  return body(loaded);
}
