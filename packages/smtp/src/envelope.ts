import type { DsnNotify, Envelope, EnvelopeParams, Recipient } from '@mailstack/core';
import type { SMTPServerAddress, SMTPServerSession } from 'smtp-server';

/** One accepted RCPT as core's Recipient, DSN parameters included. */
export function toRecipient(address: SMTPServerAddress): Recipient {
  const recipient: Recipient = { address: address.address };
  if (address.dsn?.notify) recipient.notify = address.dsn.notify as DsnNotify[];
  if (address.dsn?.orcpt) recipient.orcpt = address.dsn.orcpt;
  return recipient;
}

/** The session's transaction as core's Envelope; `rcptTo` is every accepted RCPT in order. */
export function toEnvelope(session: SMTPServerSession, rcptTo: Recipient[]): Envelope {
  const from = session.envelope.mailFrom;
  const params: EnvelopeParams = {};
  const body = session.envelope.bodyType?.toUpperCase();
  if (body === '7BIT' || body === '8BITMIME') params.body = body;
  if (session.envelope.smtpUtf8) params.smtpUtf8 = true;
  const declared = from && from.args !== false ? from.args.SIZE : undefined;
  if (typeof declared === 'string') params.size = Number(declared);
  const dsn = session.envelope.dsn;
  if (dsn?.envid) params.envId = dsn.envid;
  if (dsn?.ret === 'FULL' || dsn?.ret === 'HDRS') params.ret = dsn.ret;
  return {
    mailFrom: from ? from.address : '',
    rcptTo,
    params,
    receivedFrom: {
      helo: session.hostNameAppearsAs || undefined,
      address: session.remoteAddress,
      hostname: session.clientHostname,
      protocol: session.transmissionType,
      tls: session.secure,
      ...(session.user ? { authUser: String(session.user) } : {}),
    },
  };
}
