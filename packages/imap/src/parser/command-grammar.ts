/**
 * Per-command argument grammars (RFC 3501 section 6 and the extensions we advertise). Each
 * entry reads the arguments after `tag SP name` and checks the command ends there.
 */
import { isAtomChar } from './chars.ts';
import type { Cursor } from './cursor.ts';
import { fetchItems } from './fetch-grammar.ts';
import { searchArgs } from './search-grammar.ts';
import type { CommandArgsMap, CommandName, ListValue, StatusItem } from './types.ts';
import { dateTime, flag, flagList, mailbox, mailboxName } from './values.ts';

type Grammar<N extends CommandName> = (c: Cursor) => CommandArgsMap[N];

const none = (c: Cursor): Record<string, never> => {
  c.end();
  return {};
};

const STATUS_ITEMS = new Set<string>([
  'MESSAGES',
  'RECENT',
  'UIDNEXT',
  'UIDVALIDITY',
  'UNSEEN',
  'SIZE',
  'DELETED',
  'HIGHESTMODSEQ',
  'APPENDLIMIT',
]);

function statusItems(c: Cursor): StatusItem[] {
  return c.list(() => {
    const item = c.atom('status item').toUpperCase();
    if (!STATUS_ITEMS.has(item)) c.fail(`Unknown status item: ${item}`);
    return item as StatusItem;
  }, false);
}

/** Optional `SP (params)` after a mailbox (SELECT/EXAMINE/CREATE). */
function optionalParams(c: Cursor): ListValue[] {
  if (!c.optionalSp()) return [];
  return c.list(() => c.value());
}

function oneMailbox(c: Cursor): { mailbox: string } {
  c.sp();
  const m = mailbox(c);
  c.end();
  return { mailbox: m };
}

const utf8 = (b: Buffer): string => b.toString('utf8');

const STORE_OPS: Record<string, '+' | '-' | '='> = { '+': '+', '-': '-', '': '=' };

export const GRAMMARS: { [N in CommandName]: Grammar<N> } = {
  CAPABILITY: none,
  NOOP: none,
  LOGOUT: none,
  STARTTLS: none,
  CHECK: none,
  CLOSE: none,
  UNSELECT: none,
  IDLE: none,
  NAMESPACE: none,
  AUTHENTICATE(c) {
    c.sp();
    const mechanism = c.atom('mechanism').toUpperCase();
    if (!c.optionalSp()) return { mechanism };
    // SASL-IR (RFC 4959): base64 or "=" for an empty response.
    const initialResponse = c.chars(isAtomChar);
    if (!/^([A-Za-z0-9+/]*={0,2}|=)$/.test(initialResponse) || initialResponse === '') {
      c.fail('Invalid initial response');
    }
    c.end();
    return { mechanism, initialResponse };
  },
  LOGIN(c) {
    c.sp();
    const user = utf8(c.astring('user name'));
    c.sp();
    const password = utf8(c.astring('password'));
    c.end();
    return { user, password };
  },
  SELECT(c) {
    c.sp();
    const m = mailbox(c);
    const params = optionalParams(c);
    c.end();
    return { mailbox: m, params };
  },
  EXAMINE(c) {
    return GRAMMARS.SELECT(c);
  },
  CREATE(c) {
    return GRAMMARS.SELECT(c);
  },
  DELETE: oneMailbox,
  SUBSCRIBE: oneMailbox,
  UNSUBSCRIBE: oneMailbox,
  RENAME(c) {
    c.sp();
    const from = mailbox(c);
    c.sp();
    const to = mailbox(c);
    c.end();
    return { from, to };
  },
  LIST(c) {
    c.sp();
    let selection: string[] = [];
    if (c.peekChar() === '(') {
      selection = c.list(() => c.atom('selection option').toUpperCase());
      c.sp();
    }
    const reference = mailboxName(c, c.astring('reference'), false);
    c.sp();
    const patterns =
      c.peekChar() === '('
        ? c.list(() => mailboxName(c, c.listMailbox(), true, true), false)
        : [mailboxName(c, c.listMailbox(), true, true)];
    const out: CommandArgsMap['LIST'] = { reference, patterns, selection, return: [] };
    if (c.optionalSp()) {
      if (!c.accept('RETURN ')) c.fail('Expected RETURN');
      out.return = c.list(() => {
        const opt = c.atom('return option').toUpperCase();
        if (opt === 'STATUS') {
          c.sp();
          out.returnStatus = statusItems(c);
        }
        return opt;
      });
    }
    c.end();
    return out;
  },
  LSUB(c) {
    c.sp();
    const reference = mailboxName(c, c.astring('reference'), false);
    c.sp();
    const pattern = mailboxName(c, c.listMailbox(), true, true);
    c.end();
    return { reference, pattern };
  },
  STATUS(c) {
    c.sp();
    const m = mailbox(c);
    c.sp();
    const items = statusItems(c);
    c.end();
    return { mailbox: m, items };
  },
  APPEND(c) {
    c.sp();
    const m = mailbox(c);
    c.sp();
    let flags: string[] = [];
    let date: Date | undefined;
    if (c.peekChar() === '(') {
      flags = flagList(c);
      c.sp();
    }
    if (c.peekChar() === '"') {
      date = dateTime(c);
      c.sp();
    }
    if (!c.isLiteralNext()) c.fail('Expected the message as a literal');
    const lit = c.literal();
    c.end();
    const out: CommandArgsMap['APPEND'] = { mailbox: m, flags, message: lit.data, binary: lit.binary };
    if (date) out.date = date;
    return out;
  },
  EXPUNGE: none,
  SEARCH(c) {
    c.sp();
    const args = searchArgs(c);
    c.end();
    return args;
  },
  FETCH(c) {
    c.sp();
    const set = c.sequenceSet();
    c.sp();
    const items = fetchItems(c);
    const modifiers = optionalParams(c);
    c.end();
    return { set, ...items, modifiers };
  },
  STORE(c) {
    c.sp();
    const set = c.sequenceSet();
    c.sp();
    // RFC 7162 UNCHANGEDSINCE comes before the item name.
    let modifiers: ListValue[] = [];
    if (c.peekChar() === '(') {
      modifiers = c.list(() => c.value());
      c.sp();
    }
    const item = c.atom('store item').toUpperCase();
    const m = /^([+-]?)FLAGS(\.SILENT)?$/.exec(item);
    if (!m) return c.fail(`Invalid store item: ${item}`);
    c.sp();
    let flags: string[];
    if (c.peekChar() === '(') {
      flags = flagList(c);
    } else {
      flags = [flag(c)];
      while (c.optionalSp()) flags.push(flag(c));
    }
    c.end();
    return { set, op: STORE_OPS[m[1]!]!, silent: m[2] !== undefined, flags, modifiers };
  },
  COPY(c) {
    c.sp();
    const set = c.sequenceSet();
    c.sp();
    const m = mailbox(c);
    c.end();
    return { set, mailbox: m };
  },
  MOVE(c) {
    return GRAMMARS.COPY(c);
  },
  ENABLE(c) {
    c.sp();
    const capabilities = [c.atom('capability').toUpperCase()];
    while (c.optionalSp()) capabilities.push(c.atom('capability').toUpperCase());
    c.end();
    return { capabilities };
  },
  ID(c) {
    c.sp();
    if (c.peekChar() !== '(') {
      if (c.nstring() !== null) c.fail('Expected NIL or a parameter list');
      c.end();
      return { params: null };
    }
    const params: Array<[string, string | null]> = [];
    const items = c.list(() => c.nstring());
    if (items.length % 2 !== 0 || items.length > 60) c.fail('Invalid ID parameter list');
    for (let i = 0; i < items.length; i += 2) {
      const key = items[i];
      if (!key) return c.fail('ID field name must be a string');
      const value = items[i + 1];
      params.push([utf8(key), value ? utf8(value) : null]);
    }
    c.end();
    return { params };
  },
};

/** Commands that take the UID prefix (RFC 3501 UID, RFC 4315 UID EXPUNGE, RFC 6851 UID MOVE). */
export const UID_COMMANDS = new Set<CommandName>(['COPY', 'MOVE', 'FETCH', 'SEARCH', 'STORE', 'EXPUNGE']);

export function uidExpunge(c: Cursor): CommandArgsMap['EXPUNGE'] {
  c.sp();
  const uids = c.sequenceSet();
  c.end();
  return { uids };
}
