import { oneLine, rfc5322Date } from './header-text.ts';
import { type DsnRecipientReport, formatDiagnostic } from './report-fields.ts';

export type DsnKind = 'failure' | 'delay' | 'success';

export const DSN_SUBJECTS: Record<DsnKind, string> = {
  failure: 'Undelivered Mail Returned to Sender',
  delay: 'Delayed Mail (still being retried)',
  success: 'Successful Mail Delivery Report',
};

/** What happened to one recipient, in words, with the next hop's reply when there was one. */
function recipientLine(r: DsnRecipientReport): string {
  const who = `<${oneLine(r.recipient.address)}>`;
  const reply = r.reply ? oneLine(formatDiagnostic(r.reply)) : '';
  const said = reply
    ? `${r.remoteMta ? `host ${oneLine(r.remoteMta)} said` : 'the next hop said'}: ${reply}`
    : '';
  const last = reply ? ` Last reply: ${said}` : '';
  switch (r.action) {
    case 'failed':
      if (r.expired) return `${who}: delivery was given up after retrying for too long.${last}`;
      return `${who}: ${said || 'delivery failed'}`;
    case 'delayed': {
      const until = r.willRetryUntil ? ` until ${rfc5322Date(r.willRetryUntil)}` : '';
      return `${who}: not delivered yet; retried${until}.${last}`;
    }
    case 'relayed':
      return `${who}: passed on to a system that sends no delivery reports.${last}`;
    case 'expanded':
      return `${who}: delivered to a list or alias, which passed it on.${last}`;
    default:
      return `${who}: delivered.${last}`;
  }
}

/** The text/plain part: a short explanation for a person, one paragraph per recipient. */
export function humanText(options: {
  kind: DsnKind;
  reportingMta: string;
  recipients: DsnRecipientReport[];
  /** Set when the original was too large to return whole. */
  truncatedFrom?: number;
  returned: 'full' | 'headers';
}): string {
  const intro: Record<DsnKind, string> = {
    failure:
      'Your message could not be delivered to one or more recipients. ' +
      'This is a permanent error; the mail system will not try again.',
    delay:
      'Your message has not been delivered yet to one or more recipients. ' +
      'The mail system keeps trying; you do not need to resend it.',
    success: 'Your message was delivered (or passed on) as you asked to be told.',
  };
  const lines = [
    `This is the mail system at host ${oneLine(options.reportingMta)}.`,
    '',
    intro[options.kind],
    '',
    ...options.recipients.flatMap((r) => [recipientLine(r), '']),
  ];
  if (options.truncatedFrom !== undefined) {
    lines.push(
      `The original message was ${options.truncatedFrom} bytes, too large to return whole; ` +
        'only its header is attached.',
      '',
    );
  } else if (options.returned === 'headers') {
    lines.push('The header of the original message is attached.', '');
  } else {
    lines.push('The original message is attached.', '');
  }
  return lines.flatMap((l) => wrap(l, l.startsWith('<') ? '    ' : '')).join('\r\n');
}

/** Wraps a paragraph at spaces near 76 columns, so even a long reply stays readable and 7-bit safe. */
function wrap(paragraph: string, indent: string): string[] {
  if (paragraph.length <= 76) return [paragraph];
  const out: string[] = [];
  let line = '';
  for (const word of paragraph.split(' ')) {
    if (line && line.length + 1 + word.length > 76) {
      out.push(line);
      line = `${indent}${word}`;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) out.push(line);
  return out.map((l) => (l.length > 900 ? l.slice(0, 900) : l));
}
