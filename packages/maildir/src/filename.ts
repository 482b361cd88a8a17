/**
 * Maildir file names with Dovecot's extensions:
 * `<secs>.M<usecs>P<pid>Q<counter>.<host>,S=<physical size>,W=<wire size>:2,<flags>`.
 * The base name (before `:2,`) is the message's identity: flag changes rename only the suffix.
 */
import { hostname } from 'node:os';

export interface ParsedFileName {
  base: string;
  /** The letters after `:2,` (uppercase system flags, lowercase keyword indexes), sorted. */
  letters: string;
  /** `S=`: size on disk (LF line ends). */
  size?: number;
  /** `W=`: size in the wire form (CRLF). */
  wireSize?: number;
}

const SYSTEM_LETTERS: Record<string, string> = {
  D: '\\Draft',
  F: '\\Flagged',
  R: '\\Answered',
  S: '\\Seen',
  T: '\\Deleted',
};
const LETTER_OF: Record<string, string> = Object.fromEntries(
  Object.entries(SYSTEM_LETTERS).map(([l, f]) => [f.toLowerCase(), l]),
);

/** The Maildir spec escapes '/' and ':' in the host part. */
export function safeHostname(host = hostname()): string {
  return host.replace(/\//g, '\\057').replace(/:/g, '\\072').replace(/,/g, '\\054');
}

let counter = 0;

/** A base name unique to this process (time, microseconds, pid, counter, host). */
export function uniqueBaseName(host: string, now = Date.now()): string {
  counter++;
  const secs = Math.floor(now / 1000);
  const usecs = (now % 1000) * 1000 + Math.floor(Math.random() * 1000);
  return `${secs}.M${usecs}P${process.pid}Q${counter}.${host}`;
}

export function withSizes(base: string, size: number, wireSize: number): string {
  return `${base},S=${size},W=${wireSize}`;
}

export function parseFileName(name: string): ParsedFileName {
  const colon = name.indexOf(':');
  const base = colon < 0 ? name : name.slice(0, colon);
  const info = colon < 0 ? '' : name.slice(colon + 1);
  const letters = info.startsWith('2,') ? info.slice(2) : '';
  const out: ParsedFileName = { base, letters };
  // Size fields follow the host part: `,S=123,W=130`.
  const comma = base.indexOf(',');
  if (comma >= 0) {
    for (const field of base.slice(comma + 1).split(',')) {
      if (field.startsWith('S=')) {
        const n = Number(field.slice(2));
        if (Number.isSafeInteger(n)) out.size = n;
      } else if (field.startsWith('W=')) {
        const n = Number(field.slice(2));
        if (Number.isSafeInteger(n)) out.wireSize = n;
      }
    }
  }
  return out;
}

export function fileName(base: string, letters: string): string {
  return `${base}:2,${sortLetters(letters)}`;
}

export function sortLetters(letters: string): string {
  return [...new Set(letters)].sort().join('');
}

/** Letters → IMAP flags; `keywordAt` maps a lowercase letter's index to its keyword. */
export function lettersToFlags(letters: string, keywordAt: (index: number) => string | undefined): string[] {
  const flags: string[] = [];
  for (const l of letters) {
    const sys = SYSTEM_LETTERS[l];
    if (sys) flags.push(sys);
    else if (l >= 'a' && l <= 'z') {
      const kw = keywordAt(l.charCodeAt(0) - 97);
      if (kw !== undefined) flags.push(kw);
    }
  }
  return flags;
}

/** The system-flag letter for an IMAP flag, or undefined for a keyword. */
export function systemLetter(flag: string): string | undefined {
  return LETTER_OF[flag.toLowerCase()];
}

export function isSystemFlag(flag: string): boolean {
  return flag.startsWith('\\');
}
