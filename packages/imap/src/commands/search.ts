import { readAhead } from '../fetch/ahead.ts';
import { collect } from '../fetch/read.ts';
import { decodedBodyText, mayNeedDecoding } from '../search/body-text.ts';
import { matches, needsContent } from '../search/evaluate.ts';
import type { CommandHandler } from './types.ts';
import { ok, selected } from './types.ts';

export const search: CommandHandler<'SEARCH'> = {
  name: 'SEARCH',
  states: ['selected'],
  noExpungeAfter: (cmd) => !cmd.uid,
  async handle(ctx, cmd) {
    const { view } = selected(ctx);
    await view.refreshQuietly();
    const key = cmd.args.criteria;
    const withContent = needsContent(key);
    const scope = { largestSeq: view.exists, largestUid: view.lastUid };
    const ids: number[] = [];
    const test = async (seq: number): Promise<number | null> => {
      const uid = view.uidAt(seq);
      const meta = view.meta(uid);
      if (!meta) return null;
      let cached: Promise<Buffer> | undefined;
      let decoded: Promise<string> | undefined;
      const subject = {
        seq,
        uid,
        meta,
        flags: meta.flags,
        recent: view.recent.has(uid),
        // Read at most once per message, and only when a key needs the text.
        content: () => {
          cached ??= collect(view.folder.read(uid));
          return cached;
        },
        // Called after the raw bytes did not match: only what they did not show as text is
        // decoded, and a message that declares no encoding or charset needs no MIME parse.
        bodyText: () => {
          decoded ??= subject
            .content()
            .then(async (raw) =>
              mayNeedDecoding(raw)
                ? decodedBodyText(raw, (await view.folder.summary(uid)).structure, true)
                : '',
            );
          return decoded;
        },
      };
      try {
        return (await matches(key, subject, scope)) ? (cmd.uid ? uid : seq) : null;
      } finally {
        if (withContent && cached) await cached.catch(() => {});
      }
    };
    const seqs = Array.from({ length: scope.largestSeq }, (_, i) => i + 1);
    // Messages whose text a key needs are read a few at a time, answers kept in order.
    await readAhead(seqs, withContent ? SEARCH_AHEAD : 1, test, (id) => {
      if (id !== null) ids.push(id);
    });
    await ctx.send({ type: 'search', ids });
    return ok(`${cmd.uid ? 'UID SEARCH' : 'SEARCH'} completed`);
  },
};

/** Messages read at once by a SEARCH that needs their text. */
const SEARCH_AHEAD = 8;
