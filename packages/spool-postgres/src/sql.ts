import { quoteSchema } from './schema.ts';

/** Every statement of the spool, for one schema. Times are passed as Dates or ISO strings. */
export function statements(schema: string) {
  const s = quoteSchema(schema);
  const messages = `${s}.messages`;
  const recipients = `${s}.recipients`;
  const events = `${s}.events`;
  const chunks = `${s}.body_chunks`;
  return {
    chunks,
    insertMessage: `
      INSERT INTO ${messages}
        (id, arrived_at, size, mail_from, params, received_from, next_attempt_at, open_recipients)
      VALUES ($1, $2, 0, $3, $4, $5, $2, $6)`,
    setSize: `UPDATE ${messages} SET size = $2 WHERE id = $1`,
    insertRecipients: `
      INSERT INTO ${recipients} (message_id, position, address, notify, orcpt, status)
      SELECT $1, r.position, r.address,
             CASE WHEN r.notify IS NULL THEN NULL ELSE ARRAY(SELECT jsonb_array_elements_text(r.notify)) END,
             r.orcpt, 'pending'
      FROM jsonb_to_recordset($2::jsonb) AS r(position integer, address text, notify jsonb, orcpt text)`,
    /**
     * Leases up to $2 messages due at $1 to owner $3 until $4, oldest first. A live lease is
     * passed over (SKIP LOCKED keeps concurrent leasers off the same rows), except one whose
     * owner holds no advisory lock of this spool ($5 = schema key) any more: its process or
     * connection is gone, so the lease is void at once instead of at its expiry.
     */
    lease: `
      WITH live AS MATERIALIZED (
        SELECT objid::text::bigint AS key FROM pg_locks
        WHERE locktype = 'advisory' AND granted AND objsubid = 2 AND classid::text::bigint = $5
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
      ), due AS (
        SELECT m.id, m.lease_owner AS old_owner, m.lease_expires_at AS old_expiry
        FROM ${messages} m
        WHERE m.open_recipients > 0 AND NOT m.held AND m.next_attempt_at <= $1
          AND (m.lease_expires_at IS NULL OR m.lease_expires_at <= $1
               OR NOT EXISTS (SELECT 1 FROM live WHERE live.key = (hashtext(m.lease_owner) & 2147483647)))
        ORDER BY m.id
        LIMIT $2
        FOR UPDATE OF m SKIP LOCKED
      )
      UPDATE ${messages} m SET lease_owner = $3, lease_expires_at = $4
      FROM due WHERE m.id = due.id
      RETURNING m.*, due.old_owner, due.old_expiry`,
    /** Session advisory lock that says "owner $2 is alive" while the connection lasts. */
    ownerLock: 'SELECT pg_try_advisory_lock($1, hashtext($2) & 2147483647)',
    recipientsOf: `SELECT * FROM ${recipients} WHERE message_id = ANY($1) ORDER BY message_id, position`,
    allRecipients: `SELECT * FROM ${recipients} ORDER BY message_id, position`,
    message: `SELECT * FROM ${messages} WHERE id = $1`,
    messageForUpdate: `SELECT * FROM ${messages} WHERE id = $1 FOR UPDATE`,
    messagesIn: `SELECT * FROM ${messages} WHERE id = ANY($1) ORDER BY id`,
    allMessages: `SELECT * FROM ${messages} ORDER BY id`,
    updateMessage: `
      UPDATE ${messages}
      SET attempts = $2, next_attempt_at = $3, held = $4, open_recipients = $5,
          lease_owner = $6, lease_expires_at = $7
      WHERE id = $1`,
    updateRecipients: `
      UPDATE ${recipients} t
      SET status = r.status, attempts = r.attempts, last_reply = r.last_reply,
          last_attempt_at = r.last_attempt_at, next_attempt_at = r.next_attempt_at,
          failure = r.failure, delay_notified = r.delay_notified
      FROM jsonb_to_recordset($2::jsonb) AS r(position integer, status text, attempts integer,
        last_reply jsonb, last_attempt_at timestamptz, next_attempt_at timestamptz, failure text,
        delay_notified boolean)
      WHERE t.message_id = $1 AND t.position = r.position`,
    renew: `UPDATE ${messages} SET lease_expires_at = $3 WHERE id = $1 AND lease_owner = $2`,
    insertEvent: `
      INSERT INTO ${events} (message_id, type, recipients, next_try_at)
      VALUES ($1, $2, $3, $4) RETURNING *`,
    /** Claims up to 100 events due at $1 until $2 (so no other process raises them meanwhile). */
    claimEvents: `
      UPDATE ${events} e SET next_try_at = $2
      WHERE e.seq IN (SELECT seq FROM ${events} WHERE next_try_at <= $1 ORDER BY seq LIMIT 100
                      FOR UPDATE SKIP LOCKED)
      RETURNING e.*`,
    confirmEvents: `DELETE FROM ${events} WHERE seq = ANY($1)`,
    retryEvent: `UPDATE ${events} SET tries = $2, next_try_at = $3 WHERE seq = $1`,
    /** Messages of $1 with nothing left to deliver and nothing left to tell leave the spool. */
    removeFinished: `
      DELETE FROM ${messages} m
      WHERE m.id = ANY($1) AND m.open_recipients = 0
        AND NOT EXISTS (SELECT 1 FROM ${events} e WHERE e.message_id = m.id)
      RETURNING m.id`,
    flush: `
      UPDATE ${messages} SET next_attempt_at = LEAST(next_attempt_at, $1)
      WHERE NOT held AND ($2::text IS NULL OR id = $2) RETURNING id`,
    flushEvents: `UPDATE ${events} SET next_try_at = LEAST(next_try_at, $1) WHERE message_id = ANY($2)`,
    delete: `DELETE FROM ${messages} WHERE id = $1`,
  };
}

export type Statements = ReturnType<typeof statements>;
