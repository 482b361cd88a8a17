// DSN machinery (RFC 3461, 3464, 6522, 6533) and DKIM signing (RFC 6376, 8463) for the
// transfer agent: compose reports, turn spool events into reports, sign outgoing mail.
export { buildDsn, DEFAULT_MAX_ORIGINAL_BYTES, type Dsn, type DsnInput } from './build-dsn.ts';
export { type DkimKeyOptions, type GeneratedDkimKey, generateDkimKey } from './dkim-key.ts';
export {
  createDkimSigner,
  type DkimAlgorithm,
  type DkimDomainKey,
  type DkimSigner,
  type DkimSignerOptions,
  headerFromDomain,
} from './dkim-signer.ts';
export { DSN_SUBJECTS, type DsnKind } from './human-text.ts';
export { createDsnNotifier, type DsnNotifierOptions } from './notifier.ts';
export { wantsNotice } from './notify-rules.ts';
export { type DsnAction, type DsnRecipientReport, dsnStatus } from './report-fields.ts';
