import type { MessageMeta } from '@mailstack/core';
import type { SearchKey } from '../parser/types.ts';
import { sequenceSetIncludes } from '../sequence-set.ts';
import { parseAddressList } from '../writer/address.ts';
import { decodeEncodedWords } from './encoded-words.ts';
import { dayOf, headerEnd, headerFields, sentDate } from './message-text.ts';

/** One message as SEARCH sees it; `content` loads the wire form only when a key needs it. */
export interface SearchSubject {
  seq: number;
  uid: number;
  meta: MessageMeta;
  flags: readonly string[];
  recent: boolean;
  content: () => Promise<Buffer>;
  /** The text parts decoded (transfer encoding, charset): those the raw bytes do not show as text. */
  bodyText: () => Promise<string>;
}

export interface SearchScope {
  largestSeq: number;
  largestUid: number;
}

/** Whether evaluating the key may need the message text (headers or body). */
export function needsContent(key: SearchKey): boolean {
  switch (key.key) {
    case 'BCC':
    case 'BODY':
    case 'CC':
    case 'FROM':
    case 'SUBJECT':
    case 'TEXT':
    case 'TO':
    case 'HEADER':
    case 'SENTBEFORE':
    case 'SENTON':
    case 'SENTSINCE':
      return true;
    case 'NOT':
      return needsContent(key.operand);
    case 'OR':
      return needsContent(key.left) || needsContent(key.right);
    case 'AND':
      return key.operands.some(needsContent);
    default:
      return false;
  }
}

function contains(haystack: string, needle: string): boolean {
  return haystack.toLowerCase().includes(needle.toLowerCase());
}

/**
 * An address field as the addresses it names, `name <local@domain>` joined (group names
 * too), without comments and the whitespace around `@`: `<user (c)@ (c) domain.org>` is
 * found by `FROM user@domain.org`, as in Dovecot (imaptest's search-addresses group).
 */
function addressText(value: string): string {
  return parseAddressList(value)
    .map((a) => {
      if (a.kind === 'group-start') return `${a.name}:`;
      if (a.kind === 'group-end') return ';';
      return `${a.name ?? ''} <${a.mailbox}@${a.host}>`;
    })
    .join(', ');
}

const ADDRESS_FIELDS = new Set(['from', 'to', 'cc', 'bcc']);

async function headerMatches(m: SearchSubject, field: string, value: string): Promise<boolean> {
  const fields = headerFields(await m.content()).filter(([name]) => name === field);
  return fields.some(
    ([, v]) =>
      contains(v, value) ||
      contains(decodeEncodedWords(v), value) ||
      (ADDRESS_FIELDS.has(field) && contains(decodeEncodedWords(addressText(v)), value)),
  );
}

/** Evaluates the typed search tree for one message (RFC 3501 6.4.4). */
export async function matches(key: SearchKey, m: SearchSubject, scope: SearchScope): Promise<boolean> {
  const has = (flag: string): boolean => m.flags.includes(flag);
  switch (key.key) {
    case 'ALL':
      return true;
    case 'ANSWERED':
      return has('\\Answered');
    case 'DELETED':
      return has('\\Deleted');
    case 'DRAFT':
      return has('\\Draft');
    case 'FLAGGED':
      return has('\\Flagged');
    case 'SEEN':
      return has('\\Seen');
    case 'UNANSWERED':
      return !has('\\Answered');
    case 'UNDELETED':
      return !has('\\Deleted');
    case 'UNDRAFT':
      return !has('\\Draft');
    case 'UNFLAGGED':
      return !has('\\Flagged');
    case 'UNSEEN':
      return !has('\\Seen');
    case 'RECENT':
      return m.recent;
    case 'OLD':
      return !m.recent;
    case 'NEW':
      return m.recent && !has('\\Seen');
    case 'KEYWORD':
      return m.flags.some((f) => f.toLowerCase() === key.flag.toLowerCase());
    case 'UNKEYWORD':
      return !m.flags.some((f) => f.toLowerCase() === key.flag.toLowerCase());
    case 'BCC':
    case 'CC':
    case 'FROM':
    case 'SUBJECT':
    case 'TO':
      return headerMatches(m, key.key.toLowerCase(), key.value);
    case 'HEADER':
      return headerMatches(m, key.field.toLowerCase(), key.value);
    case 'BODY': {
      const text = await m.content();
      if (contains(text.subarray(headerEnd(text)).toString('utf8'), key.value)) return true;
      return contains(await m.bodyText(), key.value);
    }
    case 'TEXT': {
      const raw = await m.content();
      const header = decodeEncodedWords(raw.subarray(0, headerEnd(raw)).toString('utf8'));
      if (contains(raw.toString('utf8'), key.value) || contains(header, key.value)) return true;
      return contains(await m.bodyText(), key.value);
    }
    case 'BEFORE':
      return dayOf(m.meta.internalDate) < key.date;
    case 'ON':
      return dayOf(m.meta.internalDate) === key.date;
    case 'SINCE':
      return dayOf(m.meta.internalDate) >= key.date;
    case 'SENTBEFORE':
    case 'SENTON':
    case 'SENTSINCE': {
      const date = headerFields(await m.content()).find(([name]) => name === 'date');
      const day = date ? sentDate(date[1]) : null;
      if (!day) return false;
      if (key.key === 'SENTBEFORE') return day < key.date;
      if (key.key === 'SENTON') return day === key.date;
      return day >= key.date;
    }
    case 'LARGER':
      return m.meta.size > key.size;
    case 'SMALLER':
      return m.meta.size < key.size;
    case 'UID':
      return sequenceSetIncludes(key.set, m.uid, scope.largestUid);
    case 'SEQ':
      return sequenceSetIncludes(key.set, m.seq, scope.largestSeq);
    case 'NOT':
      return !(await matches(key.operand, m, scope));
    case 'OR':
      return (await matches(key.left, m, scope)) || matches(key.right, m, scope);
    case 'AND':
      for (const k of key.operands) if (!(await matches(k, m, scope))) return false;
      return true;
  }
}
