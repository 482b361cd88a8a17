/**
 * ENVELOPE, BODYSTRUCTURE, BODY and body sections of every message of the MIME corpus
 * (packages/core/test/corpus, test/helpers/imap-extra-messages.ts and the 229 generated
 * messages of RFC 5322 obsolete and odd syntax in test/helpers/imap-obsolete-messages.ts:
 * 275 messages) as our IMAP server
 * and Debian's Dovecot 2.3 answer them, compared item by item as wire text.
 *
 * The messages go into one Maildir through @mailstack/maildir; a copy of that Maildir (same
 * files, same dovecot-uidlist, so the same UIDs) is served by a throwaway Dovecot. Both are
 * asked the same commands over a raw socket (EXAMINE, so nothing sets \Seen):
 *   UID FETCH 1:* (ENVELOPE BODYSTRUCTURE BODY)
 *   UID FETCH 1:* (BODY[1.MIME] BODY[HEADER.FIELDS (SUBJECT)] BODY[1] RFC822.SIZE)
 *   UID FETCH 1:* (BODY[HEADER] BODY[TEXT])
 *   UID FETCH <uid> (BODY[<n>] BODY[<n>.MIME] ...) for every part of each message, and
 *     BODY[<n>.HEADER] BODY[<n>.TEXT] for each message/rfc822 part (test/helpers/imap-sections.ts)
 * Every item must be the same on both sides, exactly, once each string is written in one form
 * (`canonicalValue`: RFC 3501 4.3 lets a server send any string quoted or as a literal, and
 * Dovecot sends literals for text with `"`, `\`, 8-bit bytes or unfolded line breaks where
 * we quote; the bytes of every string, NIL, numbers and the list shape must be equal). The
 * exceptions are the entries of ALLOWED_DIFFERENCES below: each names the message and item,
 * says why we differ on purpose, and gives our exact answer (so an allowed difference is still
 * checked, and one Dovecot stops making fails until its entry is removed).
 */
import { cpSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bufferBlob, summarizeBuffer } from '@mailstack/core';
import { createMaildirStore } from '@mailstack/maildir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../helpers/daemon.ts';
import { writeDirectoryFile } from '../helpers/directory-file.ts';
import { type DovecotInstance, startDovecot } from '../helpers/dovecot.ts';
import { EXTRA_MESSAGES } from '../helpers/imap-extra-messages.ts';
import { OBSOLETE_MESSAGES } from '../helpers/imap-obsolete-messages.ts';
import { canonicalValue, parseFetchResponse, RawImapClient, wireText } from '../helpers/imap-raw.ts';
import { existingSections } from '../helpers/imap-sections.ts';
import { type ImapServerProcess, startImapServer } from '../helpers/imap-server.ts';
import { REPO_ROOT } from '../helpers/mda.ts';
import { requirePrograms } from '../helpers/programs.ts';

const USER = 'corpus@example.test';
const PASSWORD = 'secret';
const CORPUS_DIR = join(REPO_ROOT, 'packages/core/test/corpus');

const FETCHES = [
  'UID FETCH 1:* (ENVELOPE BODYSTRUCTURE BODY)',
  'UID FETCH 1:* (BODY[1.MIME] BODY[HEADER.FIELDS (SUBJECT)] BODY[1] RFC822.SIZE)',
  'UID FETCH 1:* (BODY[HEADER] BODY[TEXT])',
];

/**
 * Subject, From, To, Date and Message-ID occur at most once (RFC 5322 3.6), and RFC 3501 does
 * not say which of repeated ones ENVELOPE shows. We take the first occurrence of every field,
 * as for Content-Type (where Dovecot takes the first too); Dovecot takes the last
 * Subject/Date/Message-ID and joins repeated address fields into one list.
 */
const DUPLICATES =
  'repeated envelope fields (RFC 5322 3.6 allows one): the first of each counts; Dovecot ' +
  'shows the last Subject/Date/Message-ID and concatenates repeated From/To';
/**
 * Type, subtype and parameter names are case-insensitive (RFC 2045 5.1, RFC 2183 2.8); the
 * summary lower-cases them once (core's MimePart contract) so every consumer compares plainly.
 * Dovecot sends the sender's spelling. Values keep their case on both sides.
 */
const CASE =
  'type, subtype and parameter names go out lower-cased (case-insensitive per RFC 2045 5.1); ' +
  "Dovecot keeps the sender's case (TEXT/HTML, CHARSET, FILENAME)";

const INVALID_TYPE =
  'Content-Type `;;; this is not a type` does not parse, and RFC 2045 5.2 says to assume the ' +
  'default `text/plain; charset=us-ascii` for a missing or syntactically invalid one; Dovecot ' +
  'answers an empty type and subtype (`"" ""`), which names no media type at all';

/** RFC 5322 4.4: obs-local-part = word *("." word), and a word may have CFWS around it. */
const OBS_LOCAL =
  'obsolete local part with CFWS around its dots (`alice . smith @ example . org`, a comment ' +
  'between the words): RFC 5322 4.4 reads it as alice.smith@example.org; Dovecot fails the ' +
  'address and shows its words as a name with MISSING_MAILBOX@MISSING_DOMAIN';

const NULL_MEMBERS =
  'RFC 5322 4.4 (obs-addr-list): null members between or before commas are to be ignored; ' +
  'Dovecot reports each as an address MISSING_MAILBOX@MISSING_DOMAIN, a recipient that is not there';

const TABS =
  'RFC 5322 2.2.3 unfolding removes only the CRLF and keeps the WSP (a TAB stays a TAB); ' +
  'Dovecot turns tabs into spaces for display';

const TRAILING =
  'RFC 5322 3.2.5: unstructured text ends with *WSP, part of the field body; Dovecot trims ' +
  'trailing blanks of the Subject for display';

const BLANK_ID =
  'a Message-ID of only blanks: we send the field body without the blanks (an empty string, as ' +
  'for every other field); Dovecot sends the blanks';

/**
 * Where we knowingly answer differently from Dovecot: `message name → item → our answer`, with
 * the reason. Only RFC-correct answers of ours belong here.
 */
const ALLOWED_DIFFERENCES: Record<string, Record<string, { ours: string; why: string }>> = {
  '07-broken-content-type.eml': {
    BODYSTRUCTURE: {
      why: INVALID_TYPE,
      ours: '("text" "plain" ("charset" "us-ascii") NIL NIL "quoted-printable" 16 1 NIL NIL NIL NIL)',
    },
    BODY: {
      why: INVALID_TYPE,
      ours: '("text" "plain" ("charset" "us-ascii") NIL NIL "quoted-printable" 16 1)',
    },
  },
  '08-folded-headers.eml': {
    ENVELOPE: {
      why:
        'RFC 5322 2.2.3 unfolding removes only the CRLF: `over CRLF TAB three` is `over<TAB>three` ' +
        '(Dovecot turns the tab into a space). The Message-ID value starts on a continuation line: we ' +
        'drop its leading whitespace (CFWS around msg-id) as on an unfolded line; Dovecot keeps ' +
        '` <folded.1@example.org>`, which a client matching In-Reply-To/References would miss.',
      ours: '("Mon, 23 Nov 2026 08:04:00 +0000" "a subject folded over\tthree lines" (("Alice Example" NIL "alice" "example.org")) (("Alice Example" NIL "alice" "example.org")) (("Alice Example" NIL "alice" "example.org")) (("Bob" NIL "bob" "example.net")("Carol" NIL "carol" "example.net")("Dave" NIL "dave" "example.net")) NIL NIL NIL "<folded.1@example.org>")',
    },
  },
  '09-duplicate-headers.eml': {
    ENVELOPE: {
      why: DUPLICATES,
      ours: '("Mon, 23 Nov 2026 08:05:00 +0000" "first subject" ((NIL NIL "first" "example.org")) ((NIL NIL "first" "example.org")) ((NIL NIL "first" "example.org")) ((NIL NIL "bob" "example.net")) NIL NIL NIL NIL)',
    },
  },
  '15-mixed-with-attachments.eml': {
    BODYSTRUCTURE: {
      why: CASE,
      ours: '(("text" "plain" ("charset" "utf-8" "format" "flowed") NIL NIL "7bit" 22 1 NIL NIL ("en-GB" "de") NIL)("image" "png" ("name" "dot.png") "<dot@example.org>" "A single dot" "base64" 100 "Q2hlY2sgSW50ZWdyaXR5IQ==" ("attachment" ("filename" "dot.png" "size" "68")) NIL "https://example.org/dot.png")("text" "csv" ("charset" "us-ascii" "name" "data.csv") NIL NIL "7bit" 14 2 NIL ("ATTACHMENT" ("filename" "data.csv")) NIL NIL) "mixed" ("boundary" "outer-boundary") NIL NIL NIL)',
    },
  },
  '33-uppercase-types.eml': {
    BODYSTRUCTURE: {
      why: CASE,
      ours: '("text" "html" ("charset" "UTF-8" "format" "Flowed") NIL NIL "QUOTED-PRINTABLE" 14 1 NIL NIL NIL NIL)',
    },
    BODY: {
      why: CASE,
      ours: '("text" "html" ("charset" "UTF-8" "format" "Flowed") NIL NIL "QUOTED-PRINTABLE" 14 1)',
    },
  },
  'x05-duplicate-envelope-fields.eml': {
    ENVELOPE: {
      why: DUPLICATES,
      ours: '("Mon, 23 Nov 2026 09:04:00 +0000" "the first subject wins" ((NIL NIL "first" "example.org")) ((NIL NIL "first" "example.org")) ((NIL NIL "first" "example.org")) ((NIL NIL "one" "example.net")) NIL NIL NIL "<first@example.org>")',
    },
  },
  'x07-null-list-members.eml': {
    ENVELOPE: {
      why:
        'RFC 5322 4.4 (obs-addr-list): null members between commas are to be ignored. Dovecot ' +
        'reports each as an address MISSING_MAILBOX@MISSING_DOMAIN, a recipient that is not there.',
      ours: '("Mon, 23 Nov 2026 09:06:00 +0000" "null members in address lists" ((NIL NIL "alice" "example.org")) ((NIL NIL "alice" "example.org")) ((NIL NIL "alice" "example.org")) ((NIL NIL "carol" "example.net")(NIL NIL "dave" "example.net")(NIL NIL "eve" "example.net")) ((NIL NIL "frank" "example.net")) NIL NIL NIL)',
    },
  },
  'g-to-006.eml': {
    ENVELOPE: {
      why: OBS_LOCAL,
      ours: '("Mon, 23 Nov 2026 10:00:00 +0000" "generated" (("Fixed" NIL "fixed" "example.org")) (("Fixed" NIL "fixed" "example.org")) (("Fixed" NIL "fixed" "example.org")) ((NIL NIL "alice.smith" "example.org")) NIL NIL NIL "<gen@example.org>")',
    },
  },
  'g-to-007.eml': {
    ENVELOPE: {
      why: OBS_LOCAL,
      ours: '("Mon, 23 Nov 2026 10:00:00 +0000" "generated" (("Fixed" NIL "fixed" "example.org")) (("Fixed" NIL "fixed" "example.org")) (("Fixed" NIL "fixed" "example.org")) (("dot comment" NIL "alice.smith" "example.org")) NIL NIL NIL "<gen@example.org>")',
    },
  },
  'g-to-078.eml': {
    ENVELOPE: {
      why: NULL_MEMBERS,
      ours: '("Mon, 23 Nov 2026 10:00:00 +0000" "generated" (("Fixed" NIL "fixed" "example.org")) (("Fixed" NIL "fixed" "example.org")) (("Fixed" NIL "fixed" "example.org")) ((NIL NIL "alice" "example.org")) NIL NIL NIL "<gen@example.org>")',
    },
  },
  'g-to-079.eml': {
    ENVELOPE: {
      why: NULL_MEMBERS,
      ours: '("Mon, 23 Nov 2026 10:00:00 +0000" "generated" (("Fixed" NIL "fixed" "example.org")) (("Fixed" NIL "fixed" "example.org")) (("Fixed" NIL "fixed" "example.org")) ((NIL NIL "alice" "example.org")(NIL NIL "bob" "example.net")) NIL NIL NIL "<gen@example.org>")',
    },
  },
  'g-to-080.eml': {
    ENVELOPE: {
      why: NULL_MEMBERS,
      ours: '("Mon, 23 Nov 2026 10:00:00 +0000" "generated" (("Fixed" NIL "fixed" "example.org")) (("Fixed" NIL "fixed" "example.org")) (("Fixed" NIL "fixed" "example.org")) ((NIL NIL "alice" "example.org")(NIL NIL "bob" "example.net")) NIL NIL NIL "<gen@example.org>")',
    },
  },
  'g-from-002.eml': {
    ENVELOPE: {
      why: OBS_LOCAL,
      ours: '("Mon, 23 Nov 2026 10:00:00 +0000" "generated" ((NIL NIL "alice.smith" "example.org")) ((NIL NIL "alice.smith" "example.org")) ((NIL NIL "alice.smith" "example.org")) NIL ((NIL NIL "alice.smith" "example.org")) ((NIL NIL "alice.smith" "example.org")) NIL "<gen@example.org>")',
    },
  },
  'g-from-026.eml': {
    ENVELOPE: {
      why: NULL_MEMBERS,
      ours: '("Mon, 23 Nov 2026 10:00:00 +0000" "generated" ((NIL NIL "alice" "example.org")) ((NIL NIL "alice" "example.org")) ((NIL NIL "alice" "example.org")) NIL ((NIL NIL "alice" "example.org")) ((NIL NIL "alice" "example.org")) NIL "<gen@example.org>")',
    },
  },
  'g-subject-004.eml': {
    ENVELOPE: {
      why: TABS,
      ours: '("Mon, 23 Nov 2026 10:00:00 +0000" "folded over\tthree lines" ((NIL NIL "a" "example.org")) ((NIL NIL "a" "example.org")) ((NIL NIL "a" "example.org")) NIL NIL NIL NIL NIL)',
    },
  },
  'g-subject-005.eml': {
    ENVELOPE: {
      why: TRAILING,
      ours: '("Mon, 23 Nov 2026 10:00:00 +0000" "leading and trailing spaces  " ((NIL NIL "a" "example.org")) ((NIL NIL "a" "example.org")) ((NIL NIL "a" "example.org")) NIL NIL NIL NIL NIL)',
    },
  },
  'g-subject-015.eml': {
    ENVELOPE: {
      why: TABS,
      ours: '("Mon, 23 Nov 2026 10:00:00 +0000" "tab\tinside" ((NIL NIL "a" "example.org")) ((NIL NIL "a" "example.org")) ((NIL NIL "a" "example.org")) NIL NIL NIL NIL NIL)',
    },
  },
  'g-ids-007.eml': {
    ENVELOPE: {
      why: BLANK_ID,
      ours: '(NIL "ids" ((NIL NIL "a" "example.org")) ((NIL NIL "a" "example.org")) ((NIL NIL "a" "example.org")) NIL NIL NIL "<>" "")',
    },
  },
};

const messages: Array<{ name: string; body: Buffer }> = [
  ...readdirSync(CORPUS_DIR)
    .filter((f) => f.endsWith('.eml'))
    .sort()
    .map((name) => ({ name, body: readFileSync(join(CORPUS_DIR, name)) })),
  ...EXTRA_MESSAGES,
  ...OBSOLETE_MESSAGES,
];

type Answers = Map<number, Map<string, string>>;

/** Logs in, EXAMINEs INBOX, runs FETCHES; items per UID, keyed by the item name upper-cased. */
async function fetchAll(port: number, perMessage: Map<number, string>): Promise<Answers> {
  const { client } = await RawImapClient.connect(port);
  try {
    await client.ok(`LOGIN ${USER} ${PASSWORD}`);
    await client.ok('EXAMINE INBOX');
    const answers: Answers = new Map();
    for (const command of [...FETCHES, ...perMessage.values()]) {
      for (const response of await client.ok(command)) {
        const fetch = parseFetchResponse(response);
        if (fetch === undefined) continue;
        const uid = Number(fetch.items.find(([n]) => n.toUpperCase() === 'UID')?.[1]);
        const items = answers.get(uid) ?? new Map<string, string>();
        for (const [name, value] of fetch.items) items.set(name.toUpperCase(), value);
        answers.set(uid, items);
      }
    }
    return answers;
  } finally {
    await client.close();
  }
}

let tmp: ReturnType<typeof makeTempDir> | undefined;
let ours: ImapServerProcess | undefined;
let dovecot: DovecotInstance | undefined;
const uidOf = new Map<string, number>();
/** The body sections fetched per message, besides those of FETCHES. */
const sectionsOf = new Map<string, string[]>();
let ourAnswers: Answers = new Map();
let dovecotAnswers: Answers = new Map();

beforeAll(async () => {
  requirePrograms('dovecot', 'dovecotImap');
  tmp = makeTempDir('imap-bodystructure');
  const ourRoot = join(tmp.path, 'ours');
  const dovecotRoot = join(tmp.path, 'dovecot');
  mkdirSync(ourRoot);
  const store = createMaildirStore({ root: ourRoot });
  for (const m of messages) uidOf.set(m.name, (await store.deliver(USER, bufferBlob(m.body))).uid);
  // Dovecot gets its own copy: it writes its index files next to ours and chowns the tree.
  cpSync(ourRoot, dovecotRoot, { recursive: true });

  const directory = join(tmp.path, 'directory.json');
  await writeDirectoryFile(directory, [USER], PASSWORD);
  ours = await startImapServer({ data: ourRoot, directory, cleartextOnLoopback: true });
  dovecot = await startDovecot({ users: { [USER]: PASSWORD }, mailRoot: dovecotRoot });
  // Then every section each message has (part bodies, MIME headers, encapsulated HEADER/TEXT).
  const perMessage = new Map<number, string>();
  for (const m of messages) {
    const sections = existingSections(summarizeBuffer(m.body).structure);
    sectionsOf.set(m.name, sections);
    const uid = uidOf.get(m.name) ?? 0;
    perMessage.set(uid, `UID FETCH ${uid} (${sections.map((s) => `BODY[${s}]`).join(' ')})`);
  }
  ourAnswers = await fetchAll(ours.port, perMessage);
  dovecotAnswers = await fetchAll(dovecot.ports.imap, perMessage);
});

afterAll(async () => {
  await ours?.stop();
  await dovecot?.stop();
  tmp?.remove();
});

describe('FETCH of the MIME corpus: our IMAP server and Dovecot answer alike', () => {
  it('covers at least 200 messages, all under the same UIDs on both servers', () => {
    expect(messages.length).toBeGreaterThanOrEqual(200);
    expect([...ourAnswers.keys()].sort((a, b) => a - b)).toEqual([...uidOf.values()]);
    expect([...dovecotAnswers.keys()].sort((a, b) => a - b)).toEqual([...uidOf.values()]);
  });

  it('fetches every part of every message: 150+ body sections, down to nesting level 10', () => {
    const all = [...sectionsOf.values()].flat();
    expect(all.length).toBeGreaterThan(150);
    expect(all).toContain('1.1.1.1.1.1.1.1.1.1');
    expect(all).toContain('1.1.HEADER');
  });

  it('every allow-list entry names a message of the corpus', () => {
    for (const name of Object.keys(ALLOWED_DIFFERENCES)) expect(uidOf.has(name), name).toBe(true);
  });

  for (const { name } of messages) {
    it(name, () => {
      const uid = uidOf.get(name) ?? 0;
      const mine = ourAnswers.get(uid) ?? new Map<string, string>();
      const theirs = dovecotAnswers.get(uid) ?? new Map<string, string>();
      expect([...mine.keys()].sort(), 'the same items').toEqual([...theirs.keys()].sort());
      for (const section of ['1', '1.MIME', 'HEADER', 'TEXT', ...(sectionsOf.get(name) ?? [])]) {
        expect(theirs.has(`BODY[${section}]`), `Dovecot answered BODY[${section}]`).toBe(true);
      }
      for (const item of [
        'ENVELOPE',
        'BODYSTRUCTURE',
        'BODY',
        'RFC822.SIZE',
        'BODY[HEADER.FIELDS (SUBJECT)]',
      ]) {
        expect(theirs.has(item), `Dovecot answered ${item}`).toBe(true);
      }
      const mismatches: string[] = [];
      for (const [item, theirWire] of theirs) {
        const ourWire = mine.get(item);
        const ourValue = ourWire === undefined ? undefined : canonicalValue(ourWire);
        const theirValue = canonicalValue(theirWire);
        const allowed = ALLOWED_DIFFERENCES[name]?.[item];
        if (allowed !== undefined) {
          expect(wireText(ourValue), `${name} ${item}: allowed difference (${allowed.why})`).toBe(
            allowed.ours,
          );
          expect(
            wireText(theirValue),
            `${name} ${item}: Dovecot now agrees; drop the allow-list entry`,
          ).not.toBe(allowed.ours);
        } else if (ourValue !== theirValue) {
          mismatches.push(`${item}\n  ours:    ${wireText(ourWire)}\n  dovecot: ${wireText(theirWire)}`);
        }
      }
      expect(mismatches, `${name} (UID ${uid}):\n${mismatches.join('\n')}`).toEqual([]);
    });
  }
});
