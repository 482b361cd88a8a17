import type { Recipient, Reply } from '@mailstack/core';
import { encodeOrcpt, encodeXtext } from '../xtext.ts';
import { asciiOnly, field, oneLine, rfc5322Date } from './header-text.ts';

/** RFC 3464 2.3.3 Action values. */
export type DsnAction = 'failed' | 'delayed' | 'delivered' | 'relayed' | 'expanded';

/** What a DSN says about one recipient. */
export interface DsnRecipientReport {
  /** The recipient as received: its address is the Final-Recipient, its ORCPT the Original-Recipient. */
  recipient: Recipient;
  action: DsnAction;
  /** RFC 3463 `x.y.z`; when absent it comes from `reply` (see `dsnStatus`). */
  status?: string;
  /** The next hop's reply: the Diagnostic-Code (`smtp; 550 5.1.1 ...`) and the human text. */
  reply?: Reply;
  /** The host that gave the reply (Remote-MTA: dns; host). */
  remoteMta?: string;
  lastAttemptAt?: Date;
  /** Delayed only: when the reporting MTA gives up. */
  willRetryUntil?: Date;
  /** The spool gave up retrying (4xx until the give-up time) rather than being refused. */
  expired?: boolean;
}

const CLASS_OF: Record<DsnAction, string> = {
  failed: '5',
  delayed: '4',
  delivered: '2',
  relayed: '2',
  expanded: '2',
};

/**
 * The Status field: the reply's enhanced code when its class agrees with the reply code,
 * else `<class>.0.0`. A recipient given up after 4xx keeps the last 4.x.x (as Postfix does, the
 * reason stays visible) or says 4.4.7, delivery time expired (RFC 3463).
 */
export function dsnStatus(r: DsnRecipientReport): string {
  if (r.status && /^[245]\.\d{1,3}\.\d{1,3}$/.test(r.status)) return r.status;
  const reply = r.reply;
  const replyClass = reply ? String(reply.code)[0] : undefined;
  const enhanced = reply && /^[245]\.\d{1,3}\.\d{1,3}$/.test(reply.enhanced) ? reply.enhanced : '';
  if (r.action === 'failed' && r.expired) return enhanced.startsWith('4.') ? enhanced : '4.4.7';
  if (enhanced && enhanced[0] === replyClass && (replyClass === CLASS_OF[r.action] || r.action === 'failed'))
    return enhanced;
  if (r.action === 'failed' && replyClass === '5') return '5.0.0';
  return `${CLASS_OF[r.action]}.0.0`;
}

export interface PerMessageFields {
  reportingMta: string;
  envId?: string;
  arrivedAt?: Date;
  queueId?: string;
}

/**
 * The message/delivery-status body (RFC 3464 2.1): the per-message block, then one block per
 * recipient, blocks separated by an empty line. `utf8` (message/global-delivery-status, RFC
 * 6533) lets addresses and diagnostics keep their UTF-8; otherwise they are cut to ASCII.
 */
export function deliveryStatusBody(
  perMessage: PerMessageFields,
  recipients: DsnRecipientReport[],
  utf8: boolean,
): string {
  const clean = (s: string) => (utf8 ? oneLine(s) : asciiOnly(oneLine(s)));
  const head: string[] = [field('Reporting-MTA', `dns; ${clean(perMessage.reportingMta)}`)];
  if (perMessage.queueId) head.push(field('X-Mailstack-Queue-ID', clean(perMessage.queueId)));
  if (perMessage.envId !== undefined) head.push(field('Original-Envelope-Id', encodeXtext(perMessage.envId)));
  if (perMessage.arrivedAt) head.push(field('Arrival-Date', rfc5322Date(perMessage.arrivedAt)));
  const blocks = [head.join('\r\n')];
  for (const r of recipients) {
    const lines: string[] = [];
    if (r.recipient.orcpt !== undefined) {
      lines.push(field('Original-Recipient', encodeOrcpt(r.recipient.orcpt)));
    }
    const address = clean(r.recipient.address);
    const type = /^[\x00-\x7f]*$/.test(address) ? 'rfc822' : 'utf-8';
    lines.push(field('Final-Recipient', `${type}; ${address}`));
    lines.push(field('Action', r.action));
    lines.push(field('Status', dsnStatus(r)));
    if (r.remoteMta) lines.push(field('Remote-MTA', `dns; ${clean(r.remoteMta)}`));
    if (r.reply) lines.push(field('Diagnostic-Code', `smtp; ${clean(formatDiagnostic(r.reply))}`));
    if (r.lastAttemptAt) lines.push(field('Last-Attempt-Date', rfc5322Date(r.lastAttemptAt)));
    if (r.action === 'delayed' && r.willRetryUntil) {
      lines.push(field('Will-Retry-Until', rfc5322Date(r.willRetryUntil)));
    }
    blocks.push(lines.join('\r\n'));
  }
  return `${blocks.join('\r\n\r\n')}\r\n`;
}

/** `550 5.1.1 text`, as the next hop said it (multi-line replies joined with spaces). */
export function formatDiagnostic(reply: Reply): string {
  return `${reply.code} ${reply.enhanced ? `${reply.enhanced} ` : ''}${reply.text}`;
}
