import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type TempDir, tempDir } from '@mailstack/testkit';
import { generate } from 'selfsigned';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  ConfigError,
  configSchema,
  defaultConfig,
  loadConfig,
  parseConfig,
  printConfig,
} from '../src/index.ts';

const EXAMPLE = fileURLToPath(new URL('../../../mailstack.example.yaml', import.meta.url));
const README = fileURLToPath(new URL('../README.md', import.meta.url));

/** The problems a config text has, as the operator reads them. */
function problems(text: string): string[] {
  try {
    parseConfig(text, 'test.yaml');
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('the example file and the embedded defaults', () => {
  it('loading mailstack.example.yaml gives exactly the embedded defaults', () => {
    expect(parseConfig(readFileSync(EXAMPLE, 'utf8'), EXAMPLE)).toEqual(defaultConfig());
  });

  it('mailstack.example.yaml spells out every key, with no default left implicit', () => {
    expect(parseYaml(readFileSync(EXAMPLE, 'utf8'))).toEqual(defaultConfig());
  });

  it('documents every key of the schema in the README', () => {
    const readme = readFileSync(README, 'utf8');
    const undocumented = keyPaths(configSchema).filter((k) => !readme.includes(`\`${k}\``));
    expect(undocumented).toEqual([]);
  });

  it('prints the effective config as YAML that reads back unchanged', () => {
    const defaults = defaultConfig();
    expect(parseConfig(printConfig(defaults))).toEqual(defaults);
    const changed = parseConfig(`
hostname: mx.example.org
domains: [example.org, example.net]
listeners:
  - {agent: mta, address: 0.0.0.0, port: 25, tls: starttls}
  - {agent: msa, port: 587, tls: starttls}
outbound:
  smarthost: {host: relay.example, port: 465, tls: implicit, auth: {user: me, password: "p: w"}}
  transportMap: {.example.com: "smtp:[192.0.2.7]:2525"}
limits: {sending: {messagesPerHour: 100}}
`);
    expect(parseConfig(printConfig(changed))).toEqual(changed);
    expect(changed.outbound.smarthost).toMatchObject({
      port: 465,
      verifyCertificate: true,
      auth: { user: 'me' },
    });
  });
});

describe('config errors name the key path and the problem', () => {
  it('an unknown key, with a did-you-mean', () => {
    expect(problems('hostnme: mx.example.org')).toEqual(['hostnme: unknown key; did you mean "hostname"?']);
    expect(problems('limits:\n  smtp:\n    conections: 5\n    bogus: 1')).toEqual([
      'limits.smtp.conections: unknown key; did you mean "connections"?',
      'limits.smtp.bogus: unknown key',
    ]);
    expect(problems('listeners:\n  - {agent: imap, port: 143, tsl: starttls}')).toEqual([
      'listeners[0].tsl: unknown key; did you mean "tls"?',
    ]);
  });

  it('a wrong type', () => {
    expect(problems('limits: {smtp: {connections: many}}')).toEqual([
      'limits.smtp.connections: expected a number, got "many"',
    ]);
    expect(problems('domains: example.org')).toEqual(['domains: expected a list, got "example.org"']);
    expect(problems('listeners:\n  - {agent: imapd, port: 143}')).toEqual([
      'listeners[0].agent: expected one of msa, mta, mda, imap, pop3, web, got "imapd"; did you mean "imap"?',
    ]);
    expect(problems('queue: {retry: [5 minutes]}')).toEqual([
      'queue.retry[0]: expected a duration like 500ms, 30s, 15m, 4h or 5d, got "5 minutes"',
    ]);
  });

  it('the spool: file by default, or PostgreSQL with a url', () => {
    expect(parseConfig('hostname: mx.example.org').spool).toEqual({ kind: 'file' });
    expect(parseConfig('spool: {kind: postgres, url: "postgresql://mail@db/mail"}').spool).toEqual({
      kind: 'postgres',
      url: 'postgresql://mail@db/mail',
      schema: 'mailstack_spool',
      connections: 10,
    });
    expect(problems('spool: {kind: postgres}')).toHaveLength(1);
    expect(problems('spool: {kind: postgres}')[0]).toMatch(/^spool\.url: /);
    expect(problems('spool: {kind: postgres, url: x, schema: Spool-1}')[0]).toMatch(
      /^spool\.schema: expected a lower-case SQL name/,
    );
    expect(problems('spool: {kind: sqlite}')).toHaveLength(1);
    expect(problems('spool: {kind: file, url: x}')).toEqual(['spool.url: unknown key']);
  });

  it('a size as bytes or with a unit, nothing else', () => {
    expect(parseConfig('limits: {messageSize: 1048576}').limits.messageSize).toBe('1048576');
    expect(problems('limits: {messageSize: 10MB}')).toEqual([
      'limits.messageSize: expected a size in bytes, or with K, M or G (1024-based) like 25M, got "10MB"',
    ]);
  });

  it('a port out of range', () => {
    expect(problems('listeners:\n  - {agent: msa, port: 70000, tls: starttls}')).toEqual([
      'listeners[0].port: port out of range (0-65535), got 70000',
    ]);
    expect(problems('outbound: {mxPort: -1}')).toEqual([
      'outbound.mxPort: port out of range (0-65535), got -1',
    ]);
  });

  it('two listeners on one address and port', () => {
    expect(
      problems(`
listeners:
  - {agent: imap, address: 127.0.0.1, port: 143, tls: starttls}
  - {agent: pop3, address: 127.0.0.2, port: 143, tls: starttls}
  - {agent: pop3, address: 127.0.0.1, port: 143, tls: starttls}
  - {agent: mta, address: 0.0.0.0, port: 143, tls: starttls}
  - {agent: mda, port: 0}
  - {agent: web, port: 0}
`),
    ).toEqual([
      'listeners[2]: 127.0.0.1:143 is already taken by listeners[0] (imap on 127.0.0.1:143)',
      'listeners[3]: 0.0.0.0:143 is already taken by listeners[0] (imap on 127.0.0.1:143)',
    ]);
  });

  it('unix socket listeners: the mda only, one per path, port or socket', () => {
    const config = parseConfig(
      'listeners:\n  - {agent: mda, socket: lmtp.sock, socketMode: "0600"}\nqueue: {lmtp: "unix:/run/lmtp"}',
    );
    expect(config.listeners[0]).toMatchObject({ agent: 'mda', socket: 'lmtp.sock', socketMode: '0600' });
    expect(config.listeners[0]?.port).toBeUndefined();
    expect(problems('listeners:\n  - {agent: mda, socket: /run/x.sock, socketMode: "rw"}')).toEqual([
      'listeners[0].socketMode: expected an octal mode like "0660", got "rw"',
    ]);
    expect(
      problems(`
listeners:
  - {agent: mda, socket: lmtp.sock}
  - {agent: mda, socket: ./lmtp.sock}
  - {agent: imap, socket: /run/imap.sock}
  - {agent: mda, port: 24, socket: /run/other.sock}
  - {agent: mda}
  - {agent: mda, port: 25, socketMode: "0600"}
`),
    ).toEqual([
      'listeners[1].socket: ./lmtp.sock is already taken by listeners[0]',
      'listeners[2].socket: only the mda listener takes a unix socket, not imap; give a port',
      'listeners[3].socket: give either port or socket, not both',
      'listeners[4].port: missing; give a port (or socket, for an mda listener)',
      'listeners[5].socketMode: only a listener with a socket takes it',
    ]);
  });

  it('addresses that are not addresses', () => {
    expect(
      problems(`
dns: {servers: [192.0.2.53, "192.0.2.53:5353", "[2001:db8::53]:53", resolver.example]}
outbound: {relayNetworks: [192.0.2.0/24, 2001:db8::/32, 192.0.2.0/33, office]}
dev: {demoUsers: [alice@example.test, carol@other.test]}
queue: {lmtp: "127.0.0.1"}
`),
    ).toEqual([
      'outbound.relayNetworks[2]: expected an address or CIDR like 192.0.2.0/24, got "192.0.2.0/33"',
      'outbound.relayNetworks[3]: expected an address or CIDR like 192.0.2.0/24, got "office"',
      'dns.servers[3]: expected an IP address, optionally with :port, got "resolver.example"',
      'queue.lmtp: expected host:port like 127.0.0.1:24, or unix:/path/to/socket, got "127.0.0.1"',
      'dev.demoUsers[1]: "carol@other.test" is not an address in one of the domains',
    ]);
  });

  it('a TLS mode the agent does not have', () => {
    expect(
      problems('listeners:\n  - {agent: mda, port: 24, tls: implicit}\n  - {agent: msa, port: 587}'),
    ).toEqual([
      'listeners[0].tls: the mda listener takes none, not implicit',
      'listeners[1].tls: the msa listener takes starttls or implicit, not none',
    ]);
  });

  it('YAML that does not parse, with its line', () => {
    expect(problems('hostname: a\nhostname: b\n')).toEqual(['line 2, column 1: Map keys must be unique']);
  });

  describe('certificate files', () => {
    let dir: TempDir;
    beforeEach(async () => {
      dir = await tempDir('mailstack-config-');
    });
    afterEach(() => dir.cleanup());

    const load = (yaml: string) => {
      const file = join(dir.path, 'mailstack.yaml');
      return writeFile(file, yaml).then(() => {
        try {
          loadConfig({ file, env: {} });
          return [];
        } catch (err) {
          if (err instanceof ConfigError) return err.problems;
          throw err;
        }
      });
    };

    it('a certificate file that is missing', async () => {
      expect(await load('tls: {cert: certs/cert.pem, key: certs/key.pem}')).toEqual([
        `tls.cert: file ${join(dir.path, 'certs/cert.pem')} not found`,
        `tls.key: file ${join(dir.path, 'certs/key.pem')} not found`,
      ]);
    });

    it("a key that is not the certificate's, and the one that is", async () => {
      const one = await generate([{ name: 'commonName', value: 'one.test' }], {
        keyType: 'ec',
        curve: 'P-256',
      });
      const two = await generate([{ name: 'commonName', value: 'two.test' }], {
        keyType: 'ec',
        curve: 'P-256',
      });
      await writeFile(join(dir.path, 'cert.pem'), one.cert);
      await writeFile(join(dir.path, 'key.pem'), two.private);
      expect(await load('tls: {cert: cert.pem, key: key.pem}')).toEqual([
        `tls.key: ${join(dir.path, 'key.pem')} is not the private key of the certificate in ${join(dir.path, 'cert.pem')}`,
      ]);
      await writeFile(join(dir.path, 'key.pem'), one.private);
      expect(await load('tls: {cert: cert.pem, key: key.pem}')).toEqual([]);
    });

    it('a config file that is missing', () => {
      expect(() => loadConfig({ file: join(dir.path, 'nope.yaml'), env: {} })).toThrow(
        `${join(dir.path, 'nope.yaml')}: file not found`,
      );
    });
  });
});

describe('loading', () => {
  it('resolves paths against the file, MAILSTACK_CONFIG and MAILSTACK_DATA', async () => {
    const dir = await tempDir('mailstack-config-');
    try {
      const file = join(dir.path, 'host.yaml');
      await writeFile(file, 'paths: {data: state, spool: /var/spool/mailstack}\n');
      const loaded = loadConfig({ env: { MAILSTACK_CONFIG: file }, cwd: '/' });
      expect(loaded.file).toBe(file);
      expect(loaded.paths).toMatchObject({
        data: join(dir.path, 'state'),
        directory: join(dir.path, 'state', 'directory.json'),
        spool: '/var/spool/mailstack',
        cert: join(dir.path, 'state', 'tls', 'cert.pem'),
      });
      expect(loadConfig({ file, env: { MAILSTACK_DATA: '/srv/mail' } }).paths.mail).toBe('/srv/mail/mail');
      expect(loadConfig({ env: {}, cwd: '/work' }).paths.data).toBe('/work/.mailstack');
    } finally {
      await dir.cleanup();
    }
  });
});

/** Every leaf key of the schema as the README writes it: `limits.smtp.connections`, `listeners[].port`. */
function keyPaths(schema: unknown, prefix = ''): string[] {
  type Def = { innerType?: unknown; element?: unknown; shape?: Record<string, unknown>; type?: string };
  let s = schema as { _zod: { def: Def } };
  // A group of keys is documented by its keys; one that may be null is a key itself too.
  let nullable = false;
  while (s._zod.def.innerType) {
    nullable ||= s._zod.def.type === 'nullable';
    s = s._zod.def.innerType as typeof s;
  }
  const def = s._zod.def;
  if (def.type === 'array' && def.element) {
    const inner = keyPaths(def.element, `${prefix}[]`);
    return inner.length && inner[0] !== `${prefix}[]` ? [prefix, ...inner] : [prefix];
  }
  if (def.shape) {
    const out: string[] = nullable ? [prefix] : [];
    for (const [key, value] of Object.entries(def.shape)) {
      out.push(...keyPaths(value, prefix ? `${prefix}.${key}` : key));
    }
    return out;
  }
  return [prefix];
}
