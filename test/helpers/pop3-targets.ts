import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { bufferBlob } from '@mailstack/core';
import { createMaildirStore } from '@mailstack/maildir';
import { makeTempDir } from './daemon.ts';
import { writeDirectoryFile } from './directory-file.ts';
import { type DovecotInstance, startDovecot } from './dovecot.ts';
import { enableDovecotPop3Tls, type Pop3Process, startPop3 } from './pop3.ts';
import { makeCertificate } from './tls.ts';

/** One POP3 server under test, as the client tests see it. */
export interface Pop3Target {
  readonly name: 'mailstack' | 'dovecot';
  readonly host: string;
  /** Plain port offering STLS. */
  readonly port: number;
  /** Implicit-TLS port. */
  readonly tlsPort: number;
  /** The self-signed certificate both servers present (CN/SAN localhost, 127.0.0.1). */
  readonly certPath: string;
  /** Durable delivery into the user's INBOX (through @mailstack/maildir on both servers' Maildirs). */
  deliver(user: string, message: Buffer): Promise<void>;
  /** Message files in the user's INBOX (`new/` + `cur/`), straight from the file system. */
  inboxFiles(user: string): string[];
  /** The server's log so far, for failure messages. */
  log(): string;
}

export interface Pop3Targets {
  ours: Pop3Target;
  dovecot: Pop3Target;
  stop(): Promise<void>;
}

function filesIn(maildir: string): string[] {
  const files: string[] = [];
  for (const sub of ['new', 'cur']) {
    try {
      for (const name of readdirSync(join(maildir, sub))) files.push(`${sub}/${name}`);
    } catch {
      // No such mailbox yet.
    }
  }
  return files.sort();
}

function maildirOf(root: string, user: string): string {
  const at = user.lastIndexOf('@');
  return join(root, user.slice(at + 1).toLowerCase(), user.slice(0, at).toLowerCase(), 'Maildir');
}

/**
 * Our POP3 server (packages/pop3 standalone over a temp Maildir root and directory file) and a
 * throwaway Dovecot POP3 with TLS turned on, both with the same users, password and
 * certificate, so a client test can run the same steps against each: Dovecot is the control
 * that tells a harness problem from ours.
 */
export async function startPop3Targets(users: string[], password: string): Promise<Pop3Targets> {
  const tmp = makeTempDir('pop3-targets');
  let pop3: Pop3Process | undefined;
  let dovecot: DovecotInstance | undefined;
  const stop = async () => {
    await pop3?.stop();
    await dovecot?.stop();
    tmp.remove();
  };
  try {
    const tlsDir = join(tmp.path, 'tls');
    mkdirSync(tlsDir);
    const cert = await makeCertificate(tlsDir);
    const data = join(tmp.path, 'data');
    mkdirSync(data);
    const directory = join(tmp.path, 'directory.json');
    await writeDirectoryFile(directory, users, password);
    pop3 = await startPop3({ data, directory, ...cert });
    const ourStore = createMaildirStore({ root: data });
    const ourServer = pop3;

    dovecot = await startDovecot({ users: Object.fromEntries(users.map((u) => [u, password])) });
    const dovecotTlsPort = await enableDovecotPop3Tls(dovecot, cert);
    const dc = dovecot;
    const dovecotStore = createMaildirStore({ root: dc.mailRoot });

    return {
      ours: {
        name: 'mailstack',
        host: ourServer.host,
        port: ourServer.port,
        tlsPort: ourServer.tlsPort,
        certPath: cert.certPath,
        async deliver(user, message) {
          await ourStore.deliver(user, bufferBlob(message));
        },
        inboxFiles: (user) => filesIn(maildirOf(data, user)),
        log: () => ourServer.output(),
      },
      dovecot: {
        name: 'dovecot',
        host: '127.0.0.1',
        port: dc.ports.pop3,
        tlsPort: dovecotTlsPort,
        certPath: cert.certPath,
        async deliver(user, message) {
          await dovecotStore.deliver(user, bufferBlob(message));
          // Dovecot's mail processes run as `mail`; our (root) store wrote the files.
          dc.chownMail();
        },
        inboxFiles: (user) => filesIn(maildirOf(dc.mailRoot, user)),
        log: () => dc.log(),
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
