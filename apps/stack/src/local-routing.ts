import type { DeliveryTarget, Directory, RecipientResult } from '@mailstack/core';
import { splitAddress } from '@mailstack/core';

/**
 * What the queue runner delivers to until the transfer agent lands: recipients in local
 * domains go to the local delivery target (the MDA's store delivery); any other recipient is
 * deferred with 451 4.4.0, so it stays in the spool (retried, bounced after the give-up time)
 * instead of being lost or relayed. Results keep recipient order, as the contract says.
 */
export function localOnlyRouting(directory: Directory, local: DeliveryTarget): DeliveryTarget {
  return {
    async deliver(envelope, blob) {
      const isLocal = envelope.rcptTo.map((r) =>
        directory.isLocalDomain(splitAddress(r.address)?.domain ?? ''),
      );
      const localRcpts = envelope.rcptTo.filter((_, i) => isLocal[i]);
      const localResults = localRcpts.length
        ? await local.deliver({ ...envelope, rcptTo: localRcpts }, blob)
        : [];
      let next = 0;
      return envelope.rcptTo.map((r, i): RecipientResult => {
        if (isLocal[i]) return localResults[next++]!;
        return {
          recipient: r.address,
          reply: {
            code: 451,
            enhanced: '4.4.0',
            text: 'No transfer agent for remote domains in this stack yet',
          },
        };
      });
    },
  };
}
