import type { MessageSummary } from '@mailstack/core';
import { readAhead } from '../fetch/ahead.ts';
import { collect, primed } from '../fetch/read.ts';
import { filterHeader, locateSection, type SectionSource } from '../fetch/sections.ts';
import { formatSectionLabel } from '../parser/fetch-grammar.ts';
import type { FetchAttribute } from '../parser/types.ts';
import type { MailboxView } from '../session/mailbox-view.ts';
import { isNotFound } from '../session/store-errors.ts';
import { CACHE_KEYS, envelopeWire, structureWire } from '../writer/cached.ts';
import { ResponseStreamError } from '../writer/response-writer.ts';
import type { FetchItem, StreamedLiteral } from '../writer/types.ts';
import { invalidSequence, resolveTargets, type Target } from './targets.ts';
import type { CommandHandler } from './types.ts';
import { bad, no, ok, selected } from './types.ts';

/** Whether fetching this attribute sets \Seen (RFC 3501 6.4.5). */
function marksSeen(a: FetchAttribute): boolean {
  if (a.kind === 'section') return a.name === 'BODY' && !a.peek;
  return a.name === 'RFC822' || a.name === 'RFC822.TEXT';
}

/** Needs the MIME tree whatever the cache holds (BODY/BODYSTRUCTURE only on a cache miss). */
function needsSummary(a: FetchAttribute): boolean {
  if (a.kind === 'section') return a.section.part.length > 0 || !!a.section.specifier;
  return a.name === 'RFC822.HEADER' || a.name === 'RFC822.TEXT';
}

/** Below this a body section is read into one buffer: no stream objects per message. */
const BUFFERED_LITERAL = 256 * 1024;

/**
 * ENVELOPE, BODY or BODYSTRUCTURE from the store's text cache; on a miss serialised (ENVELOPE
 * from the header alone unless the summary is at hand) and cached for the next FETCH.
 */
async function cachedItem(
  view: MailboxView,
  uid: number,
  name: 'ENVELOPE' | 'BODY' | 'BODYSTRUCTURE',
  summary: () => Promise<MessageSummary>,
  known: MessageSummary | null,
): Promise<FetchItem> {
  const key = CACHE_KEYS[name];
  const hit = view.folder.cachedText(uid, key);
  if (hit !== undefined) return { name: 'WIRE', text: hit };
  const text =
    name === 'ENVELOPE'
      ? envelopeWire(known ? known.envelope : await view.folder.envelope(uid))
      : structureWire(name, (known ?? (await summary())).structure);
  view.folder.cacheText(uid, key, text);
  return { name: 'WIRE', text };
}

/** The bytes of one section: streamed ranges, buffered filtered headers. */
async function sectionData(
  view: MailboxView,
  uid: number,
  source: SectionSource,
  partial: { offset: number; length: number } | undefined,
): Promise<Buffer | StreamedLiteral | null> {
  // A section the message does not have is NIL, as Dovecot answers.
  if (source.kind === 'nil') return null;
  if (source.kind === 'fields') {
    const header = await collect(view.folder.read(uid, { start: source.start, end: source.end }));
    const filtered = filterHeader(header, source.fields, source.not);
    return partial ? filtered.subarray(partial.offset, partial.offset + partial.length) : filtered;
  }
  let { start, end } = source;
  if (partial) {
    start = Math.min(start + partial.offset, end);
    end = Math.min(start + partial.length, end);
  }
  if (end <= start) return Buffer.alloc(0);
  const stream = view.folder.read(uid, { start, end });
  if (end - start <= BUFFERED_LITERAL) {
    const data = await collect(stream);
    // Shorter than the index says (the file changed under us): the message is not what we sized.
    if (data.length !== end - start) throw new Error(`read ${data.length} of ${end - start} bytes`);
    return data;
  }
  return { stream: await primed(stream), length: end - start };
}

export const fetch: CommandHandler<'FETCH'> = {
  name: 'FETCH',
  states: ['selected'],
  noExpungeAfter: (cmd) => !cmd.uid,
  async handle(ctx, cmd) {
    const { view } = selected(ctx);
    if (invalidSequence(view, cmd.args.set, cmd.uid)) return bad('invalid message sequence number');
    const attributes = [...cmd.args.attributes];
    if (attributes.some((a) => a.kind === 'section' && a.name !== 'BODY')) {
      return bad('BINARY is not supported', { code: 'CANNOT' });
    }
    // UID FETCH always answers with the UID (RFC 3501 6.4.8).
    if (cmd.uid && !attributes.some((a) => a.kind === 'simple' && a.name === 'UID')) {
      attributes.unshift({ kind: 'simple', name: 'UID' });
    }
    await view.refreshQuietly();
    const setsSeen = !view.readOnly && attributes.some(marksSeen);
    const wantsFlags = attributes.some((a) => a.kind === 'simple' && a.name === 'FLAGS');
    const wantsSummary = attributes.some(needsSummary);
    const prepare = async ({ seq, uid }: Target): Promise<Prepared> => {
      // Gone from the store but not yet EXPUNGEd to this client: the rest is answered and the
      // completion says OK [EXPUNGEISSUED] (RFC 9051 7.1, as Dovecot does); the EXPUNGE follows later.
      let meta = view.meta(uid);
      if (!meta) return EXPUNGED;
      let flagsChanged = false;
      if (setsSeen && !meta.flags.includes('\\Seen')) {
        view.noteFlags(await view.folder.setFlags([uid], '+', ['\\Seen']));
        meta = view.meta(uid);
        if (!meta) return EXPUNGED;
        flagsChanged = true;
      }
      const items: FetchItem[] = [];
      try {
        let summary: MessageSummary | null = wantsSummary ? await view.folder.summary(uid) : null;
        const summarise = async (): Promise<MessageSummary> => {
          summary ??= await view.folder.summary(uid);
          return summary;
        };
        for (const a of attributes) {
          if (a.kind === 'section') {
            // BODY[] needs no parse: the whole message is a range.
            const source: SectionSource = summary
              ? locateSection(summary.structure, meta.size, a.section)
              : { kind: 'range', start: 0, end: meta.size };
            items.push({
              name: 'SECTION',
              label: formatSectionLabel(a),
              data: await sectionData(view, uid, source, a.partial),
            });
            continue;
          }
          switch (a.name) {
            case 'UID':
              items.push({ name: 'UID', value: uid });
              break;
            case 'FLAGS':
              items.push({ name: 'FLAGS', flags: view.flagsOf(uid) });
              break;
            case 'INTERNALDATE':
              items.push({ name: 'INTERNALDATE', date: meta.internalDate });
              break;
            case 'RFC822.SIZE':
              items.push({ name: 'RFC822.SIZE', value: meta.size });
              break;
            case 'ENVELOPE':
            case 'BODY':
            case 'BODYSTRUCTURE':
              items.push(await cachedItem(view, uid, a.name, summarise, summary));
              break;
            case 'RFC822':
              items.push({
                name: 'SECTION',
                label: 'RFC822',
                data: await sectionData(view, uid, { kind: 'range', start: 0, end: meta.size }, undefined),
              });
              break;
            case 'RFC822.HEADER':
              items.push({
                name: 'SECTION',
                label: 'RFC822.HEADER',
                data: await sectionData(
                  view,
                  uid,
                  { kind: 'range', start: 0, end: summary!.structure.bodyStart },
                  undefined,
                ),
              });
              break;
            case 'RFC822.TEXT':
              items.push({
                name: 'SECTION',
                label: 'RFC822.TEXT',
                data: await sectionData(
                  view,
                  uid,
                  { kind: 'range', start: summary!.structure.bodyStart, end: meta.size },
                  undefined,
                ),
              });
              break;
            case 'MODSEQ':
              break;
          }
        }
        if (flagsChanged && !wantsFlags) items.push({ name: 'FLAGS', flags: view.flagsOf(uid) });
      } catch (err) {
        // Read before anything went out for this message: drop it and say so in the completion.
        destroyStreams(items);
        // Removed while we read it (by another session or process): expunged, not a failure.
        if (isNotFound(err) || !view.alive(uid)) return EXPUNGED;
        ctx.log.warn({ event: 'read-failed', uid, err: String(err) });
        return UNREADABLE;
      }
      return { seq, uid, items };
    };
    let unreadable = 0;
    let expunged = 0;
    // Messages are read a few ahead of the one being written, so the store's file reads overlap
    // each other and the socket writes instead of each waiting its turn (setting \\Seen keeps
    // the strict order: one message at a time).
    await readAhead(
      resolveTargets(view, cmd.args.set, cmd.uid),
      setsSeen ? 1 : READ_AHEAD,
      prepare,
      async (p) => {
        if (p === EXPUNGED) expunged++;
        else if (p === UNREADABLE) unreadable++;
        else {
          if (p.items.some((item) => item.name === 'FLAGS')) view.told(p.uid);
          try {
            await ctx.send({ type: 'fetch', seq: p.seq, items: p.items });
          } catch (err) {
            // Part of a literal is on the wire: only closing the connection keeps the client sane.
            throw err instanceof ResponseStreamError ? err : new ResponseStreamError(String(err));
          }
        }
      },
      (p) => {
        if (typeof p === 'object') destroyStreams(p.items);
      },
    );
    if (unreadable > 0) return no('some messages could not be read');
    if (expunged > 0) return ok('some messages were expunged meanwhile', { code: 'EXPUNGEISSUED' });
    return ok(`${cmd.uid ? 'UID FETCH' : 'FETCH'} completed`);
  },
};

const EXPUNGED = 'expunged';
const UNREADABLE = 'unreadable';
/** One message's FETCH response ready to write, or why there is none. */
type Prepared = { seq: number; uid: number; items: FetchItem[] } | typeof EXPUNGED | typeof UNREADABLE;
/** How many messages are read ahead of the one being written. */
const READ_AHEAD = 16;

function destroyStreams(items: readonly FetchItem[]): void {
  for (const item of items) if (item.name === 'SECTION' && isStreamed(item.data)) item.data.stream.destroy();
}

function isStreamed(data: Buffer | string | StreamedLiteral | null): data is StreamedLiteral {
  return data !== null && typeof data === 'object' && !Buffer.isBuffer(data);
}
