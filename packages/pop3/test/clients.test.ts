import { createHash } from 'node:crypto';
import { runPython } from '@mailstack/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { ALICE, type Harness, message, startHarness, testCertificate, USERS } from './fixtures.ts';

/** Python's poplib through a whole session; prints one JSON object. */
const SESSION = `
import hashlib, json, poplib, ssl, sys
port, mode, user, pw = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
p = poplib.POP3_SSL('127.0.0.1', port, context=ctx) if mode == 'ssl' else poplib.POP3('127.0.0.1', port)
out = {'welcome': p.getwelcome().decode()}
if mode == 'stls':
    out['capa_before'] = sorted(p.capa().keys())
    p.stls(context=ctx)
out['capa'] = sorted(p.capa().keys())
p.user(user)
p.pass_(pw)
out['stat'] = list(p.stat())
out['list'] = [l.decode() for l in p.list()[1]]
out['uidl'] = [l.decode() for l in p.uidl()[1]]
out['uidl1'] = p.uidl(1).decode()
out['retr'] = []
for i in range(1, out['stat'][0] + 1):
    resp, lines, octets = p.retr(i)
    data = b'\\r\\n'.join(lines) + b'\\r\\n'
    out['retr'].append({'resp': resp.decode(), 'sha': hashlib.sha256(data).hexdigest(), 'octets': octets})
out['top'] = [l.decode('utf-8') for l in p.top(2, 1)[1]]
p.dele(1)
out['stat_after_dele'] = list(p.stat())
p.rset()
out['stat_after_rset'] = list(p.stat())
p.dele(1)
out['quit'] = p.quit().decode()
print(json.dumps(out))
`;

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

const DOTS = message(1, '.starts with a dot\r\n..two\r\n.\r\nend\r\n');
const EIGHT_BIT = message(2, 'Grüße aus Köln — 8-bit body\r\nzweite Zeile\r\n').replace(
  '\r\n\r\n',
  '\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n',
);
const LINE = `${'0123456789'.repeat(7)}\r\n`;
const LARGE = message(3, LINE.repeat(Math.ceil((5 * 1024 * 1024) / LINE.length)));
const MESSAGES = [DOTS, EIGHT_BIT, LARGE];

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function session(mode: 'plain' | 'stls' | 'ssl') {
  for (const m of MESSAGES) await h!.deliver(m);
  const r = await runPython(SESSION, [h!.port, mode, ALICE, USERS[ALICE]], { timeoutMs: 60_000 });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as {
    welcome: string;
    capa_before?: string[];
    capa: string[];
    stat: [number, number];
    list: string[];
    uidl: string[];
    uidl1: string;
    retr: Array<{ resp: string; sha: string; octets: number }>;
    top: string[];
    stat_after_dele: [number, number];
    stat_after_rset: [number, number];
    quit: string;
  };
}

function expectMailbox(out: Awaited<ReturnType<typeof session>>) {
  const sizes = MESSAGES.map((m) => Buffer.byteLength(m));
  expect(out.stat).toEqual([3, sizes.reduce((a, b) => a + b, 0)]);
  expect(out.list).toEqual(sizes.map((s, i) => `${i + 1} ${s}`));
  expect(out.uidl).toHaveLength(3);
  expect(out.uidl1).toBe(`+OK ${out.uidl[0]}`);
  expect(out.retr.map((r) => r.sha)).toEqual(MESSAGES.map(sha));
  expect(out.retr.map((r) => r.resp)).toEqual(sizes.map((s) => `+OK ${s} octets`));
  expect(out.top.at(-2)).toBe('');
  expect(out.top.at(-1)).toBe('Grüße aus Köln — 8-bit body');
  expect(out.stat_after_dele).toEqual([2, sizes[1]! + sizes[2]!]);
  expect(out.stat_after_rset).toEqual(out.stat);
  expect(out.quit).toMatch(/^\+OK bye \(1 messages deleted\)/);
}

async function remainingUids(): Promise<number> {
  const inbox = await h!.store.openFolder(ALICE, 'INBOX');
  const n = inbox.messages().length;
  await inbox.close();
  return n;
}

describe("Python's poplib", () => {
  it('USER/PASS on loopback with the development switch: stat, list, uidl, retr, top, dele, rset, quit', async () => {
    h = await startHarness({ allowCleartextAuthOnLoopback: true });
    const out = await session('plain');
    expect(out.welcome).toMatch(/^\+OK pop\.example\.test/);
    expect(out.capa).toEqual(
      expect.arrayContaining(['TOP', 'UIDL', 'USER', 'SASL', 'RESP-CODES', 'PIPELINING', 'IMPLEMENTATION']),
    );
    expectMailbox(out);
    expect(await remainingUids()).toBe(2);
  });

  it('STLS first, then USER/PASS (cleartext login refused before it)', async () => {
    const tls = await testCertificate();
    h = await startHarness({ tls, allowCleartextAuthOnLoopback: false });
    const out = await session('stls');
    expect(out.capa_before).toContain('STLS');
    expect(out.capa_before).not.toContain('USER');
    expect(out.capa).toContain('USER');
    expect(out.capa).not.toContain('STLS');
    expectMailbox(out);
  });

  it('POP3_SSL against the implicit-TLS listener', async () => {
    const tls = await testCertificate();
    h = await startHarness({ tls, implicitTls: true, allowCleartextAuthOnLoopback: false });
    const out = await session('ssl');
    expect(out.capa).toContain('USER');
    expect(out.capa).not.toContain('STLS');
    expectMailbox(out);
    expect(await remainingUids()).toBe(2);
  });
});
