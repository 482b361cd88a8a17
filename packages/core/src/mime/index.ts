/**
 * The MIME summariser: one streaming pass over a message that yields the tree IMAP turns into
 * BODYSTRUCTURE, ENVELOPE and BODY[section] range reads. Pure (bytes in, tree out), so every
 * MailboxStore backend builds the same summary.
 *
 * What the IMAP writer can rely on, all matching Dovecot 2.3:
 * - Offsets are wire-form (CRLF) bytes from byte 0 of the outer message, also inside
 *   message/rfc822 parts. [headerStart, bodyStart) is the header with its blank line;
 *   [bodyStart, bodyEnd) the body; the CRLF before a boundary line belongs to the boundary.
 * - bodyLines = the LFs inside the body (a last line without LF is not counted).
 * - text/* parts always carry a charset parameter (us-ascii appended when absent), so params
 *   can be written as they are; other parts with no parameters have `params: []` (NIL).
 * - `parts` present = multipart (a multipart without parts gets one empty text/plain part);
 *   `message` present = message/rfc822 or message/global with its envelope and body.
 *   A multipart or message part without them (over the nesting/part limits) is a basic body.
 * - Type, subtype and parameter names are lower-case; parameter values, disposition type,
 *   encoding and envelope values are as written (unfolded, not decoded; RFC 2231 values left
 *   in their charset'lang'%XX form under a `name*` key).
 */
export { MessageSummarizer, type SummarizeLimits, summarize, summarizeBuffer } from './summarize.ts';
