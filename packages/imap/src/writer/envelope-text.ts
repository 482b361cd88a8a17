/**
 * Summary strings → the bytes the message had. The summariser keeps header text that is not
 * UTF-8 as lone surrogates U+DC80..U+DCFF, one per original byte (see headerText in
 * @mailstack/maildir); IMAP strings are octets, so those go out as the bytes themselves
 * instead of as U+FFFD. Valid UTF-8 text (surrogate pairs included) is encoded as UTF-8.
 */
export function headerBytes(value: string): string | Buffer {
  if (!/[\udc80-\udcff]/.test(value)) return value;
  const out: Buffer[] = [];
  let run = '';
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    const afterHigh = i > 0 && value.charCodeAt(i - 1) >= 0xd800 && value.charCodeAt(i - 1) <= 0xdbff;
    if (code >= 0xdc80 && code <= 0xdcff && !afterHigh) {
      if (run !== '') out.push(Buffer.from(run, 'utf8'));
      run = '';
      out.push(Buffer.from([code - 0xdc00]));
    } else {
      run += value[i];
    }
  }
  if (run !== '') out.push(Buffer.from(run, 'utf8'));
  return Buffer.concat(out);
}

/** `headerBytes` for an nstring: null and undefined stay NIL. */
export function headerBytesOrNil(value: string | null | undefined): string | Buffer | null {
  return value === null || value === undefined ? null : headerBytes(value);
}
