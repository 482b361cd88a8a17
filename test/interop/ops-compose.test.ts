/**
 * docker-compose.yml and the Dockerfile, checked without a Docker engine: Debian's
 * docker-compose validates the file, then its services are read back (merge keys applied)
 * and held to the layout the README promises.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type TempDir, tempDir } from '@mailstack/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { composeServices } from '../helpers/compose-services.ts';
import { PROGRAMS, requirePrograms } from '../helpers/programs.ts';
import { run } from '../helpers/run.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const COMPOSE = join(ROOT, 'docker-compose.yml');
const CONFIG = '/etc/mailstack/mailstack.yaml';
const AGENTS = ['msa', 'mta', 'mda', 'imap', 'pop3', 'queue-runner', 'web'];

let dir: TempDir;
beforeEach(async () => {
  requirePrograms('dockerCompose');
  dir = await tempDir('mailstack-compose-');
});
afterEach(() => dir.cleanup());

const composeConfig = (file: string) =>
  run(PROGRAMS.dockerCompose, ['-f', file, 'config', '-q'], { cwd: dir.path });

describe('docker-compose.yml', () => {
  it('passes docker-compose config -q, and a broken copy does not', async () => {
    const ok = await composeConfig(COMPOSE);
    expect(ok).toMatchObject({ code: 0, stdout: '', stderr: '' });

    const broken = join(dir.path, 'docker-compose.yml');
    await writeFile(
      broken,
      (await readFile(COMPOSE, 'utf8')).replace('    command: ["npx"', '    comand: ["npx"'),
    );
    const bad = await composeConfig(broken);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/comand/);
  });

  it('runs each agent once, as `npx --no mailstack <agent> --config` on the mounted file', () => {
    const services = composeServices(COMPOSE);
    expect(services.map((s) => s.name).sort()).toEqual([...AGENTS].sort());
    for (const s of services) {
      expect(s.command, s.name).toEqual(['npx', '--no', 'mailstack', s.name, '--config', CONFIG]);
      expect(s.volumes, s.name).toContain(`bind:./deploy/mailstack.yaml:${CONFIG}:ro`);
      expect(s.volumes, s.name).toContain('state:/var/lib/mailstack');
    }
  });

  it('shares the store among its readers and the spool among its writers and the runner', () => {
    const using = (volume: string) =>
      composeServices(COMPOSE)
        .filter((s) => s.volumes.includes(volume))
        .map((s) => s.name)
        .sort();
    expect(using('store:/var/lib/mailstack/mail')).toEqual(['imap', 'mda', 'pop3', 'web']);
    expect(using('spool:/var/lib/mailstack/spool')).toEqual(['msa', 'mta', 'queue-runner', 'web']);
  });

  it('checks every listening agent on a port it declares, and the web agent on /readyz', () => {
    for (const s of composeServices(COMPOSE)) {
      if (s.name === 'queue-runner') {
        expect(s.ports).toEqual([]);
        expect(s.dependsOn).toEqual(['mda']);
        continue;
      }
      expect(s.healthcheck?.[0], s.name).toBe('CMD');
      if (s.name === 'web') {
        expect(s.ports).toEqual([8025]);
        expect(s.healthcheck?.join(' ')).toContain('http://web:8025/readyz');
      } else {
        // node -e <tcp check> PORT HOST: the agent binds its service name, not loopback.
        expect(s.healthcheck?.at(-1), s.name).toBe(s.name);
        expect(s.ports, s.name).toContain(Number(s.healthcheck?.at(-2)));
      }
    }
  });

  it('declares exactly the ports the mounted config makes each agent listen on, at its service name', async () => {
    const config = parse(await readFile(join(ROOT, 'deploy', 'mailstack.yaml'), 'utf8')) as {
      listeners: Array<{ agent: string; address: string; port: number }>;
      paths: { data: string };
    };
    expect(config.paths.data).toBe('/var/lib/mailstack');
    for (const s of composeServices(COMPOSE)) {
      const own = config.listeners.filter((l) => l.agent === s.name);
      expect(own.map((l) => l.port).sort(), s.name).toEqual([...s.ports].sort());
      for (const l of own) expect(l.address, s.name).toBe(s.name);
    }
  });
});

describe('Dockerfile', () => {
  it("builds from node:24-slim with npm ci and leaves the repository's own state out", async () => {
    const dockerfile = await readFile(join(ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^FROM node:24-slim$/m);
    expect(dockerfile).toMatch(/^RUN npm ci --omit=dev/m);
    expect(dockerfile).toMatch(/^USER node$/m);
    const ignored = (await readFile(join(ROOT, '.dockerignore'), 'utf8')).split('\n');
    for (const entry of ['.git', '**/node_modules', '.mailstack', 'mailstack.yaml'])
      expect(ignored).toContain(entry);
  });

  it('is what docker-compose builds every service from', async () => {
    const out = await run(PROGRAMS.dockerCompose, ['-f', COMPOSE, 'config'], { cwd: ROOT });
    expect(out.code).toBe(0);
    const builds = out.stdout.match(/^ {4}build:\n {6}context: (.+)$/gm) ?? [];
    expect(builds).toHaveLength(AGENTS.length);
    for (const b of builds) expect(b).toContain(`context: ${ROOT}`);
  });
});
