import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smtpTranscript, TranscriptError } from '../src/index.ts';
import { startTinyServer } from './tiny-server.ts';

let tiny: Awaited<ReturnType<typeof startTinyServer>>;
beforeAll(async () => {
  tiny = await startTinyServer();
});
afterAll(() => tiny.close());

describe('smtpTranscript', () => {
  it('runs steps, waits for whole multi-line replies, and returns the transcript', async () => {
    const t = await smtpTranscript(tiny.port, '127.0.0.1', [
      { expect: /^220 / },
      { send: 'EHLO me', expect: /^250-tiny[\s\S]*\n250 PIPELINING$/ },
      { send: 'MAIL FROM:<a@x.test>', expect: '250' },
      { send: 'RCPT TO:<b@x.test>', expect: '250 2.1.5' },
      { send: 'RCPT TO:<c@x.test>', expect: '250' },
      { send: 'DATA', expect: '354' },
      {
        send: Buffer.from('Subject: hi\r\n\r\nbody\r\n.\r\n'),
        expectLines: 2,
        expect: '250 2.0.0 ok for recipient',
      },
      { send: 'QUIT', expect: '221', expectClose: true },
    ]);
    expect(t.replies[1]).toBe('250-tiny greets you\n250-SIZE 1000\n250 PIPELINING');
    expect(t.replies.slice(-3)).toEqual([
      '250 2.0.0 ok for recipient 1',
      '250 2.0.0 ok for recipient 2',
      '221 2.0.0 bye',
    ]);
    expect(t.lines.slice(0, 3)).toEqual(['S: 220 tiny ready', 'C: EHLO me', 'S: 250-tiny greets you']);
    expect(t.lines).toContain('C: Subject: hi');
    expect(t.lines.at(-1)).toBe('S: <closed>');
  });

  it('handles pipelined commands: send without waiting, then collect several replies', async () => {
    const t = await smtpTranscript(tiny.port, '127.0.0.1', [
      { expect: '220' },
      { send: 'MAIL FROM:<a@x.test>\r\nRCPT TO:<bad@x.test>\r\nRCPT TO:<ok@x.test>\r\n', expectLines: 3 },
      { send: 'QUIT', expect: '221' },
    ]);
    expect(t.replies.slice(1, 4)).toEqual([
      '250 MAIL FROM:<a@x.test>',
      '550 5.1.1 no such user',
      '250 2.1.5 ok',
    ]);
  });

  it('fails clearly when a reply does not match, showing the transcript', async () => {
    const run = smtpTranscript(tiny.port, '127.0.0.1', [
      { expect: '220' },
      { send: 'RCPT TO:<bad@x.test>', expect: '250' },
    ]);
    await expect(run).rejects.toBeInstanceOf(TranscriptError);
    await expect(run).rejects.toThrow(
      /step 2 \(sent "RCPT TO:<bad@x.test>"\): expected 250, got \["550 5.1.1 no such user"\][\s\S]*S: 550 5.1.1/,
    );
  });

  it('times out clearly when the server stays silent', async () => {
    const run = smtpTranscript(
      tiny.port,
      '127.0.0.1',
      [{ expect: '220' }, { send: 'SILENT', expect: '250' }],
      {
        timeoutMs: 200,
      },
    );
    await expect(run).rejects.toThrow(
      /step 2 .*waiting for reply 1 of 1: lineClient: timed out after 200 ms/,
    );
  });

  it('fails clearly when the server hangs up mid-transcript', async () => {
    const run = smtpTranscript(tiny.port, '127.0.0.1', [{ expect: '220' }, { send: 'BYE', expect: '250' }]);
    await expect(run).rejects.toThrow(/connection closed by the server/);
  });

  it('fails when a close was expected but the server stays', async () => {
    const run = smtpTranscript(
      tiny.port,
      '127.0.0.1',
      [{ expect: '220' }, { send: 'NOOP', expect: '250', expectClose: true }],
      {
        timeoutMs: 200,
      },
    );
    await expect(run).rejects.toThrow(/expected the server to close the connection/);
  });
});
