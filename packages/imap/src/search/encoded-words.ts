/** RFC 2047 encoded words, decoded for SEARCH so `SUBJECT café` finds `=?UTF-8?Q?caf=C3=A9?=`. */
const WORD = /=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=/g;

function decodeWord(charset: string, encoding: string, text: string): string | null {
  let bytes: Buffer;
  if (encoding.toUpperCase() === 'B') bytes = Buffer.from(text, 'base64');
  else {
    const raw = text
      .replace(/_/g, ' ')
      .replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
    bytes = Buffer.from(raw, 'latin1');
  }
  try {
    // RFC 2231 language suffix: charset*lang.
    return new TextDecoder(charset.split('*')[0]!.toLowerCase()).decode(bytes);
  } catch {
    return null;
  }
}

export function decodeEncodedWords(value: string): string {
  // Whitespace between two encoded words is not part of the text (RFC 2047 6.2).
  const joined = value.replace(/(\?=)\s+(=\?)/g, '$1$2');
  return joined.replace(
    WORD,
    (all, cs: string, enc: string, text: string) => decodeWord(cs, enc, text) ?? all,
  );
}
