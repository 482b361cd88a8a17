import { buildDsn, type DsnInput } from '@mailstack/mta';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { decodeXtext } from '../src/xtext.ts';
import { originalMessage, parseWithPython, statusBlocks } from './dsn-fixtures.ts';

const arrivedAt = new Date(Date.UTC(2026, 10, 20, 8, 0, 0));
const attemptAt = new Date(Date.UTC(2026, 10, 20, 8, 5, 0));

function failureInput(overrides: Partial<DsnInput> = {}, original = originalMessage()): DsnInput {
  return {
    reportingMta: 'mx.origin.test',
    envelope: { mailFrom: 'alice@origin.test', rcptTo: [{ address: 'bob@remote.test' }], params: {} },
    recipients: [
      {
        recipient: { address: 'bob@remote.test' },
        action: 'failed',
        reply: { code: 550, enhanced: '5.1.1', text: 'No such user here' },
        remoteMta: 'mx.remote.test',
        lastAttemptAt: attemptAt,
      },
    ],
    original: { bytes: original, size: original.length },
    arrivedAt,
    date: attemptAt,
    ...overrides,
  };
}

describe('buildDsn', () => {
  it('composes a multipart/report that mailparser reads: delivery-status fields and the original', async () => {
    const dsn = buildDsn(failureInput());
    expect(dsn.kind).toBe('failure');
    expect(dsn.envelope.mailFrom).toBe('');
    expect(dsn.envelope.rcptTo.map((r) => r.address)).toEqual(['alice@origin.test']);

    const mail = await simpleParser(dsn.bytes);
    const type = mail.headers.get('content-type') as { value: string; params: Record<string, string> };
    expect(type.value).toBe('multipart/report');
    expect(type.params['report-type']).toBe('delivery-status');
    expect(mail.from?.value[0]?.address).toBe('MAILER-DAEMON@mx.origin.test');
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.value[0]?.address : '').toBe('alice@origin.test');
    expect(mail.subject).toBe('Undelivered Mail Returned to Sender');
    expect(mail.headers.get('auto-submitted')).toBe('auto-replied');
    expect(mail.messageId).toMatch(/@mx\.origin\.test>$/);
    expect(mail.date?.getTime()).toBe(attemptAt.getTime());
    // mailparser shows message/delivery-status inline, after the human text.
    const text = mail.text ?? '';
    expect(text).toContain('<bob@remote.test>: host mx.remote.test said: 550 5.1.1 No such user here');
    const [perMessage, recipient] = statusBlocks(text.slice(text.indexOf('Reporting-MTA:')));
    expect(perMessage).toMatchObject({ 'reporting-mta': 'dns; mx.origin.test' });
    expect(perMessage!['arrival-date']).toBe('Fri, 20 Nov 2026 08:00:00 +0000');
    expect(recipient).toEqual({
      'final-recipient': 'rfc822; bob@remote.test',
      action: 'failed',
      status: '5.1.1',
      'remote-mta': 'dns; mx.remote.test',
      'diagnostic-code': 'smtp; 550 5.1.1 No such user here',
      'last-attempt-date': 'Fri, 20 Nov 2026 08:05:00 +0000',
    });
    expect(mail.attachments.map((a) => a.contentType)).toEqual(['message/rfc822']);
    expect(mail.attachments[0]!.content.toString()).toBe(originalMessage().toString());
  });

  it('parses in Python as multipart/report with per-recipient delivery-status blocks', async () => {
    const input = failureInput();
    input.envelope.rcptTo.push({ address: 'carol@remote.test' });
    input.recipients.push({
      recipient: { address: 'carol@remote.test' },
      action: 'failed',
      reply: { code: 552, enhanced: '5.2.2', text: 'Mailbox full' },
    });
    const view = await parseWithPython(buildDsn(input).bytes);
    expect(view.contentType).toBe('multipart/report');
    expect(view.reportType).toBe('delivery-status');
    expect(view.defects).toEqual([]);
    expect(view.parts).toEqual(['text/plain', 'message/delivery-status', 'message/rfc822']);
    expect(view.top['Auto-Submitted']).toBe('auto-replied');
    expect(view.top.From).toBe('Mail Delivery System <MAILER-DAEMON@mx.origin.test>');
    expect(view.blocks).toHaveLength(3);
    expect(view.blocks[0]!['Reporting-MTA']).toBe('dns; mx.origin.test');
    expect(view.blocks.slice(1).map((b) => [b['Final-Recipient'], b.Action, b.Status])).toEqual([
      ['rfc822; bob@remote.test', 'failed', '5.1.1'],
      ['rfc822; carol@remote.test', 'failed', '5.2.2'],
    ]);
    expect(view.blocks[2]!['Diagnostic-Code']).toBe('smtp; 552 5.2.2 Mailbox full');
    expect(view.originalSubject).toBe('Lunch');
    expect(view.text).toContain('<carol@remote.test>');
  });

  it('returns only the header for RET=HDRS, as text/rfc822-headers', async () => {
    const input = failureInput();
    input.envelope.params.ret = 'HDRS';
    const dsn = buildDsn(input);
    expect(dsn.returned).toBe('headers');
    expect(dsn.bytes.toString()).not.toContain('Hello there.');
    const view = await parseWithPython(dsn.bytes);
    expect(view.parts).toEqual(['text/plain', 'message/delivery-status', 'text/rfc822-headers']);
    expect(view.headersPart).toContain('Subject: Lunch');
    expect(view.headersPart).not.toContain('Hello there.');
  });

  it('returns the whole message for RET=FULL and when RET was not given', () => {
    for (const ret of ['FULL', undefined] as const) {
      const input = failureInput();
      if (ret) input.envelope.params.ret = ret;
      const dsn = buildDsn(input);
      expect(dsn.returned).toBe('full');
      expect(dsn.bytes.toString()).toContain('Content-Type: message/rfc822\r\n');
      expect(dsn.bytes.toString()).toContain('\r\nHello there.\r\n');
    }
  });

  it('gives back ORCPT in xtext, so the sender gets the exact value it sent', async () => {
    const orcpt = 'rfc822;Bob+tag=x@Remote.test';
    const input = failureInput();
    input.recipients[0]!.recipient.orcpt = orcpt;
    const view = await parseWithPython(buildDsn(input).bytes);
    const field = view.blocks[1]!['Original-Recipient']!;
    expect(field).toBe('rfc822;Bob+2Btag+3Dx@Remote.test');
    const semi = field.indexOf(';');
    expect(`${field.slice(0, semi)};${decodeXtext(field.slice(semi + 1))}`).toBe(orcpt);
    // Without ORCPT there is no Original-Recipient (RFC 3461 6.3).
    const without = await parseWithPython(buildDsn(failureInput()).bytes);
    expect(without.blocks[1]).not.toHaveProperty('Original-Recipient');
  });

  it('carries ENVID as Original-Envelope-Id only when given', async () => {
    const input = failureInput();
    input.envelope.params.envId = 'batch 7+8=15';
    const view = await parseWithPython(buildDsn(input).bytes);
    expect(view.blocks[0]!['Original-Envelope-Id']).toBe('batch+207+2B8+3D15');
    expect(decodeXtext(view.blocks[0]!['Original-Envelope-Id']!)).toBe('batch 7+8=15');
    const plain = await parseWithPython(buildDsn(failureInput()).bytes);
    expect(plain.blocks[0]).not.toHaveProperty('Original-Envelope-Id');
  });

  it('keeps an 8-bit original 8bit inside message/rfc822 and asks for BODY=8BITMIME', async () => {
    const original = originalMessage('Grüße aus Köln\r\n');
    const input = failureInput({}, original);
    input.envelope.params.body = '8BITMIME';
    const dsn = buildDsn(input);
    expect(dsn.transferEncoding).toBe('8bit');
    expect(dsn.utf8).toBe(false);
    expect(dsn.envelope.params).toEqual({ body: '8BITMIME' });
    expect(dsn.bytes.includes(original)).toBe(true);
    const view = await parseWithPython(dsn.bytes);
    expect(view.parts[2]).toBe('message/rfc822');
    expect(view.originalBody).toContain('Grüße aus Köln');
    // A 7-bit original gives a 7-bit DSN.
    const seven = buildDsn(failureInput());
    expect(seven.transferEncoding).toBe('7bit');
    expect(seven.envelope.params).toEqual({});
    expect(seven.bytes.every((b) => b < 0x80)).toBe(true);
  });

  it('uses the RFC 6533 global types for an SMTPUTF8 original with UTF-8 addresses', async () => {
    const original = Buffer.from(
      'From: jörg@origin.test\r\nTo: zoë@remote.test\r\nSubject: Grüße\r\n\r\nHallo\r\n',
    );
    const input = failureInput({}, original);
    input.envelope = {
      mailFrom: 'jörg@origin.test',
      rcptTo: [{ address: 'zoë@remote.test' }],
      params: { smtpUtf8: true },
    };
    input.recipients[0]!.recipient = { address: 'zoë@remote.test' };
    const dsn = buildDsn(input);
    expect(dsn.utf8).toBe(true);
    expect(dsn.bytes.toString()).toContain('Content-Transfer-Encoding: 8bit\r\n\r\nThis is the mail system');
    expect(dsn.envelope).toMatchObject({ mailFrom: '', params: { smtpUtf8: true, body: '8BITMIME' } });
    expect(dsn.envelope.rcptTo[0]!.address).toBe('jörg@origin.test');
    const view = await parseWithPython(dsn.bytes);
    expect(view.reportType).toBe('global-delivery-status');
    expect(view.parts).toEqual(['text/plain', 'message/global-delivery-status', 'message/global']);
    expect(view.blocks[1]!['Final-Recipient']).toBe('utf-8; zoë@remote.test');
    expect(view.originalSubject).toBe('Grüße');
    expect(view.text).toContain('<zoë@remote.test>');
  });

  it('returns only the header of an original over the size cap, and says so', async () => {
    const big = originalMessage('x'.repeat(70).concat('\r\n').repeat(2000));
    const dsn = buildDsn(failureInput({ maxOriginalBytes: 50_000 }, big));
    expect(dsn.truncated).toBe(true);
    expect(dsn.returned).toBe('headers');
    expect(dsn.bytes.length).toBeLessThan(5_000);
    const view = await parseWithPython(dsn.bytes);
    expect(view.parts[2]).toBe('text/rfc822-headers');
    expect(view.text).toContain(`The original message was ${big.length} bytes, too large to return whole`);
  });

  it('writes a delay notice with Will-Retry-Until and the header only', async () => {
    const until = new Date(Date.UTC(2026, 10, 25, 8, 0, 0));
    const dsn = buildDsn(
      failureInput({
        recipients: [
          {
            recipient: { address: 'bob@remote.test', notify: ['DELAY', 'FAILURE'] },
            action: 'delayed',
            reply: { code: 451, enhanced: '4.7.1', text: 'Greylisted, try later' },
            lastAttemptAt: attemptAt,
            willRetryUntil: until,
          },
        ],
      }),
    );
    expect(dsn.kind).toBe('delay');
    const view = await parseWithPython(dsn.bytes);
    expect(view.top.Subject).toBe('Delayed Mail (still being retried)');
    expect(view.parts[2]).toBe('text/rfc822-headers');
    expect(view.blocks[1]).toMatchObject({
      Action: 'delayed',
      Status: '4.7.1',
      'Will-Retry-Until': 'Wed, 25 Nov 2026 08:00:00 +0000',
      'Diagnostic-Code': 'smtp; 451 4.7.1 Greylisted, try later',
    });
  });

  it('reports success and relay, and status of a give-up after retries', async () => {
    const success = buildDsn(
      failureInput({
        recipients: [
          {
            recipient: { address: 'bob@remote.test' },
            action: 'delivered',
            reply: { code: 250, enhanced: '2.0.0', text: 'OK' },
          },
          {
            recipient: { address: 'dan@remote.test' },
            action: 'relayed',
            reply: { code: 250, enhanced: '', text: 'Queued' },
          },
        ],
      }),
    );
    const view = await parseWithPython(success.bytes);
    expect(view.top.Subject).toBe('Successful Mail Delivery Report');
    expect(view.blocks.slice(1).map((b) => [b.Action, b.Status])).toEqual([
      ['delivered', '2.0.0'],
      ['relayed', '2.0.0'],
    ]);
    const expired = buildDsn(
      failureInput({
        recipients: [
          {
            recipient: { address: 'bob@remote.test' },
            action: 'failed',
            expired: true,
            reply: { code: 421, enhanced: '', text: 'Service not available' },
          },
        ],
      }),
    );
    const ev = await parseWithPython(expired.bytes);
    expect(ev.blocks[1]).toMatchObject({ Action: 'failed', Status: '4.4.7' });
    expect(ev.text).toContain('delivery was given up after retrying for too long');
  });

  it('keeps a reply with line breaks on its own field (no header injection)', async () => {
    const input = failureInput();
    input.recipients[0]!.reply = {
      code: 550,
      enhanced: '5.7.1',
      text: 'Denied\r\nX-Injected: yes\r\n\r\nmore',
    };
    const view = await parseWithPython(buildDsn(input).bytes);
    expect(view.blocks[1]).not.toHaveProperty('X-Injected');
    expect(view.blocks[1]!['Diagnostic-Code']).toBe('smtp; 550 5.7.1 Denied X-Injected: yes more');
    expect(view.top).not.toHaveProperty('X-Injected');
  });

  it('keeps a 7-bit DSN 7-bit when the reply text is not ASCII: text in base64, fields with ?', async () => {
    const input = failureInput();
    input.recipients[0]!.reply = { code: 550, enhanced: '5.1.1', text: 'Benutzer unbekannt: Müller' };
    const dsn = buildDsn(input);
    expect(dsn.transferEncoding).toBe('7bit');
    expect(dsn.bytes.every((b) => b < 0x80)).toBe(true);
    const view = await parseWithPython(dsn.bytes);
    expect(view.text.replace(/\s+/g, ' ')).toContain('550 5.1.1 Benutzer unbekannt: Müller');
    expect(view.blocks[1]!['Diagnostic-Code']).toBe('smtp; 550 5.1.1 Benutzer unbekannt: M?ller');
  });

  it('refuses to address a DSN to the null sender', () => {
    const input = failureInput();
    input.envelope.mailFrom = '';
    expect(() => buildDsn(input)).toThrow(/null sender/);
  });
});
