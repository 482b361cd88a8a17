import type { MessageBlob } from './blob.ts';
import type { Envelope } from './envelope.ts';
import type { RecipientResult } from './reply.ts';

/**
 * One delivery contract for every hop: the queue, LMTP and the local store all take an
 * envelope plus a blob and give back one result per recipient, in recipient order.
 */
export interface DeliveryTarget {
  deliver(envelope: Envelope, blob: MessageBlob): Promise<RecipientResult[]>;
}
