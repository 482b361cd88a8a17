import { createPop3Server } from '@mailstack/pop3';
import type { SharedState } from '../shared.ts';
import { startAccessAgent } from './access-agent.ts';
import type { RunningAgent } from './listen.ts';

/** POP3 over the store, STLS on the plain port, implicit TLS on the other. */
export function startPop3(shared: SharedState): Promise<RunningAgent> {
  return startAccessAgent(
    shared,
    'pop3',
    { none: 'pop3', starttls: 'pop3 (STLS)', implicit: 'pop3s (TLS)' },
    createPop3Server,
  );
}
