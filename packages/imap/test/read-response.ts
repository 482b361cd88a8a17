/**
 * A small independent reader of IMAP response data for tests: turns serialised output back
 * into nested arrays (strings, numbers as strings, null for NIL) so structure can be checked.
 */
export type Value = string | null | Value[];

export function readValues(buf: Buffer): Value[] {
  let i = 0;
  const items = (close: boolean): Value[] => {
    const out: Value[] = [];
    while (i < buf.length) {
      const b = buf[i]!;
      if (b === 0x20) {
        i++;
      } else if (b === 0x29) {
        if (!close) throw new Error(`unbalanced ) at ${i}`);
        i++;
        return out;
      } else if (b === 0x28) {
        i++;
        out.push(items(true));
      } else if (b === 0x22) {
        const bytes: number[] = [];
        i++;
        while (buf[i] !== 0x22) {
          if (i >= buf.length) throw new Error('unterminated quoted');
          if (buf[i] === 0x5c) i++;
          bytes.push(buf[i++]!);
        }
        i++;
        out.push(Buffer.from(bytes).toString('utf8'));
      } else if (b === 0x7b) {
        const end = buf.indexOf('}\r\n', i);
        const n = Number(buf.toString('latin1', i + 1, end));
        i = end + 3;
        out.push(buf.toString('utf8', i, i + n));
        i += n;
      } else if (b === 0x0d && buf[i + 1] === 0x0a) {
        if (close) throw new Error('line ended inside a list');
        i += 2;
        return out;
      } else {
        const start = i;
        while (i < buf.length && ![0x20, 0x28, 0x29, 0x0d].includes(buf[i]!)) {
          if (buf[i] === 0x5b) i = buf.indexOf(']', i); // section labels hold spaces
          i++;
        }
        const atom = buf.toString('latin1', start, i);
        out.push(atom === 'NIL' ? null : atom);
      }
    }
    if (close) throw new Error('unterminated list');
    throw new Error('missing CRLF');
  };
  const out = items(false);
  if (i !== buf.length) throw new Error(`trailing bytes at ${i}`);
  return out;
}
