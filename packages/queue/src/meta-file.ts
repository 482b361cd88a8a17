import type { Reply } from '@mailstack/core';
import { isQueueId } from './queue-id.ts';
import type { PendingEvent, RecipientRecord, SpoolRecord } from './record.ts';

export const META_VERSION = 1;

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/** The record as the JSON an operator reads: times as ISO strings, fields in a readable order. */
export function formatMeta(rec: SpoolRecord): string {
  const json = {
    version: META_VERSION,
    id: rec.id,
    arrivedAt: iso(rec.arrivedAt),
    size: rec.size,
    held: rec.held,
    attempts: rec.attempts,
    nextAttemptAt: iso(rec.nextAttemptAt),
    lease: rec.lease ? { owner: rec.lease.owner, expiresAt: iso(rec.lease.expiresAt) } : null,
    envelope: {
      mailFrom: rec.mailFrom,
      params: rec.params,
      ...(rec.receivedFrom ? { receivedFrom: rec.receivedFrom } : {}),
    },
    recipients: rec.recipients.map((r) => ({
      address: r.address,
      ...(r.notify ? { notify: r.notify } : {}),
      ...(r.orcpt !== undefined ? { orcpt: r.orcpt } : {}),
      status: r.status,
      ...(r.failure ? { failure: r.failure } : {}),
      attempts: r.attempts,
      ...(r.lastReply ? { lastReply: r.lastReply } : {}),
      ...(r.lastAttemptAt !== undefined ? { lastAttemptAt: iso(r.lastAttemptAt) } : {}),
      ...(r.nextAttemptAt !== undefined ? { nextAttemptAt: iso(r.nextAttemptAt) } : {}),
      ...(r.delayNotified ? { delayNotified: true } : {}),
    })),
    pendingEvents: rec.pendingEvents.map((e) => ({ ...e, nextTryAt: iso(e.nextTryAt) })),
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}

export class MetaFormatError extends Error {
  override name = 'MetaFormatError';
}

type Json = Record<string, unknown>;

function fail(what: string): never {
  throw new MetaFormatError(`invalid meta file: ${what}`);
}
function obj(v: unknown, what: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(what);
  return v as Json;
}
function str(v: unknown, what: string): string {
  if (typeof v !== 'string') fail(what);
  return v;
}
function num(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(what);
  return v;
}
function time(v: unknown, what: string): number {
  const ms = Date.parse(str(v, what));
  if (Number.isNaN(ms)) fail(what);
  return ms;
}
function optTime(v: unknown, what: string): number | undefined {
  return v === undefined ? undefined : time(v, what);
}
/** A reply is a record of what happened, not what drives delivery: a missing part reads as ''. */
function reply(v: unknown, what: string): Reply {
  const r = obj(v, what);
  const text = (x: unknown) => (typeof x === 'string' ? x : '');
  return { code: num(r.code, `${what}.code`), enhanced: text(r.enhanced), text: text(r.text) };
}

const STATUSES = new Set(['pending', 'deferred', 'delivered', 'failed']);
const EVENTS = new Set(['delay', 'failed', 'delivered']);

function recipient(v: unknown, i: number): RecipientRecord {
  const what = `recipients[${i}]`;
  const r = obj(v, what);
  const status = str(r.status, `${what}.status`);
  if (!STATUSES.has(status)) fail(`${what}.status`);
  const out: RecipientRecord = {
    address: str(r.address, `${what}.address`),
    status: status as RecipientRecord['status'],
    attempts: num(r.attempts, `${what}.attempts`),
  };
  if (r.notify !== undefined) {
    if (!Array.isArray(r.notify)) fail(`${what}.notify`);
    out.notify = r.notify.map((n) => str(n, `${what}.notify`)) as RecipientRecord['notify'];
  }
  if (r.orcpt !== undefined) out.orcpt = str(r.orcpt, `${what}.orcpt`);
  if (r.failure !== undefined) out.failure = str(r.failure, `${what}.failure`) as RecipientRecord['failure'];
  if (r.lastReply !== undefined) out.lastReply = reply(r.lastReply, `${what}.lastReply`);
  const last = optTime(r.lastAttemptAt, `${what}.lastAttemptAt`);
  if (last !== undefined) out.lastAttemptAt = last;
  const next = optTime(r.nextAttemptAt, `${what}.nextAttemptAt`);
  if (next !== undefined) out.nextAttemptAt = next;
  if (r.delayNotified === true) out.delayNotified = true;
  return out;
}

function pendingEvent(v: unknown, count: number): PendingEvent {
  const e = obj(v, 'pendingEvents[]');
  const type = str(e.type, 'pendingEvents[].type');
  if (!EVENTS.has(type)) fail('pendingEvents[].type');
  if (!Array.isArray(e.recipients)) fail('pendingEvents[].recipients');
  const recipients = e.recipients.map((n) => num(n, 'pendingEvents[].recipients'));
  if (recipients.some((n) => !Number.isInteger(n) || n < 0 || n >= count)) fail('pendingEvents[].recipients');
  return {
    type: type as PendingEvent['type'],
    recipients,
    tries: num(e.tries, 'pendingEvents[].tries'),
    nextTryAt: time(e.nextTryAt, 'pendingEvents[].nextTryAt'),
  };
}

/** Parses and checks a meta file; throws MetaFormatError on anything torn or foreign. */
export function parseMeta(text: string): SpoolRecord {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    fail('not JSON');
  }
  const j = obj(raw, 'top level');
  if (j.version !== META_VERSION) fail(`version ${String(j.version)}`);
  const id = str(j.id, 'id');
  if (!isQueueId(id)) fail('id');
  const env = obj(j.envelope, 'envelope');
  if (!Array.isArray(j.recipients) || j.recipients.length === 0) fail('recipients');
  const recipients = j.recipients.map(recipient);
  if (!Array.isArray(j.pendingEvents)) fail('pendingEvents');
  const lease = j.lease === null ? null : obj(j.lease, 'lease');
  const rec: SpoolRecord = {
    id,
    arrivedAt: time(j.arrivedAt, 'arrivedAt'),
    size: num(j.size, 'size'),
    mailFrom: str(env.mailFrom, 'envelope.mailFrom'),
    params: obj(env.params, 'envelope.params'),
    recipients,
    attempts: num(j.attempts, 'attempts'),
    nextAttemptAt: time(j.nextAttemptAt, 'nextAttemptAt'),
    held: j.held === true,
    lease: lease
      ? { owner: str(lease.owner, 'lease.owner'), expiresAt: time(lease.expiresAt, 'lease') }
      : null,
    pendingEvents: j.pendingEvents.map((e) => pendingEvent(e, recipients.length)),
  };
  if (env.receivedFrom !== undefined) rec.receivedFrom = obj(env.receivedFrom, 'envelope.receivedFrom');
  return rec;
}
