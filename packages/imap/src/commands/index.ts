import type { CommandName } from '../parser/types.ts';
import { append } from './append.ts';
import { authenticate } from './authenticate.ts';
import { capability } from './capability.ts';
import { check } from './check.ts';
import { close } from './close.ts';
import { copy } from './copy.ts';
import { create } from './create.ts';
import { deleteCommand } from './delete.ts';
import { enable } from './enable.ts';
import { expunge } from './expunge.ts';
import { fetch } from './fetch.ts';
import { id } from './id.ts';
import { idle } from './idle.ts';
import { list, lsub } from './list.ts';
import { loginCommand } from './login.ts';
import { logout } from './logout.ts';
import { move } from './move.ts';
import { namespace } from './namespace.ts';
import { noop } from './noop.ts';
import { rename } from './rename.ts';
import { search } from './search.ts';
import { examine, select } from './select.ts';
import { starttls } from './starttls.ts';
import { status } from './status.ts';
import { store } from './store.ts';
import { subscribe, unsubscribe } from './subscribe.ts';
import type { CommandHandler } from './types.ts';
import { unselect } from './unselect.ts';

const ALL = [
  capability,
  noop,
  check,
  logout,
  starttls,
  id,
  enable,
  namespace,
  idle,
  loginCommand,
  authenticate,
  select,
  examine,
  close,
  unselect,
  list,
  lsub,
  create,
  deleteCommand,
  rename,
  subscribe,
  unsubscribe,
  status,
  fetch,
  store,
  expunge,
  copy,
  move,
  append,
  search,
] as unknown as CommandHandler<never>[];

/** Every implemented command by verb (one file per verb); the dispatcher answers BAD for the rest. */
export const HANDLERS: ReadonlyMap<CommandName, CommandHandler<never>> = new Map(ALL.map((h) => [h.name, h]));
