import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROGRAMS } from './programs.ts';
import { type RunResult, run } from './run.ts';

export interface MbsyncAccount {
  port: number;
  user: string;
  password: string;
  /** The server's self-signed certificate, trusted as a host certificate (CertificateFile). */
  certPath: string;
  /** `IMAPS`: TLS from the first byte; `STARTTLS`: upgrade on the plain port. */
  tls: 'IMAPS' | 'STARTTLS';
}

/** One message file of the local Maildir, as mbsync left it. */
export interface LocalMessage {
  /** `new/...` or `cur/...`. */
  path: string;
  /** Maildir info flags after `:2,` (D F P R S T), sorted. */
  flags: string;
  body: Buffer;
}

/**
 * Debian's isync (`mbsync`, a real, independent IMAP client) with a throwaway config in `dir`:
 * one IMAP account, local Maildirs (`<dir>/local/INBOX`, `<dir>/local/<folder>`), and one
 * channel `sync` over every mailbox (`Patterns *`), creating, syncing (`Sync All`) and
 * expunging on both sides, with its sync state inside the local Maildir (`SyncState *`).
 */
export class Mbsync {
  readonly dir: string;
  readonly config: string;
  readonly localRoot: string;

  constructor(dir: string, account: MbsyncAccount) {
    this.dir = dir;
    this.config = join(dir, 'mbsyncrc');
    this.localRoot = join(dir, 'local');
    mkdirSync(this.localRoot, { recursive: true });
    writeFileSync(
      this.config,
      [
        'IMAPAccount server',
        // mbsync matches the certificate against DNS names only (not an IP SAN); localhost is 127.0.0.1.
        'Host localhost',
        `Port ${account.port}`,
        `User ${account.user}`,
        `Pass "${account.password}"`,
        `SSLType ${account.tls}`,
        // Trust only the server's own certificate (a "host" certificate in mbsync's terms).
        'SystemCertificates no',
        `CertificateFile ${account.certPath}`,
        '',
        'IMAPStore remote',
        'Account server',
        '',
        'MaildirStore local',
        `Path ${this.localRoot}/`,
        `Inbox ${this.localRoot}/INBOX`,
        'SubFolders Verbatim',
        '',
        'Channel sync',
        'Far :remote:',
        'Near :local:',
        'Patterns *',
        'Create Both',
        'Expunge Both',
        'Sync All',
        'SyncState *',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
  }

  /** `mbsync -c <config> -V sync`: verbose, so the transcript says what it did. */
  sync(): Promise<RunResult> {
    return run(PROGRAMS.mbsync, ['-c', this.config, '-V', 'sync'], { timeoutMs: 60_000 });
  }

  maildir(box = 'INBOX'): string {
    return join(this.localRoot, box);
  }

  messages(box = 'INBOX'): LocalMessage[] {
    const out: LocalMessage[] = [];
    for (const sub of ['new', 'cur']) {
      let names: string[] = [];
      try {
        names = readdirSync(join(this.maildir(box), sub));
      } catch {
        continue;
      }
      for (const name of names.sort()) {
        const info = name.lastIndexOf(':2,');
        out.push({
          path: `${sub}/${name}`,
          flags:
            info < 0
              ? ''
              : [...name.slice(info + 3)]
                  .filter((c) => /[A-Z]/.test(c))
                  .sort()
                  .join(''),
          body: readFileSync(join(this.maildir(box), sub, name)),
        });
      }
    }
    return out;
  }

  /** Drops a message into the local Maildir as a mail client would (`cur/`, with flags). */
  addMessage(body: string | Buffer, flags = '', box = 'INBOX'): string {
    const name = `${Date.now()}.${process.pid}_${Math.random().toString(36).slice(2)}.localhost:2,${flags}`;
    writeFileSync(join(this.maildir(box), 'cur', name), body);
    return `cur/${name}`;
  }

  /** Sets a local message's Maildir flags by renaming it, as a mail client would. */
  setFlags(path: string, flags: string, box = 'INBOX'): string {
    const base = path.slice(path.indexOf('/') + 1);
    const info = base.lastIndexOf(':2,');
    const name = `${info < 0 ? base : base.slice(0, info)}:2,${[...flags].sort().join('')}`;
    renameSync(join(this.maildir(box), path), join(this.maildir(box), 'cur', name));
    return `cur/${name}`;
  }
}
