import { sizeBytes } from '@mailstack/config';
import { createImapServer } from '@mailstack/imap';
import type { SharedState } from '../shared.ts';
import { startAccessAgent } from './access-agent.ts';
import type { RunningAgent } from './listen.ts';

/** IMAP over the store, STARTTLS on the plain port, implicit TLS on the other. */
export function startImap(shared: SharedState): Promise<RunningAgent> {
  const maxAppendSize = sizeBytes(shared.config.limits.appendSize);
  return startAccessAgent(
    shared,
    'imap',
    { none: 'imap', starttls: 'imap (STARTTLS)', implicit: 'imaps (TLS)' },
    (options) => createImapServer({ ...options, maxAppendSize }),
  );
}
