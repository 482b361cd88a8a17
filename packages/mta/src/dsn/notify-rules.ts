import type { Recipient, SpoolEvent } from '@mailstack/core';

/**
 * RFC 3461 5.2/6.1: whether a recipient's NOTIFY asks for a notice of this kind of event.
 * - failed: unless NOTIFY was given without FAILURE (NEVER included);
 * - delay: when NOTIFY has DELAY; without NOTIFY only if `delayWarnings` (default off, like
 *   Postfix's delay_warning_time = 0);
 * - delivered: only when NOTIFY has SUCCESS.
 */
export function wantsNotice(
  type: SpoolEvent['type'],
  recipient: Recipient,
  options: { delayWarnings?: boolean } = {},
): boolean {
  const notify = recipient.notify;
  if (notify?.includes('NEVER')) return false;
  switch (type) {
    case 'failed':
      return notify === undefined || notify.length === 0 || notify.includes('FAILURE');
    case 'delay':
      return notify === undefined || notify.length === 0
        ? options.delayWarnings === true
        : notify.includes('DELAY');
    case 'delivered':
      return notify?.includes('SUCCESS') === true;
  }
}
