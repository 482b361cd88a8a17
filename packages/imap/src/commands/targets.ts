import type { SequenceSet } from '../sequence-set.ts';
import { sequenceSetIncludes } from '../sequence-set.ts';
import type { MailboxView } from '../session/mailbox-view.ts';

export interface Target {
  seq: number;
  uid: number;
}

/**
 * The messages a sequence set (or UID set) names in the client's view, ascending. Walks the
 * view once (no copy of its UID list), so `1:4294967295` costs what the mailbox holds.
 */
export function resolveTargets(view: MailboxView, set: SequenceSet, uid: boolean): Target[] {
  if (set.kind === 'saved') return [];
  const out: Target[] = [];
  const n = view.exists;
  const largest = uid ? view.lastUid : n;
  for (let seq = 1; seq <= n; seq++) {
    const u = view.uidAt(seq);
    if (sequenceSetIncludes(set, uid ? u : seq, largest)) out.push({ seq, uid: u });
  }
  return out;
}

/**
 * A message sequence number past the last message is a client error (RFC 3501 9,
 * seq-number). UID sets may name UIDs that do not exist.
 */
export function invalidSequence(view: MailboxView, set: SequenceSet, uid: boolean): boolean {
  if (uid || set.kind === 'saved') return false;
  // A range reaching `*` is always valid (1:* on an empty mailbox names nothing, as clients expect).
  return set.ranges.some((r) => r.start !== '*' && r.end !== '*' && Math.max(r.start, r.end) > view.exists);
}
