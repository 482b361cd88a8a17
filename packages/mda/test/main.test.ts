import { join } from 'node:path';
import { runPython, type TempDir, tempDir } from '@mailstack/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { type MdaProcess, startMda } from './children.ts';
import { message, writeDirectoryFile } from './fixtures.ts';

let dir: TempDir | undefined;
const children: MdaProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
    await c.exited;
  }
  await dir?.cleanup();
  dir = undefined;
});

async function setup() {
  dir = await tempDir('mailstack-main-');
  const directoryFile = join(dir.path, 'directory.json');
  await writeDirectoryFile(directoryFile);
  return { dir: dir.path, args: ['--data', join(dir.path, 'data'), '--directory', directoryFile] };
}

describe('main.ts (the LMTP server process)', () => {
  it('prints its ephemeral TCP address as one JSON line and exits 0 on SIGTERM', async () => {
    const { args } = await setup();
    const mda = await startMda(args);
    children.push(mda);
    expect(mda.listening).toMatchObject({ event: 'listening', protocol: 'lmtp', host: '127.0.0.1' });
    expect(mda.port).toBeGreaterThan(0);
    const script = `
import smtplib, sys
c = smtplib.LMTP('127.0.0.1', int(sys.argv[1]))
print(c.sendmail('s@remote.test', ['alice@example.test'], sys.argv[2].encode()))
c.quit()
`;
    const sent = await runPython(script, [mda.port, message({ id: 'main-1' })]);
    expect(sent.stdout.trim()).toBe('{}');
    mda.child.kill('SIGTERM');
    expect(await mda.exited).toBe(0);
  });

  it('listens on a unix socket with --socket', async () => {
    const { dir: root, args } = await setup();
    const path = join(root, 'lmtp.sock');
    const mda = await startMda([...args, '--socket', path]);
    children.push(mda);
    expect(mda.listening).toMatchObject({ event: 'listening', path });
    const script = `
import smtplib, sys
c = smtplib.LMTP(sys.argv[1])
print(c.sendmail('s@remote.test', ['bob@example.test'], sys.argv[2].encode()))
c.quit()
`;
    expect((await runPython(script, [path, message({ id: 'main-2' })])).stdout.trim()).toBe('{}');
  });

  it('exits 64 with usage when --listen is not host:port', async () => {
    const { args } = await setup();
    await expect(startMda([...args, '--listen', 'nonsense'])).rejects.toThrow(/exited with 64/);
  });
});
