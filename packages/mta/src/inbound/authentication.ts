import type { Readable } from 'node:stream';
import { SmtpError } from '@mailstack/core';
import { type AuthenticateOptions, authenticate } from 'mailauth';
import type { AuthenticationChecks } from './options.ts';

export interface AuthenticationInput {
  /** The message as received; mailauth hashes a stream as it reads it. */
  message: Readable | Buffer;
  ip: string;
  helo: string;
  mailFrom: string;
  /** Our name: the authserv-id of Authentication-Results. */
  hostname: string;
}

export interface AuthenticationOutcome {
  /** Received-SPF and Authentication-Results fields, CRLF-terminated; '' when nothing ran. */
  headers: string;
  /** Short results for logs: `{ spf: 'pass', dkim: 'none', dmarc: 'fail' }`. */
  results: Record<string, string>;
  /** Set when the message must be refused (DMARC p=reject failed and dmarcPolicy is 'reject'). */
  refusal?: SmtpError;
}

/**
 * SPF, DKIM and DMARC through mailauth's `authenticate()`, with ARC and BIMI off (BIMI
 * fetches logos over HTTPS; ARC sealing is not ours to do here). mailauth runs SPF always;
 * a check turned off here is left out of the header instead. DNS goes only through the
 * given resolver when there is one.
 */
export async function authenticateMessage(
  input: AuthenticationInput,
  checks: AuthenticationChecks,
): Promise<AuthenticationOutcome> {
  const dmarcPolicy = checks.dmarcPolicy ?? 'tag';
  const dmarcOn = checks.dmarc !== false && dmarcPolicy !== 'off';
  const opts: AuthenticateOptions = {
    ip: input.ip,
    helo: input.helo,
    sender: input.mailFrom,
    mta: input.hostname,
    disableArc: true,
    disableBimi: true,
    disableDmarc: !dmarcOn,
    ...(checks.dnsResolver ? { resolver: checks.dnsResolver } : {}),
  };
  const result = await authenticate(input.message, opts);
  const results: Record<string, string> = {};
  const parts: string[] = [];
  if (checks.dkim !== false) {
    const dkim = result.dkim.results ?? [];
    if (dkim.length === 0) parts.push('dkim=none (message not signed)');
    for (const r of dkim) parts.push(r.info);
    results.dkim = dkim.map((r) => r.status.result).join(',') || 'none';
  }
  let receivedSpf = '';
  if (checks.spf !== false && result.spf) {
    parts.push(result.spf.info);
    results.spf = result.spf.status.result;
    receivedSpf = result.spf.header ? `${result.spf.header.replace(/\r?\n$/, '')}\r\n` : '';
  }
  let refusal: SmtpError | undefined;
  if (dmarcOn && result.dmarc) {
    parts.push(result.dmarc.info);
    results.dmarc = result.dmarc.status.result;
    const failedReject = result.dmarc.status.result === 'fail' && result.dmarc.policy === 'reject';
    if (failedReject && dmarcPolicy === 'reject') {
      const domain = result.dmarc.status.header?.from ?? 'the From domain';
      refusal = new SmtpError(550, '5.7.1', `Message rejected by the DMARC policy of ${domain}`);
    }
  }
  if (parts.length === 0) return { headers: '', results };
  const value = [`${input.hostname}`, ...parts.map(unfold)].join(';\r\n\t');
  return { headers: `Authentication-Results: ${value}\r\n${receivedSpf}`, results, refusal };
}

/** mailauth folds at 160 columns with bare LF or CRLF; we fold between results only. */
function unfold(text: string): string {
  return text.replace(/\r?\n[ \t]*/g, ' ').trim();
}
