import { randomBytes } from 'node:crypto';
import type { QueueId } from '@mailstack/core';

// Crockford base32: no I, L, O, U, so an id read aloud or typed by an operator is unambiguous.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const TIME_CHARS = 10; // 48 bits of milliseconds: good until the year 10889
const RANDOM_CHARS = 16; // 80 random bits: unique across processes without coordination

export const QUEUE_ID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;

export function isQueueId(text: string): boolean {
  return QUEUE_ID_PATTERN.test(text);
}

function encodeTime(ms: number): string {
  let out = '';
  let t = Math.max(0, Math.floor(ms));
  for (let i = 0; i < TIME_CHARS; i++) {
    out = ALPHABET[t % 32] + out;
    t = Math.floor(t / 32);
  }
  return out;
}

/**
 * Makes queue ids that sort by creation time (string order = time order), like ULIDs. Within one
 * millisecond of one process the random part is incremented, so ids stay strictly increasing in
 * that process; across processes the 80 random bits keep them apart.
 */
export function queueIdGenerator(now: () => number = Date.now): () => QueueId {
  let lastTime = -1;
  let lastRandom: number[] = [];
  return () => {
    const t = now();
    if (t <= lastTime) {
      // Same (or earlier: clock stepped back) millisecond: keep the old time, bump the random part.
      for (let i = RANDOM_CHARS - 1; i >= 0; i--) {
        const digit = (lastRandom[i] ?? 0) + 1;
        if (digit < 32) {
          lastRandom[i] = digit;
          break;
        }
        lastRandom[i] = 0;
      }
    } else {
      lastTime = t;
      const bytes = randomBytes(RANDOM_CHARS);
      // The top bit of the first digit stays clear so increments cannot overflow in practice.
      lastRandom = Array.from(bytes, (b, i) => (i === 0 ? b % 16 : b % 32));
    }
    return encodeTime(lastTime) + lastRandom.map((d) => ALPHABET[d]).join('');
  };
}

/** The creation time encoded in an id (ms since the epoch). */
export function queueIdTime(id: QueueId): number {
  let t = 0;
  for (const ch of id.slice(0, TIME_CHARS)) t = t * 32 + ALPHABET.indexOf(ch);
  return t;
}
