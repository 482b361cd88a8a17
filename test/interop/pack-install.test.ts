/**
 * Issue 13: the packages as another project gets them. Builds every workspace once
 * (`npm run build`), packs each publishable one (`npm pack`), installs the tarballs into a new
 * project under os.tmpdir() (third-party dependencies from the npm cache or registry) and
 * there, outside the repository and without the `@mailstack/source` condition:
 * - runs the first ```js example of each package's README with plain `node`, on Node 24 (the
 *   repo's) and on Node 22 (the `node@22` npm package, installed next to it; failing to get
 *   it fails the test);
 * - typechecks a TypeScript consumer against the installed declarations (NodeNext, strict);
 * - runs the installed bins (`mailstack`, `mailstack-queue`, `mailstack-directory`);
 * - runs `mailstack start` from them on first start (the self-signed certificate is made then,
 *   and Debian's openssl must parse and verify it) and reads the IMAPS greeting over TLS.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { connect } from 'node:tls';
import { freePort } from '@mailstack/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { type RunOptions, type RunResult, run, runOk } from '../helpers/run.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const MINUTES = 60_000;

/** What each README example prints (it must also exit 0 by itself), on stdout or stderr. */
const EXPECTED: Record<string, RegExp> = {
  '@mailstack/agent-process': /^this process gone\? false\npid 1 of another boot gone\? true$/m,
  '@mailstack/config': /^mail\.example\.test mta:2525 msa:2587 /m,
  '@mailstack/core': /^alice@example\.test 250 stored \d+ bytes\nnobody@example\.test 550 No such user$/m,
  '@mailstack/directory': /'postmaster@example\.test'[\s\S]*\nnull\n[\s\S]*detail: 'x'/,
  '@mailstack/imap': /^a1 OK \[CAPABILITY IMAP4rev1 [^\]]*\] logged in$/m,
  '@mailstack/line-server': /^echoed hello$/m,
  '@mailstack/log':
    /^\{"level":"info",[^\n]*"agent":"mda","queueId":"01M83TV62DCHFWXV430SP2Q4K1","event":"delivered"/m,
  '@mailstack/maildir': /^INBOX 1 hello 1$/m,
  '@mailstack/mda': /^\[ 'alice@example\.test 250' \]\n220 \S+ LMTP/m,
  '@mailstack/metrics': /^text\/plain 1 1 2$/m,
  '@mailstack/msa': /^\[ '250-STARTTLS' \]$/m,
  '@mailstack/mta': /^220 mx\.example\.test ESMTP\n250 2\.1\.0 [^\n]*\n554 5\.7\.1 Relay access denied/m,
  '@mailstack/pop3': /^\+OK localhost POP3 ready\n\+OK 1 \d+$/m,
  '@mailstack/queue': /^queued as \w+\n[\s\S]*event failed nobody@example\.test\nMail queue is empty/m,
  '@mailstack/spool-postgres': /^queued as \w+\nleased \w+ Subject: hello\nleft in the spool: 0$/m,
  '@mailstack/smtp': /^220 \S+ LMTP[^\n]* \/ 250-/m,
  '@mailstack/stack':
    /^mda lmtp 127\.0\.0\.1:\d+\n[\s\S]*^msa submissions \(TLS\) 127\.0\.0\.1:\d+\n[\s\S]*^web http /m,
  '@mailstack/web': /^503 \{"status":"not ready","notReady":\["imap"\]\}\n[\s\S]*^200 application\/xml/m,
};

/** A TypeScript project using several packages; the @ts-expect-error lines fail if types went `any`. */
const CONSUMER_TS = `import { BOOT_TAG, processGone } from '@mailstack/agent-process';
import { loadConfig } from '@mailstack/config';
import { bufferBlob, type DeliveryTarget, type Envelope, SmtpError } from '@mailstack/core';
import { openFileDirectory } from '@mailstack/directory';
import { createImapServer } from '@mailstack/imap';
import { createLogger } from '@mailstack/log';
import { createMaildirStore } from '@mailstack/maildir';
import { createLmtpServer, deliver } from '@mailstack/mda';
import { createHostMetrics } from '@mailstack/metrics';
import { createSubmissionServer } from '@mailstack/msa';
import { createInboundServer } from '@mailstack/mta';
import { createPop3Server } from '@mailstack/pop3';
import { openFileSpool, startQueueRunner } from '@mailstack/queue';
import { openPostgresSpool } from '@mailstack/spool-postgres';
import { createSmtpListener } from '@mailstack/smtp';
import { startStack } from '@mailstack/stack';
import { mailHostFromListeners, startWebAgent } from '@mailstack/web';

const refuse: DeliveryTarget = {
  async deliver(envelope) {
    return envelope.rcptTo.map((r) => ({ recipient: r.address, reply: new SmtpError(550, '5.1.1', 'no').reply }));
  },
};

export async function wire(root: string, tls: { key: string; cert: string }): Promise<number[]> {
  const envelope: Envelope = { mailFrom: '', rcptTo: [{ address: 'a@example.test' }], params: {} };
  const directory = await openFileDirectory(\`\${root}/directory.json\`, { create: true });
  const store = createMaildirStore({ root: \`\${root}/mail\` });
  const spool = await openFileSpool(\`\${root}/spool\`, { metrics: createHostMetrics() });
  const results = await deliver(envelope, bufferBlob('Subject: x\\r\\n\\r\\n'), { directory, store });
  const code: number = results[0]?.reply.code ?? 0;
  const runner = startQueueRunner({ spool, target: refuse });
  await runner.stop();
  const servers = [
    createImapServer({ directory, store, hostname: 'h' }),
    createPop3Server({ directory, store, hostname: 'h' }),
    createLmtpServer({ directory, store }),
    createSubmissionServer({ directory, spool, tls, implicitTls: true, hostname: 'h' }),
    createInboundServer({ directory, spool, hostname: 'h' }),
    createSmtpListener({ protocol: 'smtp', handlers: { onData: async () => [] } }),
  ];
  const ports: number[] = [code];
  for (const s of servers) {
    const address = await s.listen(0, '127.0.0.1');
    if ('port' in address) ports.push(address.port);
    await s.close();
  }
  // @ts-expect-error hostname is a string
  createPop3Server({ directory, store, hostname: 1 });
  // @ts-expect-error a Maildir store needs its root
  createMaildirStore({});
  const stack = await startStack(loadConfig({ env: {} }), createLogger({ level: 'warn' }));
  await stack.close();
  const web = await startWebAgent({ port: 0, mailHost: mailHostFromListeners('h', 'd', []) });
  await web.close();
  const pg = await openPostgresSpool({ url: 'postgresql://localhost/x', schema: 's' });
  const queued: string = await pg.enqueue(envelope, bufferBlob('x'));
  if (queued === '') await pg.close();
  const gone: boolean = processGone(BOOT_TAG, process.pid, 0);
  // @ts-expect-error the pid is a number
  processGone(BOOT_TAG, 'x', 0);
  if (gone) ports.push(0);
  return ports;
}
`;

interface Workspace {
  name: string;
  dir: string;
  private: boolean;
}

async function workspaces(): Promise<Workspace[]> {
  const root = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { workspaces: string[] };
  const out: Workspace[] = [];
  for (const pattern of root.workspaces) {
    const parent = join(ROOT, pattern.replace(/\/\*$/, ''));
    for (const entry of (await readdir(parent, { withFileTypes: true })).filter((e) => e.isDirectory())) {
      const dir = join(parent, entry.name);
      const manifest = await readFile(join(dir, 'package.json'), 'utf8').catch(() => null);
      if (manifest === null) continue;
      const pkg = JSON.parse(manifest) as { name: string; private?: boolean };
      out.push({ name: pkg.name, dir, private: pkg.private === true });
    }
  }
  return out;
}

/**
 * The environment of a project that is not this repository: no NODE_OPTIONS (it carries the
 * @mailstack/source condition in here), no npm_* variables of the `npm run` that started the
 * tests, and the given Node first on PATH.
 */
function outsideEnv(node: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k === 'NODE_OPTIONS' || k === 'INIT_CWD' || /^npm_/i.test(k)) continue;
    env[k] = v;
  }
  const path = (process.env.PATH ?? '').split(delimiter).filter((p) => p !== '' && !p.startsWith(ROOT));
  env.PATH = [dirname(node), ...path].join(delimiter);
  // The spool-postgres example connects to DATABASE_URL: a throwaway cluster of this test's.
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  return env;
}

const NODE24 = process.execPath;
let postgres: TestPostgres | undefined;
let databaseUrl: string | undefined;
let tmp: string;
let consumer: string;
let node22: string;
let published: Workspace[];
const readmeExamples = new Map<string, string>();

function outside(
  command: string,
  args: string[],
  node = NODE24,
  options: RunOptions = {},
): Promise<RunResult> {
  return run(command, args, { cwd: consumer, env: outsideEnv(node), timeoutMs: 2 * MINUTES, ...options });
}

/** A bin of the consumer project, as `npx --no` finds it there (never from the registry). */
function npx(args: string[], options: RunOptions = {}): Promise<RunResult> {
  return outside('npx', ['--no', '--', ...args], NODE24, options);
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'mailstack-pack-'));
  consumer = join(tmp, 'consumer');
  const tarballs = join(tmp, 'tarballs');
  const node22Dir = join(tmp, 'node22');
  await Promise.all([
    mkdir(tarballs),
    mkdir(join(consumer, 'examples'), { recursive: true }),
    mkdir(node22Dir),
  ]);

  // Build once (turbo, every package's tsconfig.build.json), then pack what is published.
  const started = Date.now();
  postgres = await startPostgres();
  databaseUrl = await postgres.createDatabase('packed');
  await runOk('npm', ['run', 'build'], { cwd: ROOT, timeoutMs: 8 * MINUTES });
  published = (await workspaces()).filter((w) => !w.private);
  const packed = await runOk(
    'npm',
    [
      'pack',
      '--ignore-scripts',
      '--json',
      '--pack-destination',
      tarballs,
      ...published.flatMap((w) => ['-w', w.name]),
    ],
    { cwd: ROOT },
  );
  const files = JSON.parse(packed.stdout) as { name: string; filename: string; size: number }[];
  expect(files.map((f) => f.name).sort()).toEqual(published.map((w) => w.name).sort());
  const total = files.reduce((sum, f) => sum + f.size, 0);
  console.log(`packed ${files.length} tarballs, ${(total / 1024).toFixed(0)} KiB in total`);

  const rootPkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
    devDependencies: Record<string, string>;
  };
  await writeFile(
    join(consumer, 'package.json'),
    '{ "name": "consumer", "private": true, "type": "module" }\n',
  );
  // The `node` package installs its binary with an install script, which npm runs when allowed.
  await writeFile(
    join(node22Dir, 'package.json'),
    '{ "name": "node22", "private": true, "allowScripts": { "node": true } }\n',
  );
  const npmInstall = ['install', '--prefer-offline', '--no-audit', '--no-fund'];
  const [installed, got22] = await Promise.all([
    outside('npm', [
      ...npmInstall,
      ...files.map((f) => join(tarballs, f.filename)),
      `@types/node@${rootPkg.devDependencies['@types/node']}`,
    ]),
    outside('npm', [...npmInstall, 'node@22'], NODE24, { cwd: node22Dir }),
  ]);
  expect(installed.code, installed.stderr).toBe(0);
  expect(got22.code, `npm install node@22: ${got22.stderr}`).toBe(0);
  node22 = join(node22Dir, 'node_modules', 'node', 'bin', 'node');

  for (const w of published) {
    const readme = await readFile(join(w.dir, 'README.md'), 'utf8');
    const example = /^```js\n([\s\S]*?)^```$/m.exec(readme)?.[1];
    if (example !== undefined) readmeExamples.set(w.name, example);
  }
  console.log(`build + pack + install: ${((Date.now() - started) / 1000).toFixed(0)} s`);
}, 12 * MINUTES);

afterAll(async () => {
  await postgres?.stop();
  if (tmp && !process.env.MAILSTACK_KEEP_TMP) await rm(tmp, { recursive: true, force: true });
});

describe('the packed packages, installed in a project outside the repository', () => {
  it('got Node 22 from the node@22 npm package', async () => {
    const v = await outside(node22, ['--version'], node22);
    expect(v.stdout).toMatch(/^v22\./);
  });

  it('ships dist JavaScript with declarations and source maps, and the sources they map to', async () => {
    for (const w of published) {
      const at = join(consumer, 'node_modules', ...w.name.split('/'));
      const files = await readdir(at, { recursive: true });
      for (const f of [
        'dist/index.js',
        'dist/index.d.ts',
        'dist/index.js.map',
        'dist/index.d.ts.map',
        'src/index.ts',
      ])
        expect(files, `${w.name}: ${f}`).toContain(f);
      expect(
        files.some((f) => f.startsWith('test/')),
        `${w.name} ships no tests`,
      ).toBe(false);
    }
  });

  it('has a README example for every published package, and an expected output for each', () => {
    expect([...readmeExamples.keys()].sort()).toEqual(published.map((w) => w.name).sort());
    expect(Object.keys(EXPECTED).sort()).toEqual(published.map((w) => w.name).sort());
  });

  for (const [label, node] of [
    ['Node 24', () => NODE24],
    ['Node 22', () => node22],
  ] as const) {
    it(
      `runs each README's first js example with plain node on ${label}`,
      async () => {
        const failures: string[] = [];
        for (const w of published) {
          const file = join(consumer, 'examples', `${w.name.split('/')[1]}.mjs`);
          await writeFile(file, readmeExamples.get(w.name) ?? '');
          const r = await outside(node(), [file], node());
          const expected = EXPECTED[w.name] ?? /^$/;
          // stdout, then stderr (where @mailstack/log writes)
          if (r.code !== 0 || !expected.test(r.stdout + r.stderr))
            failures.push(`${w.name}: exit ${r.code ?? r.signal}\n${r.stdout}\n${r.stderr}`);
        }
        expect(failures).toEqual([]);
      },
      6 * MINUTES,
    );
  }

  it(
    'typechecks a TypeScript consumer against the installed declarations',
    async () => {
      await writeFile(join(consumer, 'consumer.ts'), CONSUMER_TS);
      const tsconfig = {
        compilerOptions: {
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          strict: true,
          noEmit: true,
          types: ['node'],
          skipLibCheck: false,
        },
        files: ['consumer.ts'],
      };
      await writeFile(join(consumer, 'tsconfig.json'), JSON.stringify(tsconfig));
      const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
      const r = await outside(NODE24, [tsc, '-p', 'tsconfig.json']);
      expect(r.stdout + r.stderr).toBe('');
      expect(r.code).toBe(0);

      // The same project with a type error fails: the declarations are really read.
      await writeFile(
        join(consumer, 'consumer.ts'),
        `${CONSUMER_TS}\nexport const n: number = createMaildirStore;\n`,
      );
      const bad = await outside(NODE24, [tsc, '-p', 'tsconfig.json']);
      expect(bad.code).not.toBe(0);
      expect(bad.stdout).toMatch(/consumer\.ts\(\d+,\d+\): error TS2322/);
    },
    3 * MINUTES,
  );

  it(
    'runs the installed bins',
    async () => {
      const work = join(tmp, 'bins');
      await mkdir(join(work, 'spool'), { recursive: true });
      await writeFile(join(work, 'mailstack.yaml'), 'hostname: mx.example.org\ndomains: [example.org]\n');

      const help = await npx(['mailstack', '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/^usage: mailstack <command>/);
      const help22 = await outside(
        node22,
        [join(consumer, 'node_modules', '.bin', 'mailstack'), '--help'],
        node22,
      );
      expect(help22.code).toBe(0);
      expect(help22.stdout).toMatch(/^usage: mailstack <command>/);

      const check = await npx(['mailstack', 'config', 'check', '--config', join(work, 'mailstack.yaml')]);
      expect(check).toMatchObject({
        code: 0,
        stdout: expect.stringMatching(/mailstack\.yaml: ok \(9 listeners/),
      });
      await writeFile(join(work, 'broken.yaml'), 'hostnme: x\n');
      const refused = await npx(['mailstack', 'config', 'check', '--config', join(work, 'broken.yaml')]);
      expect(refused.code).toBe(78);

      // An empty spool, made by the package's own API, listed by the queue's bin.
      const made = await outside(NODE24, [
        '--input-type=module',
        '-e',
        "import { openFileSpool } from '@mailstack/queue'; await openFileSpool(process.argv[1]);",
        join(work, 'spool'),
      ]);
      expect(made.code, made.stderr).toBe(0);
      const list = await npx(['mailstack-queue', '--spool', join(work, 'spool'), 'list']);
      expect(list).toMatchObject({ code: 0, stdout: 'Mail queue is empty\n' });

      const file = join(work, 'directory.json');
      const dir = (args: string[], input?: string) =>
        npx(['mailstack-directory', '--file', file, ...args], input ? { input } : {});
      expect((await dir(['domain', 'add', 'example.org'])).code).toBe(0);
      expect(
        (await dir(['user', 'add', 'alice@example.org', '--password-stdin'], 'a long passphrase\n')).code,
      ).toBe(0);
      expect(await dir(['user', 'list'])).toMatchObject({ code: 0, stdout: 'alice@example.org\n' });
      expect((await dir(['user', 'add', 'bob@elsewhere.test', '--password', 'x'])).code).not.toBe(0);
    },
    3 * MINUTES,
  );

  it(
    'starts the installed mailstack on Node 24: first start makes its certificate, IMAPS greets, SIGTERM stops it',
    async () => {
      const work = join(tmp, 'start');
      await mkdir(work);
      const [imaps, web, mda] = [await freePort(), await freePort(), await freePort()];
      const file = join(work, 'mailstack.yaml');
      await writeFile(
        file,
        [
          'hostname: mx.example.org',
          'domains: [example.org]',
          'paths: {data: state}',
          'listeners:',
          `  - {agent: mda, address: 127.0.0.1, port: ${mda}, tls: none}`,
          `  - {agent: imap, address: 127.0.0.1, port: ${imaps}, tls: implicit}`,
          `  - {agent: web, address: 127.0.0.1, port: ${web}, tls: none}`,
          '',
        ].join('\n'),
      );
      const child = spawn(
        join(consumer, 'node_modules', '.bin', 'mailstack'),
        ['start', '--dev', '--config', file],
        { cwd: consumer, env: outsideEnv(NODE24), stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString('utf8');
      });
      const exited = new Promise<string>((resolve) =>
        child.once('exit', (code, signal) => resolve(`${code ?? signal}`)),
      );
      try {
        // The banner is printed once every listener is up.
        const started = await new Promise<boolean>((resolve) => {
          child.stdout.on('data', (c: Buffer) => {
            stdout += c.toString('utf8');
            if (stdout.includes('Ctrl-C stops the stack.')) resolve(true);
          });
          void exited.then(() => resolve(false));
        });
        expect(started, `mailstack start exited early\n${stdout}\n${stderr}`).toBe(true);
        expect(stdout).toContain(
          `  tls       ${join(work, 'state', 'tls', 'cert.pem')} (self-signed, made now)\n`,
        );
        expect(stdout).toMatch(/ {2}imap {2}imaps? .*127\.0\.0\.1:\d+\n/);

        const ready = await fetch(`http://127.0.0.1:${web}/readyz`);
        expect(await ready.json()).toEqual({ status: 'ready' });

        const { greeting, subject } = await new Promise<{ greeting: string; subject: string }>(
          (resolve, reject) => {
            const socket = connect(
              { host: '127.0.0.1', port: imaps, servername: 'mx.example.org', rejectUnauthorized: false },
              () => {
                socket.setEncoding('utf8');
                let got = '';
                socket.on('data', (d: string) => {
                  got += d;
                  if (!got.includes('\r\n')) return;
                  resolve({ greeting: got, subject: socket.getPeerX509Certificate()?.subject ?? '' });
                  socket.end();
                });
              },
            );
            socket.on('error', reject);
          },
        );
        expect(greeting).toMatch(/^\* OK /);
        expect(subject).toBe('CN=mx.example.org');

        // Debian's openssl reads the certificate our DER writer made, and verifies it strictly.
        const cert = join(work, 'state', 'tls', 'cert.pem');
        const text = await runOk('openssl', ['x509', '-noout', '-text', '-in', cert]);
        for (const line of [
          'Signature Algorithm: ecdsa-with-SHA256',
          'Subject: CN = mx.example.org',
          'NIST CURVE: P-256',
          'CA:FALSE',
          'DNS:mx.example.org, DNS:localhost, IP Address:127.0.0.1',
        ])
          expect(text.stdout).toContain(line);
        const verified = await run('openssl', [
          'verify',
          '-x509_strict',
          '-purpose',
          'sslserver',
          '-verify_hostname',
          'mx.example.org',
          '-CAfile',
          cert,
          cert,
        ]);
        expect(verified).toMatchObject({ code: 0, stdout: `${cert}: OK\n` });
      } finally {
        child.kill('SIGTERM');
      }
      expect(await exited, stderr).toBe('0');
      expect(stderr).not.toMatch(/"level":"error"|could not start/);
    },
    2 * MINUTES,
  );
});
