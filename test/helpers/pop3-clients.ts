import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROGRAMS } from './programs.ts';
import { run, runOk } from './run.ts';

/** What a POP3 client is told about the server and the account. */
export interface Pop3Account {
  port: number;
  user: string;
  password: string;
  /** The server's self-signed certificate: the clients verify it (name `localhost`). */
  certPath: string;
}

export interface ClientRun {
  code: number | null;
  /** The client's verbose output (fetchmail's `POP3>`/`POP3<` lines), for failure messages. */
  transcript: string;
}

/**
 * One Debian fetchmail "installation" in `home`: rc file (0600, as fetchmail insists), UIDL
 * id file, and an MDA script that saves each message into `home/out/` as its own file.
 * Runs in the foreground (`-N`), without syslog, with HOME/FETCHMAILHOME in `home` so its
 * lock file and state stay there. fetchmail warns about running as root but works.
 */
export class Fetchmail {
  readonly home: string;
  private readonly out: string;

  constructor(home: string) {
    this.home = home;
    this.out = join(home, 'out');
    mkdirSync(this.out, { recursive: true });
    const mda = join(home, 'save-message.sh');
    // One file per message; nanosecond names keep the order of delivery.
    writeFileSync(mda, `#!/bin/sh\nexec cat > "${this.out}/$(date +%s%N).$$.eml"\n`);
    chmodSync(mda, 0o755);
  }

  /**
   * One poll. `tls`: 'stls' = plain port + STLS required (`sslproto tls1.2+` without `ssl`),
   * 'implicit' = TLS from the first byte. `keep` leaves the messages on the server (fetchmail
   * then reads them with TOP and remembers their UIDLs in its id file); otherwise it RETRs
   * and DELEs each one.
   */
  async poll(account: Pop3Account, options: { tls: 'stls' | 'implicit'; keep: boolean }): Promise<ClientRun> {
    const rc = join(this.home, 'fetchmailrc');
    const tls =
      options.tls === 'implicit'
        ? 'ssl sslproto tls1.2+'
        : // No `ssl`: fetchmail then must upgrade the plain connection with STLS.
          'sslproto tls1.2+';
    writeFileSync(
      rc,
      [
        'set no syslog',
        `poll 127.0.0.1 service ${account.port} protocol POP3 uidl timeout 30`,
        `  user "${account.user}" there with password "${account.password}" is root here`,
        `  ${tls} sslcertck sslcertfile "${account.certPath}" sslcommonname "localhost"`,
        `  ${options.keep ? 'keep' : 'no keep'} no rewrite`,
        `  mda "${join(this.home, 'save-message.sh')}"`,
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    chmodSync(rc, 0o600);
    const result = await run(
      PROGRAMS.fetchmail,
      ['-f', rc, '-i', join(this.home, 'fetchids'), '-N', '--nosyslog', '-v'],
      {
        env: { ...process.env, HOME: this.home, FETCHMAILHOME: this.home, LC_ALL: 'C' },
        timeoutMs: 60_000,
      },
    );
    return { code: result.code, transcript: result.stdout + result.stderr };
  }

  /** Messages saved so far, oldest first, as fetchmail handed them to the MDA. */
  messages(): Buffer[] {
    return readdirSync(this.out)
      .sort()
      .map((name) => readFileSync(join(this.out, name)));
  }

  clear(): void {
    for (const name of readdirSync(this.out)) rmSync(join(this.out, name));
  }
}

/**
 * One Debian getmail (getmail6) setup in `home`: rc file and its oldmail (UIDL) state there,
 * delivering into a Maildir under `home/Maildir`. getmail will not deliver into a Maildir as
 * root, so the destination runs as Debian's `mail` user and owns the Maildir. getmail speaks
 * POP3 over implicit TLS only (SimplePOP3SSLRetriever has no STLS); it verifies the
 * certificate against `ca_certs` with `ssl_cert_hostname = localhost`.
 */
export class Getmail {
  readonly home: string;
  readonly maildir: string;

  private constructor(home: string) {
    this.home = home;
    this.maildir = join(home, 'Maildir');
  }

  static async create(home: string): Promise<Getmail> {
    const g = new Getmail(home);
    for (const sub of ['new', 'cur', 'tmp']) mkdirSync(join(g.maildir, sub), { recursive: true });
    const uid = Number((await runOk('id', ['-u', 'mail'])).stdout.trim());
    const gid = Number((await runOk('id', ['-g', 'mail'])).stdout.trim());
    for (const p of [g.maildir, ...['new', 'cur', 'tmp'].map((s) => join(g.maildir, s))])
      chownSync(p, uid, gid);
    return g;
  }

  /** One run; `keep` = leave messages on the server and fetch only unseen UIDLs next time. */
  async retrieve(account: Pop3Account, options: { keep: boolean }): Promise<ClientRun> {
    writeFileSync(
      join(this.home, 'getmailrc'),
      [
        '[retriever]',
        'type = SimplePOP3SSLRetriever',
        'server = 127.0.0.1',
        `port = ${account.port}`,
        `username = ${account.user}`,
        `password = ${account.password}`,
        `ca_certs = ${account.certPath}`,
        'ssl_cert_hostname = localhost',
        'timeout = 30',
        '',
        '[destination]',
        'type = Maildir',
        `path = ${this.maildir}/`,
        'user = mail',
        '',
        '[options]',
        'verbose = 2',
        'read_all = false',
        `delete = ${options.keep ? 'false' : 'true'}`,
        // Add nothing: what lands in the Maildir is what the server sent (plus Return-Path).
        'delivered_to = false',
        'received = false',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    const result = await run(PROGRAMS.getmail, ['--getmaildir', this.home, '--rcfile', 'getmailrc'], {
      env: { ...process.env, HOME: this.home, LC_ALL: 'C.UTF-8' },
      timeoutMs: 60_000,
    });
    return { code: result.code, transcript: result.stdout + result.stderr };
  }

  /** Messages in the destination Maildir (new/ and cur/). */
  messages(): Buffer[] {
    const found: Buffer[] = [];
    for (const sub of ['new', 'cur']) {
      for (const name of readdirSync(join(this.maildir, sub)).sort()) {
        found.push(readFileSync(join(this.maildir, sub, name)));
      }
    }
    return found;
  }

  clear(): void {
    for (const sub of ['new', 'cur']) {
      for (const name of readdirSync(join(this.maildir, sub))) rmSync(join(this.maildir, sub, name));
    }
  }
}

/**
 * A retrieved message with what the client itself added on top taken off (fetchmail's
 * `Received:` trace field, getmail's `Return-Path:`), so it can be compared with the message
 * as delivered. Only a leading field of that name, with its folded continuation lines, goes.
 */
export function withoutClientTrace(message: Buffer, field: 'Received' | 'Return-Path'): Buffer {
  const text = message.toString('latin1');
  const re = new RegExp(`^${field}:[^\\n]*\\n(?:[ \\t][^\\n]*\\n)*`, 'i');
  return Buffer.from(text.replace(re, ''), 'latin1');
}

/** The message as a POP3 client stores it locally: CRLF line ends turned into LF. */
export function toLf(message: Buffer): Buffer {
  return Buffer.from(message.toString('latin1').replace(/\r\n/g, '\n'), 'latin1');
}

/**
 * Messages that exercise a POP3 server's byte transparency, each marked with `tag` (in the
 * Subject and Message-ID) so a test can tell its own apart: a plain one; lines that start with
 * dots (byte-stuffing, RFC 1939 §3) and with `From `; UTF-8 in an encoded word and an 8-bit
 * body; a 300 KB multipart one (many TLS records, streaming); a folded header and an empty body.
 */
export function pop3TestMessages(tag: string): Buffer[] {
  const head = (n: number, subject: string, extra = '') =>
    `From: Alice <alice@example.test>\r\nTo: Bob <bob@example.test>\r\nSubject: ${tag} ${n} ${subject}\r\n` +
    `Date: Mon, 23 Nov 2026 09:00:0${n} +0000\r\nMessage-ID: <${tag}.${n}@example.test>\r\n${extra}`;
  const base64Line = 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0';
  const bigBody = Array.from({ length: 4000 }, (_, i) => `${base64Line}${String(i % 10)}`).join('\r\n');
  return [
    `${head(1, 'plain')}\r\nHello Bob,\r\n\r\nthis is a plain message.\r\n`,
    `${head(2, 'dots')}\r\n.\r\n..\r\n.leading dot\r\n...three\r\nFrom the start of a line\r\n. \r\nend\r\n`,
    `${head(3, '=?UTF-8?B?R3LDvMOfZQ==?=', 'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n')}\r\nGrüße aus Köln, 日本語のテキスト.\r\n`,
    `${head(4, 'big', 'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n')}\r\n--b1\r\nContent-Type: text/plain\r\n\r\nsee attachment\r\n--b1\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n${bigBody}\r\n--b1--\r\n`,
    `${head(5, 'folded', 'X-Folded: first part\r\n\tsecond part\r\n  third part\r\n')}\r\n`,
  ].map((text) => Buffer.from(text, 'utf8'));
}
