import { loadConfig } from '@mailstack/config';
import { describe, expect, it } from 'vitest';
import { run } from '../../src/cli/commands/client-config.ts';
import { publishedHostOf } from '../../src/cli/published-host.ts';
import { captureIo } from './capture-io.ts';

const defaults = () => publishedHostOf(loadConfig({ env: {}, cwd: '/nowhere' }));

describe('mailstack client-config', () => {
  it('prints the configured host, ports and TLS modes with the full address as user name', async () => {
    const io = captureIo();
    expect(await run(['alice@example.test'], io, defaults())).toBe(0);
    expect(io.out()).toContain('User name: alice@example.test');
    expect(io.out()).toMatch(/Incoming IMAP +mail\.example\.test {2}port 2993 +SSL\/TLS/);
    expect(io.out()).toMatch(/Incoming POP3 +mail\.example\.test {2}port 2995 +SSL\/TLS/);
    expect(io.out()).toMatch(/Outgoing SMTP +mail\.example\.test {2}port 2465 +SSL\/TLS/);
    for (const client of ['Thunderbird:', 'Apple Mail:', 'Outlook:']) expect(io.out()).toContain(client);
  });

  it('reads the host from the config it is given', async () => {
    const config = { ...defaults(), hostname: 'imap.other.test', domain: 'other.test' };
    const io = captureIo();
    await run([], io, config);
    expect(io.out()).toContain('User name: you@other.test');
    expect(io.out()).toMatch(/Incoming IMAP +imap\.other\.test {2}port 2993/);
  });

  it('prints the autoconfig XML with --xml', async () => {
    const io = captureIo();
    expect(await run(['--xml'], io, defaults())).toBe(0);
    expect(io.out()).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n<clientConfig version="1\.1">/);
    expect(io.out()).toContain('<port>2993</port>');
  });

  it('answers --help, and 64 for a bad address', async () => {
    const help = captureIo();
    expect(await run(['-h'], help, defaults())).toBe(0);
    expect(help.out()).toMatch(/^usage: mailstack client-config/);
    const bad = captureIo();
    expect(await run(['not-an-address'], bad, defaults())).toBe(64);
    expect(bad.err()).toContain('expected at most one mail address');
  });
});
