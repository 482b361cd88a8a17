import type { Envelope, MessageBlob, Recipient, Reply } from '@mailstack/core';
import type { ClientConnection, ClientError } from './client-connection.ts';
import { parseReply } from './reply-text.ts';

/**
 * How one transaction on one connection went: a reply per recipient (in order), or one reply
 * for the whole transaction (a refused MAIL or DATA, a lost connection, a check before MAIL).
 */
export type TransactionOutcome =
  | { kind: 'per-recipient'; replies: Reply[] }
  | { kind: 'whole'; reply: Reply; connectionLost?: boolean };

const NON_ASCII = /[^\x00-\x7f]/;

/** RFC 6531 3.2: the message needs SMTPUTF8 when it says so or an address is not ASCII. */
export function needsSmtpUtf8(envelope: Envelope, recipients: Recipient[]): boolean {
  return (
    envelope.params.smtpUtf8 === true ||
    NON_ASCII.test(envelope.mailFrom) ||
    recipients.some((r) => NON_ASCII.test(r.address))
  );
}

/**
 * One MAIL..DATA on an open connection. Checks what the peer offered first (SIZE, SMTPUTF8,
 * 8BITMIME: an 8-bit body is refused with 5.6.3 rather than downgraded) so a message that
 * cannot go there fails without a round trip.
 */
export async function runTransaction(
  conn: ClientConnection,
  envelope: Envelope,
  blob: MessageBlob,
  recipients: Recipient[],
): Promise<TransactionOutcome> {
  const peer = conn.features;
  if (peer.maxSize > 0 && blob.size > peer.maxSize) {
    return whole(552, '5.3.4', `Message size ${blob.size} exceeds the peer's limit of ${peer.maxSize}`);
  }
  const smtpUtf8 = needsSmtpUtf8(envelope, recipients);
  if (smtpUtf8 && !peer.smtpUtf8) {
    return whole(553, '5.6.7', 'Message needs SMTPUTF8 but the receiving server does not support it');
  }
  const eightBit = envelope.params.body === '8BITMIME' || envelope.params.body === 'BINARYMIME';
  if (eightBit && !peer.eightBitMime) {
    return whole(554, '5.6.3', '8-bit message but the receiving server does not support 8BITMIME');
  }
  try {
    const sent = await conn.send(
      {
        mailFrom: envelope.mailFrom,
        recipients,
        size: blob.size,
        eightBit,
        smtpUtf8,
        ...(envelope.params.envId ? { envId: envelope.params.envId } : {}),
        ...(envelope.params.ret ? { ret: envelope.params.ret } : {}),
      },
      blob.open(),
    );
    return { kind: 'per-recipient', replies: perRecipient(recipients, sent.rejected, sent.response) };
  } catch (err) {
    const e = err as ClientError & { rejectedErrors?: ClientError[] };
    // every RCPT refused: still one reply per recipient
    if (e.rejectedErrors && e.rejectedErrors.length > 0 && e.code === 'EENVELOPE') {
      const rejected = e.rejectedErrors.map((r) => ({
        recipient: r.recipient ?? '',
        response: r.response ?? '',
      }));
      return { kind: 'per-recipient', replies: perRecipient(recipients, rejected, '') };
    }
    const reply = parseReply(e.response);
    if (reply) return { kind: 'whole', reply };
    return {
      kind: 'whole',
      reply: { code: 451, enhanced: '4.4.2', text: `Connection lost during the transaction: ${e.message}` },
      connectionLost: true,
    };
  }
}

/** Lines refusals up with the recipients (repeats of one address consume them in order). */
function perRecipient(
  recipients: Recipient[],
  rejected: Array<{ recipient: string; response: string }>,
  finalResponse: string,
): Reply[] {
  const refusals = new Map<string, Reply[]>();
  for (const r of rejected) {
    const key = r.recipient.toLowerCase();
    const reply = parseReply(r.response) ?? { code: 451, enhanced: '4.3.0', text: 'Refused without a reply' };
    refusals.set(key, [...(refusals.get(key) ?? []), reply]);
  }
  const final = parseReply(finalResponse);
  const accepted: Reply =
    final && final.code >= 200 && final.code < 300
      ? final
      : { code: 250, enhanced: '2.0.0', text: 'Delivered' };
  return recipients.map((r) => refusals.get(r.address.toLowerCase())?.shift() ?? accepted);
}

function whole(code: number, enhanced: string, text: string): TransactionOutcome {
  return { kind: 'whole', reply: { code, enhanced, text } };
}
