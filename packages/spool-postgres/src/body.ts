import { Readable } from 'node:stream';
import { type MessageBlob, NotFoundError } from '@mailstack/core';
import { copyBody } from '@mailstack/queue';
import type { ClientBase, Pool } from 'pg';
import { spoolError } from './errors.ts';

/** Bytes per body_chunks row: large enough to keep rows few, small enough to hold one in memory. */
export const CHUNK_BYTES = 256 * 1024;

/**
 * Streams `body` into body_chunks rows of `id`, inside the caller's transaction, at most
 * CHUNK_BYTES a row (every row but the last full): memory stays at about one chunk whatever the message size. Past `maxBytes`
 * the body is refused with 552 (the queue package's copyBody).
 */
export async function writeBody(
  client: ClientBase,
  table: string,
  id: string,
  body: Readable,
  maxBytes: number,
): Promise<number> {
  let seq = 0;
  let rest: Buffer = Buffer.alloc(0);
  const insert = async (data: Buffer) => {
    await client.query(`INSERT INTO ${table} (message_id, seq, data) VALUES ($1, $2, $3)`, [id, seq++, data]);
  };
  const size = await copyBody(body, maxBytes, async (piece) => {
    let buf = rest.length > 0 ? Buffer.concat([rest, piece]) : piece;
    for (; buf.length >= CHUNK_BYTES; buf = buf.subarray(CHUNK_BYTES))
      await insert(buf.subarray(0, CHUNK_BYTES));
    rest = buf;
  });
  if (rest.length > 0) await insert(rest);
  return size;
}

/**
 * The body of `id` as a MessageBlob: each open() reads the chunks back one query at a time, the
 * next only once the reader wants more, so memory per reader stays at about one chunk. A
 * message deleted meanwhile ends the stream with a NotFoundError.
 */
export function chunkBlob(pool: Pool, table: string, id: string, size: number): MessageBlob {
  return {
    id,
    size,
    open() {
      let seq = 0;
      let sent = 0;
      return new Readable({
        highWaterMark: CHUNK_BYTES,
        read() {
          if (sent >= size) {
            this.push(null);
            return;
          }
          pool
            .query<{ data: Buffer }>(`SELECT data FROM ${table} WHERE message_id = $1 AND seq = $2`, [
              id,
              seq,
            ])
            .then(
              (res) => {
                const data = res.rows[0]?.data;
                if (!data) {
                  this.destroy(new NotFoundError(`queued message ${id}: body chunk ${seq} is gone`));
                  return;
                }
                seq++;
                sent += data.length;
                this.push(data);
              },
              (err) => this.destroy(spoolError(err) as Error),
            );
        },
      });
    },
  };
}
