import { createHash } from 'node:crypto';
import { connect as tlsConnect } from 'node:tls';
import { type LineClient, lineClient } from '@mailstack/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ALICE,
  type Harness,
  type HarnessOptions,
  message,
  startHarness,
  testCertificate,
  USERS,
} from './fixtures.ts';

let h: Harness | undefined;
const clients: LineClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await h?.close();
  h = undefined;
});

async function start(options: HarnessOptions = {}): Promise<Harness> {
  h = await startHarness(options);
  return h;
}

async function connect(port: number): Promise<LineClient> {
  const c = await lineClient(port);
  clients.push(c);
  expect(await c.read()).toMatch(/^\+OK pop\.example\.test POP3 ready/);
  return c;
}

async function send(c: LineClient, line: string): Promise<string> {
  await c.writeLine(line);
  return c.read();
}

async function login(port: number, user = ALICE, pass = USERS[ALICE]): Promise<LineClient> {
  const c = await connect(port);
  expect(await send(c, `USER ${user}`)).toMatch(/^\+OK/);
  expect(await send(c, `PASS ${pass}`)).toMatch(/^\+OK maildrop has/);
  return c;
}

/** A multi-line answer: the status line, then the lines before the lone ".". */
async function multi(c: LineClient, line: string): Promise<{ status: string; lines: string[] }> {
  await c.writeLine(line);
  const status = await c.read();
  if (!status.startsWith('+OK')) return { status, lines: [] };
  const all = await c.readUntil(/^\.$/);
  return { status, lines: all.slice(0, -1) };
}

const plain = (user: string, pass: string, authz = '') =>
  Buffer.from(`${authz}\0${user}\0${pass}`).toString('base64');

describe('POP3 on the wire', () => {
  it('answers pipelined commands in one write, in order', async () => {
    const { port, deliver } = await start();
    const uid1 = await deliver(message(1));
    await deliver(message(2));
    const c = await connect(port);
    await c.write(
      `USER ${ALICE}\r\nPASS ${USERS[ALICE]}\r\nSTAT\r\nLIST\r\nUIDL 1\r\nNOOP\r\nDELE 2\r\nSTAT\r\nQUIT\r\n`,
    );
    const lines = await c.readUntil(/^\+OK bye/);
    const size1 = Buffer.byteLength(message(1));
    const size2 = Buffer.byteLength(message(2));
    expect(lines[0]).toMatch(/^\+OK/);
    expect(lines[1]).toBe(`+OK maildrop has 2 messages (${size1 + size2} octets)`);
    expect(lines[2]).toBe(`+OK 2 ${size1 + size2}`);
    expect(lines.slice(4, 7)).toEqual([`1 ${size1}`, `2 ${size2}`, '.']);
    expect(lines[7]).toMatch(new RegExp(`^\\+OK 1 \\d+\\.${uid1}$`));
    expect(lines[8]).toBe('+OK');
    expect(lines[9]).toBe('+OK message 2 deleted');
    expect(lines[10]).toBe(`+OK 1 ${size1}`);
    expect(lines[11]).toBe('+OK bye (1 messages deleted)');
    await c.closed;
  });

  it('CAPA advertises USER and SASL only where cleartext login is allowed, STLS until TLS', async () => {
    const { port } = await start({ allowCleartextAuthOnLoopback: false });
    const c = await connect(port);
    const before = await multi(c, 'CAPA');
    expect(before.lines).toEqual(
      expect.arrayContaining(['TOP', 'UIDL', 'RESP-CODES', 'AUTH-RESP-CODE', 'PIPELINING']),
    );
    expect(before.lines.some((l) => l === 'USER' || l.startsWith('SASL'))).toBe(false);
    expect(before.lines.some((l) => l.startsWith('IMPLEMENTATION '))).toBe(true);
    expect(await send(c, `USER ${ALICE}`)).toMatch(/^-ERR \[AUTH\] Plaintext authentication disallowed/);
    expect(await send(c, `PASS ${USERS[ALICE]}`)).toMatch(/^-ERR \[AUTH\]/);
    expect(await send(c, `AUTH PLAIN ${plain(ALICE, USERS[ALICE])}`)).toMatch(/^-ERR \[AUTH\]/);
    expect(await send(c, 'STLS')).toBe('-ERR TLS not available');
    expect(h!.directory.logins).toEqual([]);

    await h!.close();
    const { port: devPort } = await start({ allowCleartextAuthOnLoopback: true });
    const d = await connect(devPort);
    const dev = await multi(d, 'CAPA');
    expect(dev.lines).toEqual(expect.arrayContaining(['USER', 'SASL PLAIN']));
  });

  it('answers bad input with -ERR and keeps serving; hangs up after ten in a row', async () => {
    const { port, deliver } = await start();
    await deliver(message(1));
    const c = await connect(port);
    expect(await send(c, 'STAT')).toBe('-ERR STAT not valid in this state');
    expect(await send(c, 'FROB')).toBe('-ERR unknown command');
    expect(await send(c, '')).toBe('-ERR empty command');
    expect(await send(c, 'PASS nothing')).toBe('-ERR USER first');
    await c.close();
    const d = await login(port);
    expect(await send(d, 'RETR')).toBe('-ERR wrong number of arguments for RETR');
    expect(await send(d, 'RETR x')).toBe('-ERR invalid message number');
    expect(await send(d, 'LIST 0')).toBe('-ERR no such message');
    expect(await send(d, 'LIST 2')).toBe('-ERR no such message');
    expect(await send(d, 'TOP 1 -1')).toBe('-ERR invalid line count');
    expect(await send(d, 'USER x')).toBe('-ERR USER not valid in this state');
    expect(await send(d, 'DELE 1')).toBe('+OK message 1 deleted');
    expect(await send(d, 'RETR 1')).toBe('-ERR message 1 already deleted');
    expect(await send(d, 'RSET')).toMatch(/^\+OK maildrop has 1 messages/);
    expect(await send(d, 'LIST 1')).toMatch(/^\+OK 1 \d+$/);
    for (let i = 1; i < 10; i++) expect(await send(d, 'BOGUS')).toBe('-ERR unknown command');
    expect(await send(d, 'BOGUS')).toBe('-ERR unknown command; too many bad commands, closing');
    await d.closed;
  });

  it('refuses too-long lines, and drops a client flooding bytes without a newline', async () => {
    const { port } = await start();
    const c = await connect(port);
    expect(await send(c, `NOOP ${'x'.repeat(260)}`)).toBe('-ERR line too long');
    expect(await send(c, `PASS ${'x'.repeat(1000)}`)).toBe('-ERR line too long');
    expect(await send(c, 'CAPA')).toBe('+OK Capability list follows');
    await c.readUntil(/^\.$/);
    await c.write('y'.repeat(100_000));
    expect(await c.read()).toBe('-ERR line too long; closing');
    await c.closed;
  });

  it('throttles bad passwords: delayed -ERR [AUTH], then a refusal without a password check', async () => {
    const { port, directory } = await start();
    const c = await connect(port);
    for (let i = 0; i < 3; i++) {
      expect(await send(c, `USER ${ALICE}`)).toMatch(/^\+OK/);
      expect(await send(c, 'PASS wrong')).toBe('-ERR [AUTH] invalid user name or password');
    }
    expect(directory.logins.length).toBe(3);
    expect(await send(c, `USER ${ALICE}`)).toMatch(/^\+OK/);
    expect(await send(c, `PASS ${USERS[ALICE]}`)).toBe(
      '-ERR [SYS/TEMP] too many failed logins; try again later',
    );
    await c.closed;
    expect(directory.logins.length).toBe(3);
  });

  it('AUTH PLAIN with an initial response, with a continuation, and cancelled', async () => {
    const { port } = await start();
    const a = await connect(port);
    expect(await send(a, `AUTH PLAIN ${plain(ALICE, USERS[ALICE])}`)).toMatch(/^\+OK maildrop has 0/);
    expect(await send(a, 'QUIT')).toMatch(/^\+OK bye/);
    const b = await connect(port);
    expect(await send(b, 'AUTH PLAIN')).toBe('+ ');
    expect(await send(b, plain('bob@example.test', USERS['bob@example.test'], 'bob@example.test'))).toMatch(
      /^\+OK maildrop/,
    );
    const c = await connect(port);
    expect(await send(c, 'AUTH PLAIN')).toBe('+ ');
    expect(await send(c, '*')).toBe('-ERR authentication cancelled');
    expect(await send(c, 'AUTH PLAIN not*base64')).toBe('-ERR [AUTH] malformed PLAIN response');
    expect(await send(c, `AUTH PLAIN ${plain(ALICE, USERS[ALICE], 'bob@example.test')}`)).toBe(
      '-ERR [AUTH] not authorized to act as that user',
    );
    expect(await send(c, 'AUTH CRAM-MD5')).toBe('-ERR unsupported authentication mechanism');
    const list = await multi(c, 'AUTH');
    expect(list.lines).toEqual(['PLAIN']);
  });

  it('locks the maildrop: a second login gets -ERR [IN-USE] until the first session ends', async () => {
    const { port } = await start();
    const first = await login(port);
    const second = await connect(port);
    expect(await send(second, `USER ${ALICE}`)).toMatch(/^\+OK/);
    expect(await send(second, `PASS ${USERS[ALICE]}`)).toBe(
      '-ERR [IN-USE] maildrop already locked by another session',
    );
    // Another user is not affected.
    await login(port, 'bob@example.test', USERS['bob@example.test']);
    // A dropped first session releases the lock too.
    first.socket.destroy();
    await first.closed;
    const deadline = Date.now() + 5000;
    let reply = '';
    while (Date.now() < deadline) {
      await send(second, `USER ${ALICE}`);
      reply = await send(second, `PASS ${USERS[ALICE]}`);
      if (reply.startsWith('+OK')) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(reply).toMatch(/^\+OK maildrop/);
  });

  it('a connection dropped after DELE deletes nothing', async () => {
    const { port, deliver } = await start({ backend: 'maildir' });
    await deliver(message(1));
    await deliver(message(2));
    const c = await login(port);
    expect(await send(c, 'DELE 1')).toMatch(/^\+OK/);
    expect(await send(c, 'DELE 2')).toMatch(/^\+OK/);
    c.socket.destroy();
    await c.closed;
    await h!.server.close(); // waits for the session's cleanup
    await h!.restart();
    const d = await login(h!.port);
    expect(await send(d, 'STAT')).toMatch(/^\+OK 2 /);
    const inbox = await h!.store.openFolder(ALICE, 'INBOX');
    expect(inbox.messages().length).toBe(2);
    await inbox.close();
  });

  it('DELE + QUIT expunges through the store; an open Folder sees the expunge on refresh', async () => {
    const { port, deliver, store } = await start();
    const uid1 = await deliver(message(1));
    const uid2 = await deliver(message(2));
    const imap = await store.openFolder(ALICE, 'INBOX');
    expect(imap.messages().map((m) => m.uid)).toEqual([uid1, uid2]);
    const c = await login(port);
    expect(await send(c, 'DELE 1')).toMatch(/^\+OK/);
    expect(await send(c, 'QUIT')).toBe('+OK bye (1 messages deleted)');
    await c.closed;
    const changes = await imap.refresh();
    expect(changes).toEqual([expect.objectContaining({ kind: 'expunge', uids: [uid1] })]);
    expect(imap.messages().map((m) => m.uid)).toEqual([uid2]);
    expect(imap.messages()[0]!.flags).not.toContain('\\Seen');
    // A message retrieved whole (not just TOP) becomes \Seen at UPDATE.
    const d = await login(port);
    await multi(d, 'TOP 1 0');
    expect(await send(d, 'QUIT')).toMatch(/^\+OK bye/);
    await imap.refresh();
    expect(imap.messages()[0]!.flags).not.toContain('\\Seen');
    const e = await login(port);
    await multi(e, 'RETR 1');
    expect(await send(e, 'QUIT')).toMatch(/^\+OK bye/);
    expect(await imap.refresh()).toEqual([expect.objectContaining({ kind: 'flags', uid: uid2 })]);
    expect(imap.messages()[0]!.flags).toContain('\\Seen');
    await imap.close();
  });

  it('works on a snapshot taken at login: later deliveries show in the next session', async () => {
    const { port, deliver } = await start();
    await deliver(message(1));
    const c = await login(port);
    await deliver(message(2));
    expect(await send(c, 'STAT')).toMatch(/^\+OK 1 /);
    expect(await send(c, 'LIST 2')).toBe('-ERR no such message');
    expect(await send(c, 'QUIT')).toMatch(/^\+OK bye/);
    const d = await login(port);
    expect(await send(d, 'STAT')).toMatch(/^\+OK 2 /);
  });

  it('keeps UIDL values across a server restart, and they are 1-70 printable chars', async () => {
    const { port, deliver } = await start({ backend: 'maildir' });
    await deliver(message(1));
    await deliver(message(2));
    const c = await login(port);
    const before = await multi(c, 'UIDL');
    await c.close();
    await h!.restart();
    await deliver(message(3));
    const d = await login(h!.port);
    const after = await multi(d, 'UIDL');
    expect(after.lines.slice(0, 2)).toEqual(before.lines);
    expect(after.lines).toHaveLength(3);
    for (const line of after.lines) expect(line).toMatch(/^\d+ [\x21-\x7e]{1,70}$/);
    expect(new Set(after.lines.map((l) => l.split(' ')[1])).size).toBe(3);
  });

  it('RETR sends the exact octets LIST announced, dot-stuffed; TOP counts body lines', async () => {
    const { port, deliver } = await start();
    const body = '.leading dot\r\n..two dots\r\nplain\r\n.\r\nafter a lone dot\r\n';
    const text = message(1, body);
    await deliver(text);
    const c = await login(port);
    const size = Buffer.byteLength(text);
    expect(await send(c, 'LIST 1')).toBe(`+OK 1 ${size}`);
    const retr = await multi(c, 'RETR 1');
    expect(retr.status).toBe(`+OK ${size} octets`);
    const unstuffed = retr.lines.map((l) => (l.startsWith('.') ? l.slice(1) : l));
    expect(`${unstuffed.join('\r\n')}\r\n`).toBe(text);
    expect(retr.lines).toContain('..leading dot');
    expect(retr.lines).toContain('..');
    const top = await multi(c, 'TOP 1 2');
    expect(top.lines.slice(-3)).toEqual(['', '..leading dot', '...two dots']);
    const top0 = await multi(c, 'TOP 1 0');
    expect(top0.lines.at(-1)).toBe('');
    expect(top0.lines.at(-2)).toBe('Message-ID: <m1@example.test>');
  });

  it('streams a 6 MB message byte-exact, then keeps serving', async () => {
    const { port, deliver } = await start();
    const line = `${'abcdefghij'.repeat(7)}\r\n`;
    const big = message(1, line.repeat(Math.ceil((6 * 1024 * 1024) / line.length)));
    await deliver(big);
    const c = await login(port);
    await c.writeLine('RETR 1');
    expect(await c.read()).toBe(`+OK ${Buffer.byteLength(big)} octets`);
    const got = await c.readBytes(Buffer.byteLength(big) + 3, 30_000);
    const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
    expect(sha(got)).toBe(sha(`${big}.\r\n`));
    expect(await send(c, 'NOOP')).toBe('+OK');
  });

  it('logs out an idle client without applying deletions', async () => {
    const { port, deliver } = await start({ idleTimeoutMs: 150 });
    await deliver(message(1));
    const c = await login(port);
    expect(await send(c, 'DELE 1')).toMatch(/^\+OK/);
    expect(await c.read(5000)).toBe('-ERR autologout; idle for too long');
    await c.closed;
    const d = await login(port);
    expect(await send(d, 'STAT')).toMatch(/^\+OK 1 /);
  });

  it('turns away connections over the cap and keeps serving the others', async () => {
    const { port } = await start({ maxConnections: 1 });
    const a = await connect(port);
    const b = await lineClient(port);
    clients.push(b);
    expect(await b.read()).toBe('-ERR [SYS/TEMP] too many connections; try again later');
    await b.closed;
    expect(await send(a, 'CAPA')).toMatch(/^\+OK/);
  });
  it('STLS discards what was pipelined in cleartext; after the handshake login works', async () => {
    const tls = await testCertificate();
    const { port } = await start({ tls, allowCleartextAuthOnLoopback: false });
    const c = await connect(port);
    await c.write(`STLS\r\nUSER ${ALICE}\r\n`);
    expect(await c.read()).toBe('+OK begin TLS negotiation');
    const secure = tlsConnect({ socket: c.socket, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', resolve);
      secure.once('error', reject);
    });
    let got = '';
    const line = () =>
      new Promise<string>((resolve) => {
        const check = () => {
          const nl = got.indexOf('\r\n');
          if (nl < 0) return;
          secure.off('data', onData);
          const out = got.slice(0, nl);
          got = got.slice(nl + 2);
          resolve(out);
        };
        const onData = (d: Buffer) => {
          got += d.toString();
          check();
        };
        secure.on('data', onData);
        check();
      });
    // The injected USER got no answer: the first reply is PASS's "USER first".
    secure.write(`PASS ${USERS[ALICE]}\r\n`);
    expect(await line()).toBe('-ERR USER first');
    secure.write(`USER ${ALICE}\r\nPASS ${USERS[ALICE]}\r\nSTLS\r\nQUIT\r\n`);
    expect(await line()).toMatch(/^\+OK/);
    expect(await line()).toMatch(/^\+OK maildrop has 0 messages/);
    expect(await line()).toBe('-ERR STLS not valid in this state');
    expect(await line()).toMatch(/^\+OK bye/);
    secure.destroy();
  });

  it('a message removed under a session gives -ERR without [SYS/TEMP] (retrying cannot help); the session and others go on', async () => {
    const { port, deliver, store } = await start();
    const uid1 = await deliver(message(1));
    await deliver(message(2));
    const c = await login(port);
    const other = await store.openFolder(ALICE, 'INBOX');
    await other.expunge([uid1]);
    await other.close();
    expect(await send(c, 'RETR 1')).toBe('-ERR message cannot be read now: no longer there');
    const retr = await multi(c, 'RETR 2');
    expect(retr.status).toMatch(/^\+OK \d+ octets$/);
    expect(await send(c, 'DELE 1')).toMatch(/^\+OK/);
    expect(await send(c, 'QUIT')).toBe('+OK bye (0 messages deleted)');
    const d = await login(port, 'bob@example.test', USERS['bob@example.test']);
    expect(await send(d, 'STAT')).toBe('+OK 0 0');
  });
});
