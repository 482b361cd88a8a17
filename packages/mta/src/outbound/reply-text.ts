import type { Reply } from '@mailstack/core';

/**
 * A peer's reply as nodemailer hands it over (`550-5.1.1 first\n550 5.1.1 second`), as core's
 * Reply. Null when the text does not start with a reply code (a local or socket error).
 */
export function parseReply(raw: string | undefined | false): Reply | null {
  if (!raw) return null;
  const lines = String(raw)
    .split(/\r?\n/)
    .filter((l) => l.length > 0);
  const first = /^([2-5]\d\d)(?:[ -]|$)/.exec(lines[0] ?? '');
  if (!first) return null;
  const code = Number(first[1]);
  let enhanced = '';
  const texts = lines.map((line) => {
    let text = line.replace(/^\d{3}[ -]?/, '');
    const m = /^([245]\.\d{1,3}\.\d{1,3})(?:\s+|$)/.exec(text);
    if (m) {
      enhanced ||= m[1] as string;
      text = text.slice(m[0].length);
    }
    return text.trim();
  });
  return { code, enhanced, text: texts.filter((t) => t).join(' ') || 'No text' };
}
