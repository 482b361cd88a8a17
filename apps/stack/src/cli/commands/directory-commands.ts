import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DIRECTORY_CLI_EXIT, openFileDirectory, runDirectoryCli } from '@mailstack/directory';
import type { Command, CommandIo } from '../command.ts';
import { takeConfigFlag, withConfig } from '../with-config.ts';

/** Options of the directory CLI that take a value (so the address is not mistaken for one). */
const WITH_VALUE = new Set(['--password', '--quota', '--quota-messages', '--file', '-f']);

function firstPositional(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (WITH_VALUE.has(a)) i++;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
}

/**
 * `mailstack user|domain|alias ...`: the directory CLI on the config's directory file. Agents
 * watch that file, so a running stack sees the change without a restart. A new user also gets
 * its Maildir with the special-use folders (Sent, Drafts, Trash, Junk, Archive) at once, as the
 * demo users do.
 */
function directoryCommand(noun: 'user' | 'domain' | 'alias', summary: string, verbs: string): Command {
  return {
    name: noun,
    summary,
    usage: `usage: mailstack ${noun} <verb> ... [--config FILE]

${verbs}
Works on paths.directory of the config (--config FILE, else MAILSTACK_CONFIG, else the embedded
defaults), also while the stack runs: the agents pick the change up without a restart.
Exit: 0 ok, 64 usage, 65 data error, 66 no such file, 67 no such user/alias/domain, 74 I/O,
78 config error.
`,
    async run(argv, io: CommandIo) {
      const { file, rest } = takeConfigFlag(argv);
      return withConfig(file, io, async ({ config, paths }) => {
        // The config's domains are local before the first start too (`user add` right after
        // writing the config); `domain del` is left to say what it finds.
        if (!(noun === 'domain' && rest[0] === 'del')) await ensureDomains(paths.directory, config.domains);
        // New hashes (user add, user passwd) get the configured cost.
        const code = await runDirectoryCli(['--file', paths.directory, noun, ...rest], io, {
          scrypt: { ...config.auth.scrypt },
        });
        if (code !== DIRECTORY_CLI_EXIT.ok || noun !== 'user' || rest[0] !== 'add') return code;
        const address = firstPositional(rest.slice(1));
        if (address) {
          const { createMaildirStore } = await import('@mailstack/maildir');
          await createMaildirStore({ root: paths.mail, hostname: config.hostname }).ensureUser(address);
        }
        return code;
      });
    },
  };
}

async function ensureDomains(file: string, domains: string[]): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const directory = await openFileDirectory(file, { create: true });
  try {
    for (const domain of domains) if (!directory.isLocalDomain(domain)) await directory.addDomain(domain);
  } finally {
    await directory.close();
  }
}

export const userCommand = directoryCommand(
  'user',
  'accounts: add, passwd, del, list',
  `  user add <address> (--password-stdin | --password <pw>) [--quota <bytes>[K|M|G]] [--quota-messages <n>]
  user passwd <address> (--password-stdin | --password <pw>)
  user del <address>            (the mailbox stays on disk)
  user list [--json]
`,
);

export const domainCommand = directoryCommand(
  'domain',
  'local domains: add, list',
  `  domain add <domain>
  domain del <domain>
  domain list [--json]
`,
);

export const aliasCommand = directoryCommand(
  'alias',
  'aliases: add, list',
  `  alias add <address> <target>...
  alias del <address> [<target>...]   (no targets: the whole alias)
  alias list [--json]
`,
);
