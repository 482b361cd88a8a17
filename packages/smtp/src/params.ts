import type { Reply } from '@mailstack/core';

/**
 * smtp-server checks the values of the MAIL/RCPT parameters it knows but lets any other
 * parameter through silently. RFC 5321 4.1.1.11 wants `555` for one the server does not
 * support, and RFC 6531 3.4 a refusal of a non-ASCII address without SMTPUTF8.
 */

export interface ParamPolicy {
  /** DSN advertised: RET/ENVID on MAIL, NOTIFY/ORCPT on RCPT. */
  dsn: boolean;
  /** AUTH offered: MAIL's AUTH= (RFC 4954 5) is accepted (and ignored). */
  auth: boolean;
}

const MAIL_PARAMS = ['SIZE', 'BODY', 'SMTPUTF8'];
const MAIL_DSN_PARAMS = ['RET', 'ENVID'];
const RCPT_DSN_PARAMS = ['NOTIFY', 'ORCPT'];

const NON_ASCII = /[^\x00-\x7f]/;

type Args = Record<string, string | boolean> | false;

/** A refusal for MAIL FROM, or null when the parameters are for smtp-server to check. */
export function checkMailParams(address: string, args: Args, policy: ParamPolicy): Reply | null {
  const allowed = new Set([
    ...MAIL_PARAMS,
    ...(policy.dsn ? MAIL_DSN_PARAMS : []),
    ...(policy.auth ? ['AUTH'] : []),
  ]);
  const unknown = Object.keys(args || {}).find((k) => !allowed.has(k));
  if (unknown) return unsupported('MAIL', unknown);
  if (NON_ASCII.test(address) && !(args && args.SMTPUTF8 === true)) return needsUtf8();
  return null;
}

/** A refusal for RCPT TO, or null. `smtpUtf8`: the transaction's MAIL carried SMTPUTF8. */
export function checkRcptParams(
  address: string,
  args: Args,
  policy: ParamPolicy,
  smtpUtf8: boolean,
): Reply | null {
  const allowed = new Set(policy.dsn ? RCPT_DSN_PARAMS : []);
  const unknown = Object.keys(args || {}).find((k) => !allowed.has(k));
  if (unknown) return unsupported('RCPT', unknown);
  if (NON_ASCII.test(address) && !smtpUtf8) return needsUtf8();
  return null;
}

function unsupported(verb: string, name: string): Reply {
  return { code: 555, enhanced: '5.5.4', text: `${verb} parameter ${name.slice(0, 32)} not supported` };
}

function needsUtf8(): Reply {
  return { code: 553, enhanced: '5.6.7', text: 'Non-ASCII address requires SMTPUTF8' };
}
