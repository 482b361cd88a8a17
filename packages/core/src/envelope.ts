/** DSN NOTIFY values of RFC 3461; NEVER stands alone. */
export type DsnNotify = 'SUCCESS' | 'FAILURE' | 'DELAY' | 'NEVER';

/** One RCPT TO with its DSN parameters (RFC 3461). */
export interface Recipient {
  address: string;
  notify?: DsnNotify[];
  /** ORCPT as given: `rfc822;user@example.test`. */
  orcpt?: string;
}

/** MAIL FROM parameters that travel with the message. */
export interface EnvelopeParams {
  body?: '7BIT' | '8BITMIME' | 'BINARYMIME';
  smtpUtf8?: boolean;
  /** SIZE the client declared, when it did. */
  size?: number;
  /** DSN ENVID and RET (RFC 3461). */
  envId?: string;
  ret?: 'FULL' | 'HDRS';
}

/** Who handed the message over; used for Received headers and logs. */
export interface ReceivedFrom {
  helo?: string;
  address?: string;
  hostname?: string;
  protocol?: string;
  authUser?: string;
  tls?: boolean;
}

/** The SMTP envelope. `mailFrom` is '' for the null sender `<>`. */
export interface Envelope {
  mailFrom: string;
  rcptTo: Recipient[];
  params: EnvelopeParams;
  receivedFrom?: ReceivedFrom;
}
