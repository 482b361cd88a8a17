import type { SpecialUse } from '@mailstack/core';
import type { ListValue } from '../parser/types.ts';
import { failed, refusedNewName, trimDelimiter } from './mailbox-errors.ts';
import type { CommandHandler } from './types.ts';
import { no, ok, userOf } from './types.ts';

const SPECIAL_USES: readonly SpecialUse[] = [
  '\\Sent',
  '\\Drafts',
  '\\Trash',
  '\\Junk',
  '\\Archive',
  '\\All',
  '\\Flagged',
];

/** RFC 6154 `CREATE name (USE (\\Sent))`: the one attribute, undefined without, null when unknown. */
function specialUseParam(params: ListValue[]): SpecialUse | undefined | null {
  const i = params.findIndex((p) => typeof p === 'string' && p.toUpperCase() === 'USE');
  if (i < 0) return undefined;
  const list = params[i + 1];
  if (!Array.isArray(list) || list.length !== 1 || typeof list[0] !== 'string') return null;
  const wanted = list[0].toLowerCase();
  return SPECIAL_USES.find((u) => u.toLowerCase() === wanted) ?? null;
}

export const create: CommandHandler<'CREATE'> = {
  name: 'CREATE',
  states: ['authenticated', 'selected'],
  async handle(ctx, cmd) {
    const name = trimDelimiter(cmd.args.mailbox);
    if (name.toUpperCase() === 'INBOX') return no('INBOX always exists', { code: 'ALREADYEXISTS' });
    const refused = refusedNewName(name);
    if (refused) return refused;
    const use = specialUseParam(cmd.args.params);
    if (use === null) return no('unknown special-use attribute', { code: 'USEATTR' });
    try {
      await ctx.store.createFolder(userOf(ctx), name, use);
    } catch (err) {
      return failed(err);
    }
    return ok('CREATE completed');
  },
};
