/**
 * The transfer agent's spool on a full tmpfs (issue 11, item 5): the spool's own
 * `452 4.3.1` (no room) reaches the SMTP client instead of a generic `451 4.3.0`, and the
 * refused message leaves nothing in the spool.
 */
import { join } from 'node:path';
import { runPython } from '@mailstack/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { type DiskHost, filesIn, startDiskHost, UNSHARE_FLAGS } from './disk-host.ts';

const USER = 'alice@example.test';
const KB = 1024;

const SEND = `
import smtplib, sys
port, size = int(sys.argv[1]), int(sys.argv[2])
sender = 'alice@example.test' if len(sys.argv) > 3 else 'a@remote.test'
msg = b'From: ' + sender.encode() + b'\\r\\nTo: alice@example.test\\r\\nSubject: big\\r\\n\\r\\n' + (b'x' * 76 + b'\\r\\n') * (size // 78)
c = smtplib.SMTP('127.0.0.1', port)
if len(sys.argv) > 3:
    c.login('alice@example.test', sys.argv[3])
try:
    c.sendmail(sender, ['alice@example.test'], msg)
    print('250')
except smtplib.SMTPDataError as e:
    print(e.smtp_code, e.smtp_error.decode())
c.quit()
`;

describe.skipIf(UNSHARE_FLAGS === null)('the spool on a full disk', () => {
  let host: DiskHost | undefined;
  afterEach(async () => {
    await host?.stop();
    host = undefined;
  });

  it('the MTA answers 452 4.3.1 when the spool cannot hold the message, and keeps nothing of it', async () => {
    host = await startDiskHost({ sizeBytes: 2048 * KB, users: [USER], agents: ['mta'] });
    expect((await runPython(SEND, [host.ports.mta, 10 * KB])).stdout.trim()).toBe('250');
    const queued = await filesIn(join(host.data, 'spool', 'queue'));
    expect(queued.length).toBeGreaterThan(0);
    await host.leaveFree(200 * KB);

    const r = await runPython(SEND, [host.ports.mta, 600 * KB]);
    expect(r.stdout.trim()).toMatch(/^452 4\.3\.1 /);
    expect(await filesIn(join(host.data, 'spool', 'queue'))).toEqual(queued);
    expect(await filesIn(join(host.data, 'spool', 'tmp'))).toEqual([]);

    await host.unfill();
    expect((await runPython(SEND, [host.ports.mta, 600 * KB])).stdout.trim()).toBe('250');
  });

  it('the MSA answers an authenticated client 452 4.3.1 when the spool is full', async () => {
    host = await startDiskHost({ sizeBytes: 2048 * KB, users: [USER], agents: ['msa'] });
    expect((await runPython(SEND, [host.ports.msa, 10 * KB, 'secret'])).stdout.trim()).toBe('250');
    await host.leaveFree(200 * KB);
    const r = await runPython(SEND, [host.ports.msa, 600 * KB, 'secret']);
    expect(r.stdout.trim()).toMatch(/^452 4\.3\.1 /);
    expect(await filesIn(join(host.data, 'spool', 'tmp'))).toEqual([]);
  });
});
