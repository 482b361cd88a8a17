import { auth } from './auth.ts';
import { capa } from './capa.ts';
import { dele } from './dele.ts';
import { list } from './list.ts';
import { noop } from './noop.ts';
import { pass } from './pass.ts';
import { quit } from './quit.ts';
import { retr } from './retr.ts';
import { rset } from './rset.ts';
import { stat } from './stat.ts';
import { stls } from './stls.ts';
import { top } from './top.ts';
import type { Pop3Command } from './types.ts';
import { uidl } from './uidl.ts';
import { user } from './user.ts';

/** Every command by verb. APOP is absent on purpose: stored password hashes cannot answer it. */
export const COMMANDS: ReadonlyMap<string, Pop3Command> = new Map(
  [capa, user, pass, auth, stls, quit, stat, list, retr, dele, noop, rset, top, uidl].map((c) => [c.verb, c]),
);
