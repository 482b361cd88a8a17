import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDocument, stringify } from 'yaml';
import { checkCertificate, checkConsistency } from './checks.ts';
import { ConfigError } from './errors.ts';
import { describeIssue } from './issues.ts';
import { type ConfigInput, configSchema, type MailstackConfig } from './schema.ts';

/** The config with every path made absolute, ready for the agents. */
export interface LoadedConfig {
  config: MailstackConfig;
  /** The file it came from; null for the embedded defaults. */
  file: string | null;
  paths: ConfigPaths;
}

export interface ConfigPaths {
  data: string;
  directory: string;
  mail: string;
  spool: string;
  dkim: string;
  /** Where the self-signed certificate is made when `tls.cert` is not set. */
  tlsDir: string;
  /** The certificate and key every TLS listener serves. */
  cert: string;
  key: string;
  /** The log file, or null for stderr. */
  logFile: string | null;
}

/** The embedded defaults: what `npm start` runs on and `mailstack.example.yaml` spells out. */
export function defaultConfig(): MailstackConfig {
  return configSchema.parse({});
}

/**
 * Validates a config already parsed from YAML (or built in code). Throws a ConfigError listing
 * every problem with its key path; `source` names the file in the message.
 */
export function validateConfig(input: unknown, source = 'config'): MailstackConfig {
  const result = configSchema.safeParse(input ?? {}, { reportInput: true });
  if (!result.success)
    throw new ConfigError(
      source,
      result.error.issues.flatMap((i) => describeIssue(i)),
    );
  const problems = checkConsistency(result.data);
  if (problems.length) throw new ConfigError(source, problems);
  return result.data;
}

/** Parses YAML text and validates it. */
export function parseConfig(text: string, source = 'config'): MailstackConfig {
  return validateConfig(rawInput(text, source), source);
}

export interface LoadOptions {
  /** A config file; absent: MAILSTACK_CONFIG from `env`, else the embedded defaults. */
  file?: string | undefined;
  env?: Record<string, string | undefined>;
  /** Relative paths of the embedded defaults resolve here. Default process.cwd(). */
  cwd?: string;
  /** Overrides applied before validation (the `npm start` dev switch). */
  overrides?: (input: ConfigInput) => ConfigInput;
}

/**
 * Reads, validates and resolves the host config. Relative paths in a file are relative to the
 * file's folder; with no file, to `cwd`. MAILSTACK_DATA, when set, replaces `paths.data`.
 * The certificate files, when named, must exist and match (checked here, at start, not at the
 * first handshake). Throws a ConfigError: callers exit with EXIT_CONFIG.
 */
export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const given = options.file ?? env.MAILSTACK_CONFIG;
  const file = given ? resolve(options.cwd ?? process.cwd(), given) : null;
  let input: ConfigInput = {};
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new ConfigError(file, [
        code === 'ENOENT' ? 'file not found' : `cannot read (${code ?? String(err)})`,
      ]);
    }
    input = rawInput(text, file);
  }
  if (env.MAILSTACK_DATA) input = { ...input, paths: { ...input.paths, data: env.MAILSTACK_DATA } };
  if (options.overrides) input = options.overrides(input);
  const source = file ?? 'embedded defaults';
  const config = validateConfig(input, source);
  const paths = resolvePaths(config, file ? dirname(file) : (options.cwd ?? process.cwd()));
  if (config.tls.cert !== null) {
    const problems = checkCertificate(paths.cert, paths.key);
    if (problems.length) throw new ConfigError(source, problems);
  }
  return { config, file, paths };
}

/** The YAML as a plain value, syntax errors reported with their line. */
function rawInput(text: string, source: string): ConfigInput {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => {
        const at = e.linePos?.[0];
        return `${at ? `line ${at.line}, column ${at.col}: ` : ''}${e.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '')}`;
      }),
    );
  }
  return (doc.toJS() ?? {}) as ConfigInput;
}

export function resolvePaths(config: MailstackConfig, baseDir: string): ConfigPaths {
  const data = resolve(baseDir, config.paths.data);
  const tlsDir = resolve(data, config.paths.tls);
  return {
    data,
    directory: resolve(data, config.paths.directory),
    mail: resolve(data, config.paths.mail),
    spool: resolve(data, config.paths.spool),
    dkim: resolve(data, config.paths.dkim),
    tlsDir,
    cert: config.tls.cert ? resolve(baseDir, config.tls.cert) : resolve(tlsDir, 'cert.pem'),
    key: config.tls.key ? resolve(baseDir, config.tls.key) : resolve(tlsDir, 'key.pem'),
    logFile: config.log.file ? resolve(baseDir, config.log.file) : null,
  };
}

/** A socket listener's path: relative ones sit in the data folder, like the other paths. */
export function socketPath(paths: ConfigPaths, socket: string): string {
  return resolve(paths.data, socket);
}

/** A socket listener's permissions when `socketMode` is left out: owner and group read and write. */
export const SOCKET_MODE = 0o660;

/** The effective config as YAML that `--config` reads back unchanged. */
export function printConfig(config: MailstackConfig): string {
  return stringify(config, { lineWidth: 0 });
}
