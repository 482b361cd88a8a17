/** ENVELOPE (RFC 3501 7.4.2) from the raw header values the summariser kept. */
import type { EnvelopeFields } from '@mailstack/core';
import { parseAddressList } from './address.ts';
import type { WireBuilder } from './encode.ts';
import { headerBytes as b, headerBytesOrNil as nb } from './envelope-text.ts';

function addresses(w: WireBuilder, value: string | undefined): void {
  const list = value === undefined ? [] : parseAddressList(value);
  if (list.length === 0) {
    w.raw('NIL');
    return;
  }
  w.raw('(');
  for (const a of list) {
    if (a.kind === 'group-start') {
      w.raw('(NIL NIL ').nstring(nb(a.name)).raw(' NIL)');
    } else if (a.kind === 'group-end') {
      w.raw('(NIL NIL NIL NIL)');
    } else {
      w.raw('(').nstring(nb(a.name)).raw(' ').nstring(nb(a.route)).raw(' ');
      w.string(b(a.mailbox)).raw(' ').string(b(a.host)).raw(')');
    }
  }
  w.raw(')');
}

/** An empty header value counts as absent for the sender/reply-to defaults. */
const present = (v: string | undefined): string | undefined =>
  v !== undefined && parseAddressList(v).length > 0 ? v : undefined;

export function writeEnvelope(w: WireBuilder, env: EnvelopeFields): void {
  w.raw('(').nstring(nb(env.date)).raw(' ').nstring(nb(env.subject)).raw(' ');
  addresses(w, env.from);
  w.raw(' ');
  // RFC 3501: the server defaults Sender and Reply-To to From.
  addresses(w, present(env.sender) ?? env.from);
  w.raw(' ');
  addresses(w, present(env.replyTo) ?? env.from);
  for (const v of [env.to, env.cc, env.bcc]) {
    w.raw(' ');
    addresses(w, v);
  }
  w.raw(' ').nstring(nb(env.inReplyTo)).raw(' ').nstring(nb(env.messageId)).raw(')');
}
