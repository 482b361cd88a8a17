import type { Recipient } from '@mailstack/core';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { encodeOrcpt } from '../xtext.ts';

/** nodemailer's private state this wrapper reads; pinned by the ^10.6 dependency range. */
export interface Internals {
  _supportedExtensions: string[];
  _maxAllowedSize: number;
  _envelope?: { to: string[]; rcptQueue: string[] };
  _sendCommand(str: string, logStr?: string): void;
}

/**
 * nodemailer sends one set of DSN parameters for every RCPT of a message; a relayed message
 * carries NOTIFY and ORCPT per recipient. This subclass gives each RCPT its own, and adds
 * SMTPUTF8 to MAIL when the message needs it even though every address is ASCII.
 */
export class OutboundConnection extends SMTPConnection {
  rcptParams: ((index: number) => string) | null = null;
  forceSmtpUtf8 = false;

  _getDsnRcptToArgs(): string {
    const self = this as unknown as Internals;
    const envelope = self._envelope;
    if (!this.rcptParams || !envelope) return '';
    // RCPTs go out in order and each is shifted off rcptQueue just before this call
    return this.rcptParams(envelope.to.length - envelope.rcptQueue.length - 1);
  }

  _sendCommand(str: string, logStr?: string): void {
    const base = SMTPConnection.prototype as unknown as Internals;
    const line =
      this.forceSmtpUtf8 && str.startsWith('MAIL FROM:') && !/ SMTPUTF8\b/.test(str)
        ? `${str} SMTPUTF8`
        : str;
    base._sendCommand.call(this, line, logStr);
  }
}

/** NOTIFY and ORCPT for one RCPT (RFC 3461 4.1, 4.2). */
export function rcptDsnArgs(recipient: Recipient | undefined): string {
  if (!recipient) return '';
  let args = '';
  if (recipient.notify && recipient.notify.length > 0) args += ` NOTIFY=${recipient.notify.join(',')}`;
  if (recipient.orcpt) args += ` ORCPT=${encodeOrcpt(recipient.orcpt)}`;
  return args;
}
