import type { FolderInfo } from '@mailstack/core';
import type { Response } from '../writer/types.ts';
import type { CommandHandler, SessionContext } from './types.ts';
import { ok, userOf } from './types.ts';

const DELIMITER = '/';

/** LIST/LSUB pattern → RegExp: `*` anything, `%` anything but the delimiter; INBOX any case. */
export function patternToRegExp(pattern: string): RegExp {
  let p = pattern;
  if (/^inbox(?:\/|$)/i.test(p)) p = `INBOX${p.slice(5)}`;
  let src = '';
  for (const ch of p) {
    if (ch === '*') src += '.*';
    else if (ch === '%') src += '[^/]*';
    else src += ch.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${src}$`, 's');
}

function combine(reference: string, pattern: string): string {
  if (!reference) return pattern;
  if (pattern.startsWith(DELIMITER)) return pattern;
  return reference.endsWith(DELIMITER) ? reference + pattern : `${reference}${DELIMITER}${pattern}`;
}

interface Entry {
  name: string;
  info?: FolderInfo;
}

/** Folders plus parents implied by a child (\Noselect), sorted with INBOX first. */
function entries(folders: FolderInfo[]): Entry[] {
  const map = new Map<string, Entry>();
  for (const f of folders) map.set(f.name, { name: f.name, info: f });
  if (!map.has('INBOX')) map.set('INBOX', { name: 'INBOX', info: { name: 'INBOX', subscribed: true } });
  for (const f of folders) {
    const levels = f.name.split(DELIMITER);
    for (let i = 1; i < levels.length; i++) {
      const parent = levels.slice(0, i).join(DELIMITER);
      if (!map.has(parent)) map.set(parent, { name: parent });
    }
  }
  return [...map.values()].sort((a, b) =>
    a.name === 'INBOX' ? -1 : b.name === 'INBOX' ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
}

/**
 * RFC 3501 6.3.9: when `foo/bar` is subscribed and `foo` is not, LSUB with a `%` that matches
 * `foo` but not `foo/bar` returns `foo` flagged \\Noselect (whether or not `foo` exists):
 * the nearest such ancestor of every subscribed name the pattern does not match itself.
 */
function unsubscribedParents(all: Entry[], matches: (name: string) => boolean): Set<string> {
  const subscribed = new Set(all.filter((e) => e.info?.subscribed).map((e) => e.name));
  const parents = new Set<string>();
  for (const name of subscribed) {
    if (matches(name)) continue;
    const levels = name.split(DELIMITER);
    for (let i = levels.length - 1; i >= 1; i--) {
      const parent = levels.slice(0, i).join(DELIMITER);
      if (subscribed.has(parent)) break;
      if (matches(parent)) {
        parents.add(parent);
        break;
      }
    }
  }
  return parents;
}

async function listing(
  ctx: SessionContext,
  type: 'list' | 'lsub',
  reference: string,
  patterns: string[],
  subscribedOnly: boolean,
  specialUseOnly = false,
): Promise<void> {
  if (type === 'list' && patterns.length === 1 && patterns[0] === '') {
    await ctx.send({ type: 'list', attributes: ['\\Noselect'], delimiter: DELIMITER, mailbox: '' });
    return;
  }
  const all = entries(await ctx.store.listFolders(userOf(ctx)));
  const names = all.map((e) => e.name);
  const regexps = patterns.map((p) => patternToRegExp(combine(reference, p)));
  const matches = (name: string): boolean => regexps.some((r) => r.test(name));
  const parents = type === 'lsub' ? unsubscribedParents(all, matches) : new Set<string>();
  const out: Response[] = [];
  for (const e of all) {
    if (parents.has(e.name)) {
      out.push({ type, attributes: ['\\Noselect'], delimiter: DELIMITER, mailbox: e.name });
      continue;
    }
    if (!matches(e.name)) continue;
    if (subscribedOnly && !e.info?.subscribed) continue;
    if (specialUseOnly && !e.info?.specialUse) continue;
    const attributes: string[] = [];
    if (!e.info) attributes.push('\\Noselect');
    const prefix = e.name + DELIMITER;
    attributes.push(names.some((n) => n.startsWith(prefix)) ? '\\HasChildren' : '\\HasNoChildren');
    if (e.info?.specialUse) attributes.push(e.info.specialUse);
    if (subscribedOnly && type === 'list') attributes.push('\\Subscribed');
    out.push({ type, attributes, delimiter: DELIMITER, mailbox: e.name });
  }
  await ctx.sendAll(out);
}

export const list: CommandHandler<'LIST'> = {
  name: 'LIST',
  states: ['authenticated', 'selected'],
  async handle(ctx, cmd) {
    const { reference, patterns, selection } = cmd.args;
    // RFC 5258 selection options: SUBSCRIBED, and RFC 6154's SPECIAL-USE.
    await listing(
      ctx,
      'list',
      reference,
      patterns,
      selection.includes('SUBSCRIBED'),
      selection.includes('SPECIAL-USE'),
    );
    return ok('LIST completed');
  },
};

export const lsub: CommandHandler<'LSUB'> = {
  name: 'LSUB',
  states: ['authenticated', 'selected'],
  async handle(ctx, cmd) {
    await listing(ctx, 'lsub', cmd.args.reference, [cmd.args.pattern], true);
    return ok('LSUB completed');
  },
};
