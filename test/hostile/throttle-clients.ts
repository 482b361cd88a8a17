import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AuthThrottle, createAuthThrottle, openFileDirectory } from '@mailstack/directory';
import { createImapServer } from '@mailstack/imap';
import { createMaildirStore } from '@mailstack/maildir';
import { createPop3Server } from '@mailstack/pop3';
import { runPython } from '@mailstack/testkit';

/** One login attempt by a real client (Python's imaplib, poplib, smtplib) from a chosen source address. */
export interface Attempt {
  /** imap: LOGIN; imap-plain: AUTHENTICATE PLAIN; pop3: USER/PASS; pop3-plain: AUTH PLAIN; smtp: STARTTLS + AUTH PLAIN (587); smtps: implicit TLS + AUTH PLAIN (465). */
  proto: 'imap' | 'imap-plain' | 'pop3' | 'pop3-plain' | 'smtp' | 'smtps';
  port: number;
  /** Source address, one of 127.0.0.0/8, so the server sees a distinct client. */
  src: string;
  user: string;
  password: string;
  /** SASL PLAIN authzid (imap-plain, pop3-plain). */
  authzid?: string;
}

export interface Outcome {
  ok: boolean;
  /** The server's refusal, as the client library reports it (empty on success). */
  text: string;
}

const SCRIPT = String.raw`
import base64, imaplib, json, poplib, smtplib, socket, ssl, sys
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
def conn(host, port, src):
    return socket.create_connection((host, port), 10, source_address=(src, 0))
class Imap(imaplib.IMAP4):
    def __init__(self, port, src):
        self.src = src; super().__init__('127.0.0.1', port)
    def _create_socket(self, timeout):
        return conn(self.host, self.port, self.src)
class Pop(poplib.POP3):
    def __init__(self, port, src):
        self.src = src; super().__init__('127.0.0.1', port)
    def _create_socket(self, timeout):
        return conn(self.host, self.port, self.src)
def plain(a):
    return (a.get('authzid', '') + '\0' + a['user'] + '\0' + a['password']).encode()
def attempt(a):
    p, port, src = a['proto'], a['port'], a['src']
    if p in ('imap', 'imap-plain'):
        m = Imap(port, src)
        try:
            if p == 'imap': m.login(a['user'], a['password'])
            else: m.authenticate('PLAIN', lambda _: plain(a))
        finally:
            try: m.shutdown()
            except Exception: pass
    elif p in ('pop3', 'pop3-plain'):
        c = Pop(port, src)
        try:
            if p == 'pop3': c.user(a['user']); c.pass_(a['password'])
            else: c._shortcmd('AUTH PLAIN ' + base64.b64encode(plain(a)).decode())
        finally:
            try: c.close()
            except Exception: pass
    else:
        s = smtplib.SMTP_SSL('127.0.0.1', port, source_address=(src, 0), context=ctx) if p == 'smtps' \
            else smtplib.SMTP('127.0.0.1', port, source_address=(src, 0))
        try:
            if p == 'smtp': s.starttls(context=ctx)
            s.ehlo(); s.user, s.password = a['user'], a['password']
            s.auth('PLAIN', s.auth_plain)  # one mechanism only: login() would retry with LOGIN
        finally:
            try: s.close()
            except Exception: pass
for a in json.loads(sys.stdin.read()):
    try:
        attempt(a); print(json.dumps({'ok': True, 'text': ''}))
    except Exception as e:
        print(json.dumps({'ok': False, 'text': str(e)}))
`;

/** Runs the attempts one after another (one Python process), in order. */
export async function attempts(list: Attempt[]): Promise<Outcome[]> {
  const r = await runPython(SCRIPT, [], { input: JSON.stringify(list), timeoutMs: 60_000 });
  const out = r.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Outcome);
  if (out.length !== list.length) throw new Error(`python client: ${r.stdout}\n${r.stderr}`);
  return out;
}

export async function attempt(a: Attempt): Promise<Outcome> {
  return (await attempts([a]))[0]!;
}

export const BOB = 'bob@example.test';
export const BOB_PW = 'bob-secret';

/** A temp folder with a directory file holding bob and alice (cheap scrypt: these tests make many checks). */
export async function directoryFolder(): Promise<{ path: string; file: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'mailstack-throttle-'));
  const file = join(path, 'directory.json');
  const dir = await openFileDirectory(file, { create: true, scrypt: { ln: 10, r: 8, p: 1 } });
  await dir.addDomain('example.test');
  await dir.addUser(BOB, BOB_PW);
  await dir.addUser('alice@example.test', 'alice-secret');
  await dir.close();
  return { path, file, remove: () => rm(path, { recursive: true, force: true }) };
}

export interface ThrottledServers {
  throttle: AuthThrottle;
  imapPort: number;
  pop3Port: number;
  close(): Promise<void>;
}

/** IMAP and POP3 in this process on a fresh directoryFolder (bob's mailbox made), sharing one throttle. */
export async function startThrottledServers(
  options: Parameters<typeof createAuthThrottle>[0],
): Promise<ThrottledServers> {
  const folder = await directoryFolder();
  const directory = await openFileDirectory(folder.file);
  const store = createMaildirStore({ root: `${folder.path}/mail` });
  await store.ensureUser(BOB);
  const throttle = createAuthThrottle(options);
  const common = {
    directory,
    store,
    hostname: 'mail.example.test',
    allowCleartextAuthOnLoopback: true,
    authThrottle: throttle,
  };
  const imap = createImapServer(common);
  const pop3 = createPop3Server(common);
  const imapPort = (await imap.listen(0, '127.0.0.1')).port;
  const pop3Port = (await pop3.listen(0, '127.0.0.1')).port;
  return {
    throttle,
    imapPort,
    pop3Port,
    close: async () => {
      await Promise.all([imap.close(), pop3.close()]);
      await directory.close();
      await folder.remove();
    },
  };
}
