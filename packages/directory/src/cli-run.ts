import { parseArgs } from 'node:util';
import { DirectoryError, type DirectoryErrorCode } from './errors.ts';
import { type FileDirectory, openFileDirectory } from './file-directory.ts';
import type { ScryptParams } from './password.ts';

/** sysexits(3) codes, so scripts can tell a typo from a missing user. */
export const EXIT = { ok: 0, usage: 64, data: 65, noInput: 66, noUser: 67, io: 74 } as const;

const EXIT_FOR: Record<DirectoryErrorCode, number> = {
  'invalid-file': EXIT.data,
  'invalid-argument': EXIT.data,
  exists: EXIT.data,
  'in-use': EXIT.data,
  'missing-file': EXIT.noInput,
  'no-such-user': EXIT.noUser,
  'no-such-alias': EXIT.noUser,
  'no-such-domain': EXIT.noUser,
  'io-error': EXIT.io,
};

export const USAGE = `usage: mailstack-directory --file <directory.json> <command>

  user add <address> (--password-stdin | --password <pw>) [--quota <bytes>[K|M|G]] [--quota-messages <n>]
  user del <address>
  user passwd <address> (--password-stdin | --password <pw>)
  user list [--json]
  alias add <address> <target>...
  alias del <address> [<target>...]      (no targets: the whole alias)
  alias list [--json]
  domain add <domain> | domain del <domain> | domain list [--json]
  catchall set <domain> <target> | catchall clear <domain>

The file may also be given as MAILSTACK_DIRECTORY. "add" commands create a missing file.
Exit: 0 ok, 64 usage, 65 data error, 66 no such file, 67 no such user/alias/domain, 74 I/O.
`;

export interface CliIo {
  stdin: AsyncIterable<Buffer | string>;
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  env: Record<string, string | undefined>;
}

class UsageError extends Error {}

function parseSize(text: string, what: string): number {
  const m = /^(\d+)([KMG])?$/i.exec(text.trim());
  if (!m) throw new UsageError(`${what}: expected a number, optionally with K, M or G`);
  const scale = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[
    (m[2] ?? '').toUpperCase() as '' | 'K' | 'M' | 'G'
  ];
  const n = Number(m[1]) * scale;
  if (!Number.isSafeInteger(n)) throw new UsageError(`${what}: too large`);
  return n;
}

async function readPassword(
  values: { password?: string; 'password-stdin'?: boolean },
  io: CliIo,
): Promise<string> {
  if (values.password !== undefined && values['password-stdin']) {
    throw new UsageError('give either --password or --password-stdin');
  }
  let pw: string;
  if (values.password !== undefined) pw = values.password;
  else if (values['password-stdin']) {
    const chunks: Buffer[] = [];
    for await (const c of io.stdin) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
    // One trailing newline is the line ending of `echo`, not part of the password.
    pw = Buffer.concat(chunks)
      .toString('utf8')
      .replace(/\r?\n$/, '');
  } else throw new UsageError('a password is needed: --password-stdin (preferred) or --password');
  if (pw.length === 0) throw new DirectoryError('invalid-argument', 'empty password');
  return pw;
}

/** Runs one CLI invocation; returns the exit code. Never prints a password or a hash. */
/** What the embedding program sets for the CLI's directory (`mailstack user` passes the config's cost). */
export interface CliOptions {
  /** Cost of the hashes `user add` and `user passwd` make. Default `DEFAULT_SCRYPT`. */
  scrypt?: ScryptParams;
}

export async function runCli(argv: string[], io: CliIo, options: CliOptions = {}): Promise<number> {
  let dir: FileDirectory | undefined;
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        file: { type: 'string', short: 'f' },
        password: { type: 'string' },
        'password-stdin': { type: 'boolean' },
        quota: { type: 'string' },
        'quota-messages': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      io.stdout.write(USAGE);
      return EXIT.ok;
    }
    const file = values.file ?? io.env.MAILSTACK_DIRECTORY;
    if (!file) throw new UsageError('--file is required');
    const [noun, verb, ...args] = positionals;
    const need = (n: number, more = false) => {
      if (args.length < n || (!more && args.length > n))
        throw new UsageError(`wrong number of arguments for "${noun} ${verb}"`);
    };
    const print = (rows: unknown[], line: (r: never) => string) => {
      if (values.json) io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      else for (const r of rows) io.stdout.write(`${line(r as never)}\n`);
    };
    const open = (create = false) =>
      openFileDirectory(file, { create, ...(options.scrypt ? { scrypt: options.scrypt } : {}) });

    switch (`${noun} ${verb}`) {
      case 'user add': {
        need(1);
        const password = await readPassword(values, io);
        const quota: { quotaBytes?: number; quotaMessages?: number } = {};
        if (values.quota !== undefined) quota.quotaBytes = parseSize(values.quota, '--quota');
        if (values['quota-messages'] !== undefined) {
          quota.quotaMessages = parseSize(values['quota-messages'], '--quota-messages');
        }
        dir = await open(true);
        await dir.addUser(args[0]!, password, quota);
        break;
      }
      case 'user del':
        need(1);
        dir = await open();
        await dir.removeUser(args[0]!);
        break;
      case 'user passwd': {
        need(1);
        const password = await readPassword(values, io);
        dir = await open();
        await dir.setPassword(args[0]!, password);
        break;
      }
      case 'user list':
        need(0);
        dir = await open();
        print(dir.listUsers(), (u: { address: string; quotaBytes?: number; quotaMessages?: number }) =>
          [
            u.address,
            u.quotaBytes !== undefined ? `quotaBytes=${u.quotaBytes}` : '',
            u.quotaMessages !== undefined ? `quotaMessages=${u.quotaMessages}` : '',
          ]
            .filter(Boolean)
            .join(' '),
        );
        break;
      case 'alias add':
        need(2, true);
        dir = await open(true);
        await dir.addAlias(args[0]!, args.slice(1));
        break;
      case 'alias del':
        need(1, true);
        dir = await open();
        await dir.removeAlias(args[0]!, args.slice(1));
        break;
      case 'alias list':
        need(0);
        dir = await open();
        print(
          dir.listAliases(),
          (a: { address: string; targets: string[] }) => `${a.address} -> ${a.targets.join(', ')}`,
        );
        break;
      case 'domain add':
        need(1);
        dir = await open(true);
        await dir.addDomain(args[0]!);
        break;
      case 'domain del':
        need(1);
        dir = await open();
        await dir.removeDomain(args[0]!);
        break;
      case 'domain list':
        need(0);
        dir = await open();
        print(dir.listDomains(), (d: string) => d);
        break;
      case 'catchall set':
        need(2);
        dir = await open();
        await dir.setCatchAll(args[0]!, args[1]!);
        break;
      case 'catchall clear':
        need(1);
        dir = await open();
        await dir.setCatchAll(args[0]!, null);
        break;
      default:
        throw new UsageError(noun ? `unknown command "${positionals.join(' ')}"` : 'no command given');
    }
    return EXIT.ok;
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr.write(`mailstack-directory: ${(err as Error).message}\n\n${USAGE}`);
      return EXIT.usage;
    }
    if (err instanceof DirectoryError) {
      io.stderr.write(`mailstack-directory: ${err.message}\n`);
      for (const issue of err.issues.length > 1 ? err.issues : []) io.stderr.write(`  ${issue}\n`);
      return EXIT_FOR[err.code];
    }
    io.stderr.write(`mailstack-directory: ${(err as Error).message}\n`);
    return EXIT.io;
  } finally {
    await dir?.close();
  }
}
