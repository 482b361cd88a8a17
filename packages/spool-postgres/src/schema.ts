import type { ClientBase } from 'pg';

/**
 * The spool's tables, all in one PostgreSQL schema (default `mailstack_spool`), readable by an
 * operator with psql:
 *
 *   messages     one row per queued message: envelope, attempts, next attempt, hold, lease
 *   recipients   one row per recipient: status, attempts, last reply, failure, delay notice
 *   events       DSN events raised but not yet confirmed by the handler (retried until it is)
 *   body_chunks  the body, byte-exact, as bytea rows of up to 256 KiB in order
 *
 * A message exists once its transaction committed: the rows above are written in one
 * transaction, so a crash leaves either all of them or none. Times are timestamptz.
 */
export const SCHEMA_VERSION = 1;

/** Migration n (1-based) brings the schema from version n-1 to n. `s` is the quoted schema name. */
const MIGRATIONS: ((s: string) => string)[] = [
  (s) => `
    CREATE TABLE ${s}.messages (
      id text PRIMARY KEY,
      arrived_at timestamptz NOT NULL,
      size bigint NOT NULL,
      mail_from text NOT NULL,
      params jsonb NOT NULL,
      received_from jsonb,
      attempts integer NOT NULL DEFAULT 0,
      next_attempt_at timestamptz NOT NULL,
      held boolean NOT NULL DEFAULT false,
      open_recipients integer NOT NULL,
      lease_owner text,
      lease_expires_at timestamptz
    );
    CREATE INDEX messages_due ON ${s}.messages (next_attempt_at, id)
      WHERE open_recipients > 0 AND NOT held;
    CREATE TABLE ${s}.recipients (
      message_id text NOT NULL REFERENCES ${s}.messages (id) ON DELETE CASCADE,
      position integer NOT NULL,
      address text NOT NULL,
      notify text[],
      orcpt text,
      status text NOT NULL CHECK (status IN ('pending', 'deferred', 'delivered', 'failed')),
      attempts integer NOT NULL DEFAULT 0,
      last_reply jsonb,
      last_attempt_at timestamptz,
      next_attempt_at timestamptz,
      failure text CHECK (failure IN ('rejected', 'expired')),
      delay_notified boolean NOT NULL DEFAULT false,
      PRIMARY KEY (message_id, position)
    );
    CREATE TABLE ${s}.events (
      seq bigserial PRIMARY KEY,
      message_id text NOT NULL REFERENCES ${s}.messages (id) ON DELETE CASCADE,
      type text NOT NULL CHECK (type IN ('delay', 'failed', 'delivered')),
      recipients integer[] NOT NULL,
      tries integer NOT NULL DEFAULT 0,
      next_try_at timestamptz NOT NULL
    );
    CREATE INDEX events_due ON ${s}.events (next_try_at);
    CREATE INDEX events_message ON ${s}.events (message_id);
    CREATE TABLE ${s}.body_chunks (
      message_id text NOT NULL REFERENCES ${s}.messages (id) ON DELETE CASCADE,
      seq integer NOT NULL,
      data bytea NOT NULL,
      PRIMARY KEY (message_id, seq)
    );`,
];

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** The schema name as an SQL identifier; only plain lower-case names are accepted. */
export function quoteSchema(name: string): string {
  if (!SCHEMA_NAME.test(name)) {
    throw new RangeError(`spool schema name must match ${SCHEMA_NAME}: ${JSON.stringify(name)}`);
  }
  return `"${name}"`;
}

/**
 * A number for the schema name, the first key of the advisory locks the spool takes (schema
 * migration, live lease owners), so spools in different schemas of one database stay apart.
 */
export function schemaKey(name: string): number {
  let h = 0x811c9dc5;
  for (const ch of name) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  return h & 0x7fffffff;
}

/**
 * Creates the schema or migrates it to SCHEMA_VERSION, in one transaction under an advisory
 * lock, so processes opening the spool at once do not race. A database of a newer version
 * than this code knows is refused.
 */
export async function migrate(client: ClientBase, name: string): Promise<void> {
  const s = quoteSchema(name);
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, 0)', [schemaKey(name)]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${s}.schema_version (version integer NOT NULL)`);
    const found = await client.query<{ version: number }>(`SELECT version FROM ${s}.schema_version`);
    const current = found.rows[0]?.version ?? 0;
    if (current > SCHEMA_VERSION) {
      throw new Error(
        `spool schema ${name} is at version ${current}; this code knows up to ${SCHEMA_VERSION}`,
      );
    }
    for (let v = current; v < SCHEMA_VERSION; v++) await client.query(MIGRATIONS[v]!(s));
    if (found.rows.length === 0) {
      await client.query(`INSERT INTO ${s}.schema_version (version) VALUES ($1)`, [SCHEMA_VERSION]);
    } else if (current < SCHEMA_VERSION) {
      await client.query(`UPDATE ${s}.schema_version SET version = $1`, [SCHEMA_VERSION]);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}
