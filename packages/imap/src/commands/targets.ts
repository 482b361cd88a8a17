import type { SequenceSet } from '../sequence-set.ts';
import { selectFromSet } from '../sequence-set.ts';
import type { MailboxView } from '../session/mailbox-view.ts';

export interface Target {
  seq: number;
  uid: number;
}

/** The messages a sequence set (or UID set) names in the client's view, ascending. */
export function resolveTargets(view: MailboxView, set: SequenceSet, uid: boolean): Target[] {
  if (set.kind === 'saved') return [];
  if (uid) {
    const index = new Map(view.uids.map((u, i) => [u, i + 1]));
    return selectFromSet(set, view.uids).map((u) => ({ seq: index.get(u)!, uid: u }));
  }
  const seqs = view.uids.map((_, i) => i + 1);
  return selectFromSet(set, seqs).map((seq) => ({ seq, uid: view.uids[seq - 1]! }));
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
