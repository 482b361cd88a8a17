import type { Folder } from './mailbox.ts';

/**
 * COPY between folders of any two backends, through the seam alone: each message is read
 * from `source` and appended to `target` with its flags and internal date, in UID order.
 * Returns [sourceUid, targetUid] pairs in that order (IMAP COPYUID). All or nothing: when
 * an append fails (quota, a full disk), the copies already made are expunged from the
 * target before the refusal is thrown, so a client told NO finds no partial copy.
 *
 * A backend calls this when the target is not one of its own folders; between two of its
 * own it may take a faster path (Maildir links the files).
 */
export async function copyThroughSeam(
  source: Folder,
  uids: number[],
  target: Folder,
): Promise<Array<[number, number]>> {
  const metas = new Map(source.messages().map((m) => [m.uid, m]));
  const list = [...new Set(uids)].filter((uid) => metas.has(uid)).sort((a, b) => a - b);
  const pairs: Array<[number, number]> = [];
  try {
    for (const uid of list) {
      const meta = metas.get(uid)!;
      const blob = { size: meta.size, open: () => source.read(uid) };
      // A copy is \Recent in the target (RFC 3501 6.4.7): left for a session to claim.
      const copied = await target.append(blob, {
        flags: meta.flags,
        internalDate: meta.internalDate,
        recent: true,
      });
      pairs.push([uid, copied.uid]);
    }
  } catch (err) {
    if (pairs.length > 0) await target.expunge(pairs.map(([, copied]) => copied)).catch(() => {});
    throw err;
  }
  return pairs;
}
