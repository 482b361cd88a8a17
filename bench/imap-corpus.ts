/**
 * The IMAP bench's mail: realistic small messages (2-6 KB) in a few MIME shapes, written once
 * straight into a Maildir (cur/ files with Dovecot's `,S=,W=` sizes and `:2,` flags, plus a
 * dovecot-uidlist v3), then hard-linked into every user's Maildir of every server, so both
 * servers read the very same files. Deterministic: the same count gives the same folder.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The word `UID SEARCH TEXT` looks for; no filler word contains it. */
export const SEARCH_WORD = 'zanzibar';

export interface Corpus {
  /** The template Maildir (cur/ new/ tmp/ dovecot-uidlist). */
  maildir: string;
  /** Message file names in UID order (UID = index + 1). */
  names: string[];
  /** Wire (CRLF) size of each message, in UID order. */
  wireSizes: number[];
  /** dovecot-uidlist record lines (`<uid> :<base>`), in UID order. */
  uidRecords: string[];
  /** UIDs whose text contains SEARCH_WORD. */
  hits: number[];
  uidValidity: number;
}

const WORDS = (
  'the of and to in is that for it as was with be by on not he this are or his from at which but ' +
  'have an they you were her she there been one all we their has would when if so no what up out ' +
  'meeting report budget project quarter review invoice schedule update release server network ' +
  'customer support ticket deadline draft contract office travel lunch weekend agenda minutes ' +
  'design testing deploy branch merge build pipeline storage backup archive mailbox folder'
).split(' ');
const FIRST = ['Alice', 'Bob', 'Carol', 'Dave', 'Erin', 'Frank', 'Grace', 'Heidi', 'Ivan', 'Judy', 'Mallory'];
const LAST = [
  'Smith',
  'Jones',
  'Müller',
  'García',
  'Novak',
  'Kowalski',
  'Dubois',
  'Rossi',
  'Tanaka',
  'Olsen',
];
const DOMAINS = ['example.org', 'example.net', 'corp.example.com', 'mail.example.de'];

/** A small deterministic PRNG (mulberry32), so every run writes the same folder. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Shape {
  headers: string[];
  body: string;
}

/** Lines of filler text wrapped at ~72 columns, about `bytes` long; `word` inserted once when given. */
function paragraphs(rand: () => number, bytes: number, word?: string): string {
  const lines: string[] = [];
  let line = '';
  let total = 0;
  const at = word === undefined ? -1 : Math.floor(rand() * bytes);
  let placed = false;
  while (total < bytes) {
    let w = WORDS[Math.floor(rand() * WORDS.length)] as string;
    if (!placed && at >= 0 && total + line.length >= at) {
      w = word as string;
      placed = true;
    }
    if (line.length + w.length + 1 > 72) {
      lines.push(line);
      total += line.length + 1;
      line = '';
      if (rand() < 0.12) {
        lines.push('');
        total++;
      }
    }
    line = line === '' ? w : `${line} ${w}`;
  }
  if (line !== '') lines.push(line);
  if (word !== undefined && !placed) lines.push(word);
  return `${lines.join('\n')}\n`;
}

function person(rand: () => number): { name: string; address: string } {
  const first = FIRST[Math.floor(rand() * FIRST.length)] as string;
  const last = LAST[Math.floor(rand() * LAST.length)] as string;
  const domain = DOMAINS[Math.floor(rand() * DOMAINS.length)] as string;
  return { name: `${first} ${last}`, address: `${first.toLowerCase()}.${last.length}@${domain}` };
}

/** An address header value; names with 8-bit characters as RFC 2047 encoded words. */
function addr(p: { name: string; address: string }): string {
  const name = /[^\x20-\x7e]/.test(p.name)
    ? `=?UTF-8?B?${Buffer.from(p.name).toString('base64')}?=`
    : `"${p.name}"`;
  return `${name} <${p.address}>`;
}

function subjectOf(rand: () => number, i: number): string {
  const words = Array.from(
    { length: 3 + Math.floor(rand() * 5) },
    () => WORDS[Math.floor(rand() * WORDS.length)],
  );
  return `${words.join(' ')} #${i}`;
}

function base64Lines(data: Buffer): string {
  return `${(data.toString('base64').match(/.{1,76}/g) ?? []).join('\n')}\n`;
}

/** Quoted-printable of UTF-8 text (soft line breaks at 76). */
function quotedPrintable(text: string): string {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    let encoded = '';
    for (const byte of Buffer.from(line)) {
      encoded +=
        (byte >= 33 && byte <= 126 && byte !== 61) || byte === 32
          ? String.fromCharCode(byte)
          : `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
    while (encoded.length > 75) {
      let cut = 75;
      // Never split an =XX escape.
      if (encoded[cut - 1] === '=') cut -= 1;
      else if (encoded[cut - 2] === '=') cut -= 2;
      out.push(`${encoded.slice(0, cut)}=`);
      encoded = encoded.slice(cut);
    }
    out.push(encoded);
  }
  return `${out.join('\n')}\n`;
}

/** One message (LF line ends, as Maildir stores them) of 2-6 KB, shape chosen by `i`. */
export function makeBenchMessage(i: number, withWord: boolean): string {
  const rand = prng(i * 7919 + 17);
  const target = 2000 + Math.floor(rand() * 4000);
  const from = person(rand);
  const to = person(rand);
  const date = new Date(Date.UTC(2026, 0, 1) + i * 61_000);
  const word = withWord ? SEARCH_WORD : undefined;
  const headers = [
    `Return-Path: <${from.address}>`,
    `Received: from mx${i % 7}.example.net (mx${i % 7}.example.net [192.0.2.${i % 250}])\n\tby mail.bench.test with ESMTPS id ${i.toString(36)}\n\tfor <${to.address}>; ${date.toUTCString().replace('GMT', '+0000')}`,
    `Date: ${date.toUTCString().replace('GMT', '+0000')}`,
    `From: ${addr(from)}`,
    `To: ${addr(to)}`,
    `Message-ID: <${i}.${i.toString(36)}@bench.test>`,
    'MIME-Version: 1.0',
  ];
  let shape: Shape;
  const kind = i % 20;
  if (kind < 8) {
    // Plain text, 7bit.
    headers.push(`Subject: ${subjectOf(rand, i)}`, 'Content-Type: text/plain; charset=us-ascii');
    shape = { headers, body: paragraphs(rand, target - 700, word) };
  } else if (kind < 11) {
    // UTF-8 text, quoted-printable, encoded-word subject, a reply with Cc.
    const subject = `Re: Grüße zum ${subjectOf(rand, i)}`;
    headers.push(
      `Subject: =?UTF-8?B?${Buffer.from(subject).toString('base64')}?=`,
      `Cc: ${addr(person(rand))}, ${addr(person(rand))}`,
      `In-Reply-To: <${i - 1}.${(i - 1).toString(36)}@bench.test>`,
      `References: <${i - 2}.${(i - 2).toString(36)}@bench.test> <${i - 1}.${(i - 1).toString(36)}@bench.test>`,
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: quoted-printable',
    );
    shape = { headers, body: quotedPrintable(`Schöne Grüße,\n${paragraphs(rand, target - 1000, word)}`) };
  } else if (kind < 17) {
    // multipart/alternative: text and HTML.
    const boundary = `alt-${i.toString(36)}`;
    const text = paragraphs(rand, (target - 900) / 2, word);
    const html = `<html><body><p>${text.trim().replace(/\n\n/g, '</p>\n<p>')}</p></body></html>\n`;
    headers.push(
      `Subject: ${subjectOf(rand, i)}`,
      `Content-Type: multipart/alternative; boundary="${boundary}"`,
    );
    shape = {
      headers,
      body: `--${boundary}\nContent-Type: text/plain; charset=us-ascii\n\n${text}\n--${boundary}\nContent-Type: text/html; charset=us-ascii\n\n${html}\n--${boundary}--\n`,
    };
  } else {
    // multipart/mixed: a short note and a small base64 attachment.
    const boundary = `mix-${i.toString(36)}`;
    const attachment = Buffer.alloc(Math.max(300, Math.floor((target - 1500) * 0.6)));
    for (let b = 0; b < attachment.length; b++) attachment[b] = Math.floor(rand() * 256);
    headers.push(
      `Subject: ${subjectOf(rand, i)} (attachment)`,
      `Content-Type: multipart/mixed; boundary="${boundary}"`,
    );
    shape = {
      headers,
      body: `This is a multi-part message in MIME format.\n\n--${boundary}\nContent-Type: text/plain; charset=us-ascii\n\n${paragraphs(rand, 400, word)}\n--${boundary}\nContent-Type: application/pdf; name="report-${i}.pdf"\nContent-Disposition: attachment; filename="report-${i}.pdf"\nContent-Transfer-Encoding: base64\n\n${base64Lines(attachment)}\n--${boundary}--\n`,
    };
  }
  return `${shape.headers.join('\n')}\n\n${shape.body}`;
}

/** Flags as Maildir letters: most read, a few flagged or answered. */
function lettersOf(i: number): string {
  let letters = '';
  if (i % 31 === 0) letters += 'F';
  if (i % 19 === 0) letters += 'R';
  if (i % 10 < 7) letters += 'S';
  return letters;
}

/** Writes `count` messages into a fresh Maildir at `maildir`; about 3% of them contain SEARCH_WORD. */
export function writeCorpus(maildir: string, count: number): Corpus {
  for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(maildir, sub), { recursive: true });
  const secs = 1_767_225_600; // 2026-01-01
  const uidValidity = secs;
  const names: string[] = [];
  const wireSizes: number[] = [];
  const hits: number[] = [];
  const uidRecords: string[] = [];
  for (let i = 1; i <= count; i++) {
    const withWord = i % 33 === 7;
    if (withWord) hits.push(i);
    const text = Buffer.from(makeBenchMessage(i, withWord));
    let lines = 0;
    for (let b = text.indexOf(10); b >= 0; b = text.indexOf(10, b + 1)) lines++;
    const base = `${secs + i}.M${i}P1Q${i}.bench,S=${text.length},W=${text.length + lines}`;
    const name = `${base}:2,${lettersOf(i)}`;
    writeFileSync(join(maildir, 'cur', name), text);
    names.push(name);
    wireSizes.push(text.length + lines);
    uidRecords.push(`${i} :${base}`);
  }
  const corpus = { maildir, names, wireSizes, uidRecords, hits, uidValidity };
  writeUidList(corpus, count, maildir);
  return corpus;
}

/**
 * A user's INBOX holding the corpus's first `count` messages: message files hard-linked (same
 * inodes, no extra disk or page cache), a dovecot-uidlist of its own, so each server's
 * bookkeeping (index, caches, uidlist rewrites) stays its own.
 */
export function linkInbox(corpus: Corpus, count: number, target: string): void {
  for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(target, sub), { recursive: true });
  for (const name of corpus.names.slice(0, count)) {
    linkSync(join(corpus.maildir, 'cur', name), join(target, 'cur', name));
  }
  writeUidList(corpus, count, target);
}

/** A dovecot-uidlist v3 for the corpus's first `count` messages. */
function writeUidList(corpus: Corpus, count: number, maildir: string): void {
  const header = `3 V${corpus.uidValidity} N${count + 1} G${randomBytes(16).toString('hex')}`;
  const records = corpus.uidRecords.slice(0, count);
  writeFileSync(join(maildir, 'dovecot-uidlist'), `${[header, ...records].join('\n')}\n`);
}
