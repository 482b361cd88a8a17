/**
 * The `mailstack` command as a real process (`node apps/stack/src/cli/main.ts`, what
 * `npx mailstack` runs): config errors exit 78 with the key path, `config print` round-trips,
 * `user add` works on a running stack and gives the special-use folders, each agent starts alone.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '@mailstack/core';
import { createMaildirStore } from '@mailstack/maildir';
import { type TempDir, tempDir } from '@mailstack/testkit';
import { ImapFlow } from 'imapflow';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RunningStack, startStack } from '../src/index.ts';
import { testConfig } from './test-config.ts';

const BIN = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function mailstack(args: string[], env: Record<string, string> = {}, input?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, MAILSTACK_CONFIG: '', MAILSTACK_DATA: '', ...env } },
      (err, stdout, stderr) => resolve({ code: err ? ((err.code as number) ?? null) : 0, stdout, stderr }),
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

let dir: TempDir;
beforeEach(async () => {
  dir = await tempDir('mailstack-cli-');
});
afterEach(() => dir.cleanup());

describe('mailstack config', () => {
  it('check exits 78 and names every problem with its key path', async () => {
    const file = join(dir.path, 'bad.yaml');
    await writeFile(
      file,
      'hostnme: mx.example.org\nlisteners:\n  - {agent: msa, port: 70000, tls: starttls}\n  - {agent: imap, port: 143, tls: starttls}\n  - {agent: pop3, port: 143, tls: starttls}\n',
    );
    const run = await mailstack(['config', 'check', '--config', file]);
    expect(run.code).toBe(78);
    expect(run.stderr).toBe(
      [
        `mailstack: config error in ${file}:`,
        '  listeners[0].port: port out of range (0-65535), got 70000',
        '  hostnme: unknown key; did you mean "hostname"?',
        '',
      ].join('\n'),
    );
    // The schema passes once fixed; the listener clash is next.
    await writeFile(
      file,
      'listeners:\n  - {agent: imap, port: 143, tls: starttls}\n  - {agent: pop3, port: 143, tls: starttls}\n',
    );
    const clash = await mailstack(['config', 'check'], { MAILSTACK_CONFIG: file });
    expect(clash.code).toBe(78);
    expect(clash.stderr).toBe(
      `mailstack: config error in ${file}: listeners[1]: 127.0.0.1:143 is already taken by listeners[0] (imap on 127.0.0.1:143)\n`,
    );
  });

  it('a certificate that does not exist stops start with 78', async () => {
    const file = join(dir.path, 'host.yaml');
    await writeFile(file, 'tls: {cert: cert.pem, key: key.pem}\n');
    const run = await mailstack(['start', '--config', file]);
    expect(run.code).toBe(78);
    expect(run.stderr).toContain(`tls.cert: file ${join(dir.path, 'cert.pem')} not found`);
  });

  it('print gives YAML that --config takes back unchanged', async () => {
    const file = join(dir.path, 'host.yaml');
    await writeFile(file, 'hostname: mx.example.org\ndomains: [example.org]\nqueue: {retry: [1m, 1h]}\n');
    const first = await mailstack(['config', 'print', '--config', file]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('hostname: mx.example.org\n');
    const printed = join(dir.path, 'printed.yaml');
    await writeFile(printed, first.stdout);
    const again = await mailstack(['config', 'print', '--config', printed]);
    expect(again.stdout).toBe(first.stdout);
    expect((await mailstack(['config', 'check', '--config', printed])).code).toBe(0);
  });

  it('every subcommand answers --help', async () => {
    const top = await mailstack(['--help']);
    const names = [...top.stdout.matchAll(/^ {2}([a-z0-9-]+) {2,}/gm)].map((m) => m[1] as string);
    expect(names).toEqual(
      expect.arrayContaining([
        'start',
        'msa',
        'mta',
        'mda',
        'imap',
        'pop3',
        'queue-runner',
        'web',
        'user',
        'queue',
        'config',
      ]),
    );
    for (const name of names) {
      const help = await mailstack([name, '--help']);
      expect(help.code, name).toBe(0);
      expect(help.stdout, name).toMatch(new RegExp(`^usage: mailstack ${name}`));
    }
    expect((await mailstack(['strat'])).stderr).toContain('did you mean "start"?');
  });
});

describe('mailstack user', () => {
  it('hashes new passwords at auth.scrypt of the config; a bad cost is a config error', async () => {
    const file = join(dir.path, 'mailstack.yaml');
    await writeFile(
      file,
      `paths: {data: ${JSON.stringify(dir.path)}}\nauth: {scrypt: {ln: 11, r: 4, p: 2}}\n`,
    );
    const hashOf = async () =>
      JSON.parse(await readFile(join(dir.path, 'directory.json'), 'utf8')).users['dan@example.test'].password;
    const add = await mailstack(['user', 'add', 'dan@example.test', '--password', 'pw', '--config', file]);
    expect(add).toMatchObject({ code: 0, stderr: '' });
    expect(await hashOf()).toMatch(/^\$scrypt\$ln=11,r=4,p=2\$/);
    await writeFile(file, `paths: {data: ${JSON.stringify(dir.path)}}\nauth: {scrypt: {ln: 12}}\n`);
    expect(
      (await mailstack(['user', 'passwd', 'dan@example.test', '--password', 'x', '--config', file])).code,
    ).toBe(0);
    expect(await hashOf()).toMatch(/^\$scrypt\$ln=12,r=8,p=1\$/);
    await writeFile(file, 'auth: {scrypt: {ln: 40}, cache: {ttl: 1}}\n');
    const bad = await mailstack(['config', 'check', '--config', file]);
    expect(bad.code).toBe(78);
    expect(bad.stderr).toContain('auth.scrypt.ln: expected 10-22');
    expect(bad.stderr).toContain('auth.cache.ttl:');
  });
});

describe('mailstack user and queue on a running stack', () => {
  let stack: RunningStack | undefined;
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });

  it('adds a user who logs in at once and has the special-use folders; lists the queue', async () => {
    stack = await startStack(testConfig(dir.path), silentLogger);
    const env = { MAILSTACK_DATA: dir.path };
    const added = await mailstack(
      ['user', 'add', 'carol@example.test', '--password-stdin'],
      env,
      'carol pw\n',
    );
    expect(added).toMatchObject({ code: 0, stderr: '' });
    expect((await mailstack(['user', 'list'], env)).stdout.split('\n').sort()).toEqual([
      '',
      'alice@example.test',
      'bob@example.test',
      'carol@example.test',
    ]);
    expect((await mailstack(['user', 'add', 'carol@example.test', '--password', 'x'], env)).code).toBe(65);
    // The Maildir with its special-use folders is there before carol's first login.
    const maildir = createMaildirStore({ root: stack.paths.mail }).userDir('carol@example.test');
    expect((await readdir(maildir)).filter((n) => n.startsWith('.')).sort()).toEqual([
      '.Archive',
      '.Drafts',
      '.Junk',
      '.Sent',
      '.Trash',
    ]);

    const imaps = stack.endpoints.find((e) => e.protocol === 'imaps (TLS)')!;
    const client = new ImapFlow({
      host: '127.0.0.1',
      port: imaps.port,
      secure: true,
      tls: { rejectUnauthorized: false },
      auth: { user: 'carol@example.test', pass: 'carol pw' },
      logger: false,
    });
    client.on('error', () => {});
    // The directory file is watched: wait for the running stack to see carol, bounded.
    let connected = false;
    for (let i = 0; i < 100 && !connected; i++) {
      connected = await client.connect().then(
        () => true,
        () => false,
      );
    }
    expect(connected).toBe(true);
    const specialUse = (await client.list()).map((f) => f.specialUse).filter(Boolean);
    await client.logout();
    expect(specialUse.sort()).toEqual(['\\Archive', '\\Drafts', '\\Inbox', '\\Junk', '\\Sent', '\\Trash']);

    const queue = await mailstack(['queue', 'list', '--json'], env);
    expect(queue).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(queue.stdout)).toEqual([]);
  });
});

describe('each agent alone', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  });

  it('start --dev runs the whole host from a config file, prints the banner and stops on SIGTERM', async () => {
    const file = join(dir.path, 'host.yaml');
    await writeFile(
      file,
      'paths: {data: state}\nlisteners:\n  - {agent: mda, port: 0}\n  - {agent: pop3, port: 0, tls: starttls}\n',
    );
    const child = spawn(process.execPath, [BIN, 'start', '--dev', '--config', file], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, MAILSTACK_DEMO_PASSWORD: 'demo pw', MAILSTACK_CONFIG: '', MAILSTACK_DATA: '' },
    });
    children.push(child);
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (c) => {
        out += c;
        if (out.includes('Ctrl-C stops the stack.')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`start exited ${code}: ${out}`)));
    });
    expect(out).toMatch(/ {2}pop3 {2}pop3 \(STLS\) +127\.0\.0\.1:\d+\n/);
    expect(out).toContain('  users     alice@example.test, bob@example.test\n');
    expect(out).toContain('  password  demo pw   (from MAILSTACK_DEMO_PASSWORD)\n');
    expect(out).toContain(`  config    ${file}\n`);
    expect(out).toContain(`  data      ${join(dir.path, 'state')}\n`);
    expect(out).toContain('  cleartext AUTH on loopback: on (development switch)\n');
    let err = '';
    child.stderr!.on('data', (c) => {
      err += c;
    });
    const exited = new Promise<string>((resolve) =>
      child.once('exit', (code, signal) => resolve(`${code ?? signal}: ${err}`)),
    );
    child.kill('SIGTERM');
    expect(await exited).toMatch(/^0: /);
  });

  it('web and imap start from one config file, print their listeners, log to log.file and stop on SIGTERM', async () => {
    const file = join(dir.path, 'host.yaml');
    await writeFile(
      file,
      'paths: {data: state}\nlog: {file: logs/agents.log}\nlisteners:\n  - {agent: imap, port: 0, tls: starttls}\n  - {agent: web, port: 0}\n',
    );
    let stderr = '';
    for (const agent of ['web', 'imap']) {
      const child = spawn(process.execPath, [BIN, agent, '--config', file], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      child.stderr!.on('data', (c) => {
        stderr += c;
      });
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout! }).once('line', resolve);
        child.once('exit', (code) => reject(new Error(`${agent} exited ${code}`)));
      });
      const listening = JSON.parse(line) as { agent: string; port: number; protocol: string };
      expect(listening).toMatchObject({ event: 'listening', agent, host: '127.0.0.1' });
      if (agent === 'web') {
        const status = await new Promise<number>((resolve, reject) => {
          request({ host: '127.0.0.1', port: listening.port, path: '/healthz' }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          })
            .on('error', reject)
            .end();
        });
        expect(status).toBe(200);
      } else {
        expect(listening.protocol).toBe('imap (STARTTLS)');
      }
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
    // The agents' log lines went to the file (its folder made on first start), not to stderr.
    const log = (await readFile(join(dir.path, 'logs', 'agents.log'), 'utf8')).trim().split('\n');
    const events = log.map((l) => JSON.parse(l) as { event: string; agent: string });
    expect(events.filter((e) => e.event === 'agent-started').map((e) => e.agent)).toEqual(['web', 'imap']);
    expect(stderr).not.toContain('agent-started');
    // Every line names its process once and its agent at most once (JSON keeps only one of two).
    for (const line of log) {
      const topLevel = line.replace(/\[[^\]]*\]/g, '[]'); // nested lists (endpoints) aside
      expect(topLevel.match(/"agent":/g)?.length ?? 0, line).toBeLessThanOrEqual(1);
      expect(JSON.parse(line).process, line).toMatch(/^(web|imap)$/);
    }
  });
});
