import { type Account, SmtpError } from '@mailstack/core';
import { addressesOf, type MessageHead } from './message-head.ts';

/**
 * Who may send as whom. An account may always use its own addresses (primary and aliases
 * that reach only it, as the directory lists them), also with a `+detail`. Beyond that:
 * a callback, or a map from login to extra addresses (`@domain` allows a whole domain).
 */
export type MayUseSender =
  | ((account: Account, address: string) => boolean | Promise<boolean>)
  | Record<string, string[]>;

const lower = (a: string) => a.trim().toLowerCase();

/** `alice+news@example.test` → `alice@example.test`; '+' is the usual separator. */
function withoutDetail(address: string): string {
  const at = address.lastIndexOf('@');
  if (at < 0) return address;
  const local = address.slice(0, at);
  const plus = local.indexOf('+');
  return plus > 0 ? `${local.slice(0, plus)}${address.slice(at)}` : address;
}

export async function mayUse(account: Account, address: string, extra?: MayUseSender): Promise<boolean> {
  const wanted = lower(address);
  const own = new Set([account.user, ...account.addresses].map(lower));
  if (own.has(wanted) || own.has(withoutDetail(wanted))) return true;
  if (!extra) return false;
  if (typeof extra === 'function') return (await extra(account, address)) === true;
  const allowed = (extra[account.user] ?? extra[lower(account.user)] ?? []).map(lower);
  const domain = wanted.slice(wanted.lastIndexOf('@'));
  return allowed.includes(wanted) || allowed.includes(domain);
}

/**
 * Every address in From: and Sender: must pass `check` (which throws to refuse); a message
 * without From: (RFC 5322 3.6 requires one) or with an empty one is refused with 550 5.6.0.
 */
export async function checkHeaderSenders(
  head: MessageHead,
  check: (address: string, field: string) => Promise<void>,
): Promise<void> {
  const fields = head.fields.filter((f) => f.name === 'from' || f.name === 'sender');
  if (!fields.some((f) => f.name === 'from')) {
    throw new SmtpError(550, '5.6.0', 'Message has no From: header field');
  }
  for (const field of fields) {
    const addresses = addressesOf(field.value);
    if (addresses.length === 0)
      throw new SmtpError(550, '5.6.0', `No address in the ${field.name} header field`);
    for (const address of addresses) await check(address, field.name);
  }
}
