import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { ok, readAll } from '@mailstack/core';
import { smtpTranscript } from '@mailstack/testkit';
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createSmtpListener, type SmtpListener, type SmtpListenerOptions } from '../src/index.ts';

const listeners: SmtpListener[] = [];
afterEach(async () => {
  await Promise.all(listeners.splice(0).map((l) => l.close()));
});

async function start(options: Partial<SmtpListenerOptions> = {}): Promise<number> {
  const listener = createSmtpListener({
    name: 'mx.example.test',
    closeTimeoutMs: 200,
    dsn: true,
    handlers: {
      async onData(message) {
        await readAll(message.stream);
        return ok('Queued');
      },
    },
    ...options,
  });
  listeners.push(listener);
  const address = await listener.listen(0, '127.0.0.1');
  if (!('port' in address)) throw new Error('expected TCP');
  return address.port;
}

const plain = (user: string, pass: string) => Buffer.from(`\0${user}\0${pass}`).toString('base64');

describe('the smtp-server seams ListenerConnection relies on', () => {
  it('dispatches handler_<VERB> methods and has the handlers that are wrapped', async () => {
    const proto = SMTPConnection.prototype as unknown as Record<string, unknown>;
    for (const m of [
      '_getHandler',
      '_parseAddressCommand',
      'handler_MAIL',
      'handler_RCPT',
      'handler_AUTH',
      'handler_EHLO',
    ])
      expect(typeof proto[m], m).toBe('function');
    const source = await readFile(
      createRequire(import.meta.url).resolve('smtp-server/lib/smtp-connection.js'),
      'utf8',
    );
    // _getHandler looks up 'handler_' + verb, so handler_EXPN/TURN/ETRN are found
    expect(source).toContain("this['handler_' + command]");
    // EHLO reads the AUTH mechanisms from the server options at the time of the call
    expect(source).toMatch(/features\.push\(\['AUTH'\]\.concat\(this\._server\.options\.authMethods\)/);
  });
});

describe('RFC 5321 4.1 command set', () => {
  it('answers HELP, NOOP, RSET, VRFY, EXPN, TURN and ETRN with RFC codes and enhanced codes', async () => {
    const port = await start();
    await smtpTranscript(port, '127.0.0.1', [
      { expect: /^220 mx\.example\.test ESMTP/ },
      { send: 'HELP', expect: /^214-2\.0\.0 Commands: .*VRFY.*\n214 2\.0\.0 /s },
      { send: 'HELP mail', expect: /^214 2\.0\.0 MAIL FROM:<address>/ },
      { send: 'HELP FROBNICATE', expect: /^214 2\.0\.0 No help for FROBNICATE/ },
      { send: 'EHLO client.example.test', expect: /^250-mx\.example\.test/ },
      { send: 'NOOP', expect: /^250 2\.0\.0/ },
      { send: 'VRFY alice@example.test', expect: /^252 2\.5\.0 / },
      { send: 'VRFY', expect: /^501 5\.5\.4 / },
      { send: 'EXPN staff@example.test', expect: /^502 5\.5\.1 / },
      { send: 'TURN', expect: /^502 5\.5\.1 / },
      { send: 'ETRN example.test', expect: /^502 5\.5\.1 / },
      { send: 'RSET', expect: /^250 2\.0\.0/ },
      { send: 'QUIT', expect: /^221 2\.0\.0/, expectClose: true },
    ]);
  });

  it('gives every sequence and syntax error its code and goes on with the session', async () => {
    const port = await start({ maxProtocolErrors: 50 });
    await smtpTranscript(port, '127.0.0.1', [
      { expect: '220' },
      { send: 'MAIL FROM:<a@example.test>', expect: /^503 5\.5\.1 / },
      { send: 'EHLO', expect: /^501 5\.5\.4 / },
      { send: 'HELO one two', expect: /^501 5\.5\.4 / },
      { send: 'EHLO client.example.test', expect: /^250-/ },
      { send: 'FROBNICATE', expect: /^500 5\.5\.2 / },
      { send: 'RCPT TO:<b@example.test>', expect: /^503 5\.5\.1 / },
      { send: 'DATA', expect: /^503 5\.5\.1 / },
      { send: 'MAIL FROM:a@example.test', expect: /^501 5\.1\.7 / },
      { send: 'MAIL FROM:<a@example.test> FROB=1', expect: /^555 5\.5\.4 MAIL parameter FROB/ },
      { send: 'MAIL FROM:<a@example.test> REQUIRETLS', expect: /^555 5\.5\.4 / },
      { send: 'MAIL FROM:<a@example.test> SIZE=abc', expect: /^501 5\.5\.4 / },
      { send: 'MAIL FROM:<a@example.test> BODY=BINARYMIME', expect: /^501 5\.5\.4 / },
      { send: 'MAIL FROM:<jöran@example.test>', expect: /^553 5\.6\.7 / },
      { send: 'MAIL FROM:<a@example.test> RET=HDRS ENVID=abc', expect: /^250 2\.1\.0/ },
      { send: 'MAIL FROM:<a@example.test>', expect: /^503 5\.5\.1 / },
      { send: 'RCPT TO:<b@example.test> FROB=1', expect: /^555 5\.5\.4 RCPT parameter FROB/ },
      { send: 'RCPT TO:<b@example.test> NOTIFY=BOGUS', expect: /^501 5\.5\.4 / },
      { send: 'RCPT TO:<jöran@example.test>', expect: /^553 5\.6\.7 / },
      { send: 'RCPT TO:b@example.test', expect: /^501 5\.1\.3 / },
      {
        send: 'RCPT TO:<b@example.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b@example.test',
        expect: /^250 2\.1\.5/,
      },
      { send: 'AUTH PLAIN', expect: /^500 5\.5\.2 / },
      { send: 'STARTTLS', expect: /^500 5\.5\.2 / },
      { send: 'DATA', expect: /^354/ },
      { send: 'Subject: x\r\n\r\nhi\r\n.', expect: /^250 2\.0\.0 Queued/ },
      { send: 'QUIT', expect: '221', expectClose: true },
    ]);
  });

  it('accepts a UTF-8 address with SMTPUTF8', async () => {
    const port = await start();
    await smtpTranscript(port, '127.0.0.1', [
      { expect: '220' },
      { send: 'EHLO client.example.test', expect: /SMTPUTF8/ },
      { send: 'MAIL FROM:<jöran@exämple.test> SMTPUTF8', expect: /^250 2\.1\.0/ },
      { send: 'RCPT TO:<ünï@exämple.test>', expect: /^250 2\.1\.5/ },
    ]);
  });

  it('closes a client that floods errors and keeps serving the others', async () => {
    const port = await start({ maxProtocolErrors: 3 });
    const bystander = smtpTranscript(port, '127.0.0.1', [
      { expect: '220' },
      { send: 'EHLO calm.example.test', expect: /^250-/ },
    ]);
    await smtpTranscript(port, '127.0.0.1', [
      { expect: '220' },
      { send: 'BAD1', expect: '500' },
      { send: 'BAD2', expect: '500' },
      { send: 'BAD3', expectLines: 2, expect: /^500 5\.5\.2 .*\n421 4\.7\.0 /s, expectClose: true },
    ]);
    await bystander;
    await smtpTranscript(port, '127.0.0.1', [{ expect: '220' }, { send: 'NOOP', expect: /^250 2\.0\.0/ }]);
  });

  it('answers ETRN for trusted clients only', async () => {
    const nodes: string[] = [];
    const etrn = {
      trusted: (ip: string) => ip === '127.0.0.1',
      async start(node: string) {
        nodes.push(node);
        return { code: 250, enhanced: '2.0.0', text: `Queuing for node ${node} started` };
      },
    };
    const port = await start({ commands: { etrn } });
    await smtpTranscript(port, '127.0.0.1', [
      { expect: '220' },
      { send: 'EHLO client.example.test', expect: '250' },
      { send: 'ETRN', expect: /^501 5\.5\.4/ },
      { send: 'ETRN example.test', expect: /^250 2\.0\.0 Queuing for node example\.test started/ },
    ]);
    expect(nodes).toEqual(['example.test']);
    const untrusted = await start({ commands: { etrn: { ...etrn, trusted: () => false } } });
    await smtpTranscript(untrusted, '127.0.0.1', [
      { expect: '220' },
      { send: 'EHLO client.example.test', expect: '250' },
      { send: 'ETRN example.test', expect: /^458 4\.7\.0 / },
    ]);
    expect(nodes).toHaveLength(1);
  });
});

describe('AUTH and the TLS rule', () => {
  const users: Record<string, string> = { 'alice@example.test': 'secret' };
  const auth = {
    async authenticate(c: { username: string; password: string }) {
      return users[c.username] === c.password ? c.username : null;
    },
  };

  it('neither offers nor accepts AUTH in cleartext, and requires it before MAIL', async () => {
    const port = await start({ auth });
    const { replies } = await smtpTranscript(port, '127.0.0.1', [
      { expect: '220' },
      { send: 'EHLO client.example.test', expect: '250' },
      { send: `AUTH PLAIN ${plain('alice@example.test', 'secret')}`, expect: /^538 5\.7\.11 / },
      { send: 'MAIL FROM:<alice@example.test>', expect: /^530 5\.7\.0 / },
    ]);
    expect(replies[1]).not.toMatch(/AUTH/);
  });

  it('answers VRFY and EXPN for real only once authenticated (cleartext allowed by the switch)', async () => {
    const port = await start({
      auth: { ...auth, allowCleartext: (ip) => ip === '127.0.0.1' },
      commands: {
        async verify(query) {
          return query === 'alice@example.test'
            ? { code: 250, enhanced: '2.1.5', text: '<alice@example.test>' }
            : { code: 550, enhanced: '5.1.1', text: 'No such user' };
        },
        async expand(list) {
          return list === 'staff@example.test' ? ['alice@example.test', 'bob@example.test'] : null;
        },
      },
    });
    await smtpTranscript(port, '127.0.0.1', [
      { expect: '220' },
      { send: 'EHLO client.example.test', expect: /AUTH PLAIN LOGIN/ },
      { send: 'VRFY alice@example.test', expect: /^252 2\.5\.0 / },
      { send: 'EXPN staff@example.test', expect: /^502 5\.5\.1 / },
      { send: `AUTH PLAIN ${plain('alice@example.test', 'wrong')}`, expect: /^535 5\.7\.8 / },
      {
        send: `AUTH PLAIN ${Buffer.from('bob@example.test\0alice@example.test\0secret').toString('base64')}`,
        expect: /^535 5\.7\.8 Authorization identity/,
      },
      { send: `AUTH PLAIN ${plain('alice@example.test', 'secret')}`, expect: /^235 2\.7\.0/ },
      { send: 'VRFY alice@example.test', expect: /^250 2\.1\.5 <alice@example\.test>/ },
      { send: 'VRFY nobody@example.test', expect: /^550 5\.1\.1 / },
      {
        send: 'EXPN staff@example.test',
        expect: /^250-2\.1\.5 <alice@example\.test>\n250 2\.1\.5 <bob@example\.test>$/,
      },
      { send: 'EXPN alice@example.test', expect: /^550 5\.1\.1 / },
      { send: 'MAIL FROM:<alice@example.test> AUTH=<>', expect: /^250 2\.1\.0/ },
    ]);
  });
});
