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
    for (let i = 0; i < scope.largestSeq; i++) {
      const uid = view.uidAt(i + 1);
      const meta = view.meta(uid);
      if (!meta || !view.alive(uid)) continue;
      let cached: Promise<Buffer> | undefined;
      let decoded: Promise<string> | undefined;
      const subject = {
        seq: i + 1,
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
      if (await matches(key, subject, scope)) ids.push(cmd.uid ? uid : i + 1);
      if (withContent && cached) await cached.catch(() => {});
    }
    await ctx.send({ type: 'search', ids });
    return ok(`${cmd.uid ? 'UID SEARCH' : 'SEARCH'} completed`);
  },
};
