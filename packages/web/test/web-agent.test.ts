import { mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { createHostMetrics, parseExposition, sampleValue } from '@mailstack/metrics';
import { runPython, type TempDir, tempDir } from '@mailstack/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createWebServer,
  folderReady,
  listenerReady,
  listenersReady,
  socketReady,
  startWebAgent,
  type WebAgent,
} from '../src/index.ts';
import { freePort, HOST } from './fixtures.ts';

let dir: TempDir;
let web: WebAgent | undefined;
let agentPort: Server | undefined;
beforeEach(async () => {
  dir = await tempDir('mailstack-web-');
});
afterEach(async () => {
  await web?.close();
  web = undefined;
  await new Promise((resolve) => (agentPort ? agentPort.close(resolve) : resolve(undefined)));
  agentPort = undefined;
  await dir.cleanup();
});

const url = (path: string) => `http://127.0.0.1:${web?.port}${path}`;

describe('web agent', () => {
  it('answers /healthz with 200 while the process is up', async () => {
    web = await startWebAgent({ port: 0, mailHost: HOST });
    const res = await fetch(url('/healthz'));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz with 503 naming what is not ready, then 200 once it is', async () => {
    const imapPort = await freePort();
    const spool = join(dir.path, 'spool');
    web = await startWebAgent({
      port: 0,
      mailHost: HOST,
      readiness: [
        listenerReady('imap', imapPort),
        folderReady('spool', spool),
        folderReady('store', dir.path),
      ],
    });
    const before = await fetch(url('/readyz'));
    expect(before.status).toBe(503);
    expect(await before.json()).toEqual({ status: 'not ready', notReady: ['imap', 'spool'] });

    agentPort = createServer((s) => s.destroy());
    await new Promise<void>((resolve) => agentPort?.listen(imapPort, '127.0.0.1', resolve));
    await mkdir(spool);
    const after = await fetch(url('/readyz'));
    expect(after.status).toBe(200);
    expect(await after.json()).toEqual({ status: 'ready' });
  });

  it('probes a unix socket listener at its path', async () => {
    const path = join(dir.path, 'lmtp.sock');
    const check = socketReady('mda', path);
    expect(await check.check()).toBe(false);
    agentPort = createServer((s) => s.destroy());
    await new Promise<void>((resolve) => agentPort?.listen(path, resolve));
    expect(await check.check()).toBe(true);
  });

  it('serves /metrics in the Prometheus text format with what agents counted', async () => {
    const metrics = createHostMetrics();
    metrics.count('auth_failures', { protocol: 'imap' });
    metrics.trackListener({ agent: 'imap', protocol: 'imap', port: 2143 }, { connections: 3 });
    web = await startWebAgent({ port: 0, mailHost: HOST, metrics });
    const res = await fetch(url('/metrics'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const samples = parseExposition(await res.text());
    expect(sampleValue(samples, 'mailstack_auth_failures_total', { protocol: 'imap' })).toBe(1);
    expect(sampleValue(samples, 'mailstack_connections', { agent: 'imap', port: '2143' })).toBe(3);
  });

  it('serves the Thunderbird autoconfig file on both paths, implicit TLS first', async () => {
    web = await startWebAgent({ port: 0, mailHost: HOST });
    const wellKnown = await fetch(url('/.well-known/autoconfig/mail/config-v1.1.xml'));
    expect(wellKnown.status).toBe(200);
    expect(wellKnown.headers.get('content-type')).toBe('application/xml; charset=utf-8');
    const xml = await wellKnown.text();
    const byAddress = await fetch(url('/mail/config-v1.1.xml?emailaddress=alice%40example.test'));
    expect(byAddress.status).toBe(200);
    expect(await byAddress.text()).toBe(xml);

    // A strict XML parser reads it back: every server with its host, port, TLS and user name.
    const parsed = await runPython(
      [
        'import sys, xml.etree.ElementTree as ET',
        'root = ET.fromstring(sys.stdin.read())',
        'p = root.find("emailProvider")',
        'print(root.get("version"), p.get("id"), p.findtext("domain"))',
        'for s in list(p.findall("incomingServer")) + list(p.findall("outgoingServer")):',
        '    print(s.tag, s.get("type"), s.findtext("hostname"), s.findtext("port"), s.findtext("socketType"), s.findtext("username"), s.findtext("authentication"))',
      ].join('\n'),
      [],
      { input: xml },
    );
    expect(parsed.stderr).toBe('');
    expect(parsed.stdout.trim().split('\n')).toEqual([
      '1.1 example.test example.test',
      'incomingServer imap mail.example.test 993 SSL %EMAILADDRESS% password-cleartext',
      'incomingServer imap mail.example.test 143 STARTTLS %EMAILADDRESS% password-cleartext',
      'incomingServer pop3 mail.example.test 995 SSL %EMAILADDRESS% password-cleartext',
      'incomingServer pop3 mail.example.test 110 STARTTLS %EMAILADDRESS% password-cleartext',
      'outgoingServer smtp mail.example.test 465 SSL %EMAILADDRESS% password-cleartext',
      'outgoingServer smtp mail.example.test 587 STARTTLS %EMAILADDRESS% password-cleartext',
    ]);
  });

  it('answers 404 for other paths, 405 for other methods, and HEAD without a body', async () => {
    web = await startWebAgent({ port: 0, mailHost: HOST });
    expect((await fetch(url('/nothing'))).status).toBe(404);
    // /metrics exists only when the agent is given metrics.
    expect((await fetch(url('/metrics'))).status).toBe(404);
    const post = await fetch(url('/healthz'), { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    const head = await fetch(url('/healthz'), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('refuses to start on a port already taken, and close() frees its port', async () => {
    web = await startWebAgent({ port: 0, mailHost: HOST });
    await expect(startWebAgent({ port: web.port, mailHost: HOST })).rejects.toThrow(/EADDRINUSE/);
    const { port } = web;
    await web.close();
    web = await startWebAgent({ port, mailHost: HOST });
    expect(web.port).toBe(port);
  });

  it("is also a listener like the other agents' (listen/close/connections) for the stack's wiring", async () => {
    const server = createWebServer({ mailHost: HOST });
    const { port, host } = await server.listen(0);
    expect(host).toBe('127.0.0.1');
    expect(server.connections).toBe(0);
    const res = await fetch(`http://127.0.0.1:${port}/healthz`, { headers: { connection: 'keep-alive' } });
    expect(res.status).toBe(200);
    expect(server.connections).toBe(1);
    await server.close();
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });

  it('probes one listener per agent from the config, never an implicit-TLS port when another exists', async () => {
    const [plain, tls, lmtp] = [await freePort(), await freePort(), await freePort()];
    const checks = listenersReady([
      { agent: 'msa', address: '0.0.0.0', port: tls, tls: 'implicit' },
      { agent: 'msa', address: '0.0.0.0', port: plain, tls: 'starttls' },
      { agent: 'mda', address: '127.0.0.1', port: lmtp, tls: 'none' },
      { agent: 'web', address: '127.0.0.1', port: 1, tls: 'none' },
    ]);
    expect(checks.map((c) => c.name)).toEqual(['msa', 'mda']);
    web = await startWebAgent({ port: 0, mailHost: HOST, readiness: checks });
    // Only the implicit-TLS port of the MSA listens: not enough, the probe is the STARTTLS one.
    agentPort = createServer((s) => s.destroy());
    await new Promise<void>((resolve) => agentPort?.listen(tls, '127.0.0.1', resolve));
    expect(await (await fetch(url('/readyz'))).json()).toEqual({
      status: 'not ready',
      notReady: ['msa', 'mda'],
    });
    await new Promise((resolve) => agentPort?.close(resolve));
    agentPort = createServer((s) => s.destroy());
    await new Promise<void>((resolve) => agentPort?.listen(plain, '127.0.0.1', resolve));
    expect(await (await fetch(url('/readyz'))).json()).toEqual({ status: 'not ready', notReady: ['mda'] });
  });
});
