import { formatReply, type QueuedMessage, type RecipientState } from '@mailstack/core';

const when = (d: Date) =>
  d
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, 'Z');

/** `*` being delivered (live lease), `!` on hold, as in mailq. */
function flag(m: QueuedMessage, now: number): string {
  if (m.held) return '!';
  if (m.lease && m.lease.expiresAt.getTime() > now) return '*';
  return ' ';
}

function recipientLine(r: RecipientState): string {
  const status = r.failure ? `${r.status}:${r.failure}` : r.status;
  let line = `    ${status.padEnd(16)} ${r.recipient.address}`;
  if (r.nextAttemptAt && r.status === 'deferred') line += `  next ${when(r.nextAttemptAt)}`;
  if (r.lastReply) line += `\n${' '.repeat(21)}(${formatReply(r.lastReply)})`;
  return line;
}

/** The `mailq`-like listing: one block per message, recipients with state and last reply. */
export function formatQueueList(messages: QueuedMessage[], now = Date.now()): string {
  if (messages.length === 0) return 'Mail queue is empty\n';
  const lines = [`${'Queue ID'.padEnd(27)} ${'Size'.padStart(9)}  ${'Arrival'.padEnd(20)}  Sender`];
  let bytes = 0;
  for (const m of messages) {
    bytes += m.blob.size;
    lines.push(
      `${m.id}${flag(m, now)} ${String(m.blob.size).padStart(9)}  ${when(m.arrivedAt)}  <${m.envelope.mailFrom}>`,
    );
    for (const r of m.recipients) lines.push(recipientLine(r));
  }
  lines.push(`-- ${messages.length} message${messages.length === 1 ? '' : 's'}, ${bytes} bytes`);
  return `${lines.join('\n')}\n`;
}

/** Everything about one message, for `show`. */
export function formatQueueEntry(m: QueuedMessage, now = Date.now()): string {
  const e = m.envelope;
  const lines = [
    `Queue ID:     ${m.id}`,
    `Arrived:      ${when(m.arrivedAt)}`,
    `Size:         ${m.blob.size}`,
    `Sender:       <${e.mailFrom}>`,
    `State:        ${m.held ? 'on hold' : m.lease && m.lease.expiresAt.getTime() > now ? `leased by ${m.lease.owner} until ${when(m.lease.expiresAt)}` : 'queued'}`,
    `Attempts:     ${m.attempts}`,
    `Next attempt: ${when(m.nextAttemptAt)}`,
  ];
  const p = e.params;
  const params = [
    p.body && `BODY=${p.body}`,
    p.smtpUtf8 && 'SMTPUTF8',
    p.size !== undefined && `SIZE=${p.size}`,
    p.envId && `ENVID=${p.envId}`,
    p.ret && `RET=${p.ret}`,
  ].filter(Boolean);
  if (params.length > 0) lines.push(`Parameters:   ${params.join(' ')}`);
  const rf = e.receivedFrom;
  if (rf) {
    const from = [
      rf.helo && `helo=${rf.helo}`,
      rf.hostname && `host=${rf.hostname}`,
      rf.address && `addr=${rf.address}`,
      rf.protocol && `proto=${rf.protocol}`,
      rf.authUser && `auth=${rf.authUser}`,
      rf.tls !== undefined && `tls=${rf.tls ? 'yes' : 'no'}`,
    ].filter(Boolean);
    lines.push(`Received from: ${from.join(' ')}`);
  }
  lines.push('Recipients:');
  for (const r of m.recipients) {
    const dsn = [
      r.recipient.notify && `NOTIFY=${r.recipient.notify.join(',')}`,
      r.recipient.orcpt && `ORCPT=${r.recipient.orcpt}`,
    ].filter(Boolean);
    lines.push(`${recipientLine(r)}${dsn.length > 0 ? `\n${' '.repeat(21)}${dsn.join(' ')}` : ''}`);
    lines.push(
      `${' '.repeat(21)}attempts ${r.attempts}${r.lastAttemptAt ? `, last ${when(r.lastAttemptAt)}` : ''}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
