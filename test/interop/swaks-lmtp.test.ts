/**
 * swaks (`--protocol LMTP`) against our LMTP server: the transcript a standard client sees,
 * with one reply per recipient after DATA (RFC 2033) and a 550 for an unknown one.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readAll } from '@mailstack/core';
import { createMaildirStore } from '@mailstack/maildir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../helpers/daemon.ts';
import { writeDirectoryFile } from '../helpers/directory-file.ts';
import { type MdaProcess, startMda } from '../helpers/mda.ts';
import { requirePrograms } from '../helpers/programs.ts';
import { run } from '../helpers/run.ts';

let tmp: ReturnType<typeof makeTempDir>;
let mda: MdaProcess | undefined;

beforeAll(async () => {
  requirePrograms('swaks');
  tmp = makeTempDir('swaks-lmtp');
  const directory = join(tmp.path, 'directory.json');
  await writeDirectoryFile(directory, ['bob@example.test', 'carol@example.test']);
  mda = await startMda({ data: join(tmp.path, 'mail'), directory });
});

afterAll(async () => {
  await mda?.stop();
  tmp?.remove();
});

/** swaks's transcript lines from the server: `<-  ` a reply, `<** ` one swaks counts as an error. */
function serverLines(transcript: string): string[] {
  return transcript.split('\n').filter((l) => /^<(- |\*\*) /.test(l));
}

describe('swaks --protocol LMTP against @mailstack/mda', () => {
  it('gets 220, LHLO with PIPELINING, per-recipient replies after DATA, a 550 for an unknown user', async () => {
    const eml = join(tmp.path, 'message.eml');
    writeFileSync(eml, 'From: swaks@example.org\r\nSubject: swaks lmtp\r\n\r\nhello from swaks\r\n');
    const result = await run('swaks', [
      '--protocol',
      'LMTP',
      '--server',
      `${mda?.host}:${mda?.port}`,
      '--helo',
      'swaks.test',
      '--from',
      'swaks@example.org',
      '--to',
      'bob@example.test,nobody@example.test,carol@example.test',
      '--data',
      `@${eml}`,
    ]);
    const transcript = result.stdout + result.stderr;
    const lines = serverLines(transcript);
    expect(lines[0], transcript).toMatch(/^<- {2}220 /);
    expect(transcript).toMatch(/^ -> LHLO swaks\.test$/m);
    expect(transcript).toMatch(/^<- {2}250[- ]PIPELINING$/m);
    expect(transcript).toMatch(/^ -> RCPT TO:<bob@example\.test>\n<- {2}250 /m);
    expect(transcript).toMatch(/^ -> RCPT TO:<nobody@example\.test>\n<\*\* +550 5\.1\.1 /m);
    expect(transcript).toMatch(/^<- {2}354 /m);
    // After the final dot: one reply for each accepted recipient, in order (RFC 2033 4.2).
    const afterDot = transcript.slice(transcript.indexOf(' -> .\n'));
    const finals = serverLines(afterDot).filter((l) => !/ 221 /.test(l));
    expect(finals).toHaveLength(2);
    expect(finals[0]).toMatch(/^<- {2}250 2\.\d\.\d .*bob@example\.test/);
    expect(finals[1]).toMatch(/^<- {2}250 2\.\d\.\d .*carol@example\.test/);
    expect(transcript).toMatch(/^<- {2}221 /m);

    const store = createMaildirStore({ root: join(tmp.path, 'mail') });
    for (const user of ['bob@example.test', 'carol@example.test']) {
      const inbox = await store.openFolder(user, 'INBOX');
      expect(inbox.messages()).toHaveLength(1);
      const text = (await readAll(inbox.read(inbox.messages()[0]?.uid ?? 0))).toString('utf8');
      expect(text).toMatch(/^Return-Path: <swaks@example\.org>\r\n/);
      expect(text).toContain(`Delivered-To: ${user}\r\n`);
      expect(text).toContain('\r\n\r\nhello from swaks\r\n');
      await inbox.close();
    }
  });
});
