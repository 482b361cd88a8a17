/**
 * Issue 12: per-user sending limits counted once across submission processes and kept across
 * restarts. Two MSA processes (their main.ts) share one directory file, so one
 * `sending-counts.sqlite` beside it; alice may send 2 messages an hour.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MsaProcess, startMsa } from './helpers/msa.ts';
import { submit } from './helpers/submit.ts';
import { type CertificateFiles, makeCertificate } from './helpers/tls.ts';
import { directoryFolder } from './hostile/throttle-clients.ts';

let folder: Awaited<ReturnType<typeof directoryFolder>>;
let cert: CertificateFiles;
const running: MsaProcess[] = [];

const startOne = async (): Promise<MsaProcess> => {
  const msa = await startMsa({
    data: folder.path,
    directory: folder.file,
    spool: join(folder.path, 'spool'),
    ...cert,
    config: { limits: { sending: { messagesPerHour: 2 } } },
  });
  running.push(msa);
  return msa;
};

/** One message from alice through `msa`'s 587 listener; resolves with the reply code. */
const send = (msa: MsaProcess, subject: string): Promise<number> =>
  submit(msa.port, 'alice@example.test', 'alice-secret', {
    from: 'alice@example.test',
    to: 'bob@example.test',
    subject,
  });

beforeAll(async () => {
  folder = await directoryFolder();
  cert = await makeCertificate(folder.path);
});

afterAll(async () => {
  await Promise.all(running.map((m) => m.stop()));
  await folder?.remove();
});

describe('sending limits across MSA processes', () => {
  it('counts one hourly budget over two processes, and a restart keeps it', async () => {
    const [a, b] = await Promise.all([startOne(), startOne()]);
    const logs = () => running.map((m) => m.output()).join('\n');
    expect(await send(a!, 'one via a'), logs()).toBe(250);
    expect(await send(b!, 'two via b'), logs()).toBe(250);
    // a has sent only one itself: counting alone it would take this one
    expect(await send(a!, 'three via a'), logs()).toBe(451);
    expect(await send(b!, 'three via b'), logs()).toBe(451);
    expect(existsSync(join(folder.path, 'sending-counts.sqlite'))).toBe(true);

    await Promise.all([a!.stop(), b!.stop()]);
    const c = await startOne();
    expect(await send(c, 'after restart'), logs()).toBe(451);
  });
});
