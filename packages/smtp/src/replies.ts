import type { Reply } from '@mailstack/core';

/**
 * smtp-server picks an enhanced status code from a fixed table by reply code. Our agents
 * know the exact one (4.2.2 mailbox full, 5.1.1 unknown user...), so a reply text that
 * already starts with an RFC 3463 code of the same class is sent as it is (see
 * ListenerConnection.send). These helpers build such texts.
 */
const ENHANCED_PREFIX = /^([245])\.\d{1,3}\.\d{1,3} /;

/** True when `text` starts with an enhanced status code matching the class of `code`. */
export function carriesEnhancedCode(code: number, text: string): boolean {
  const match = ENHANCED_PREFIX.exec(text);
  return match !== null && match[1] === String(Math.floor(code / 100));
}

/** `2.1.5 text`: what goes after the reply code on the wire. */
export function replyText(reply: Reply): string {
  return reply.enhanced ? `${reply.enhanced} ${reply.text}` : reply.text;
}

/** The error shape smtp-server's handler callbacks take: message plus `responseCode`. */
export function libraryError(reply: Reply): Error & { responseCode: number } {
  return Object.assign(new Error(replyText(reply)), { responseCode: reply.code });
}

/** A reply for the LMTP/SMTP DATA callback: success as text, anything else as an error. */
export function libraryDataReply(reply: Reply): string | Error {
  return reply.code >= 200 && reply.code < 300 ? replyText(reply) : libraryError(reply);
}
