import { describe, expect, it } from 'vitest';
import { LineEndScanner } from '../src/line-end-scan.ts';

/** Feeds `text` in chunks of `size`; the refusal's text, or 'ok'. */
function scan(text: string, size: number, refuseBare = true): string {
  const scanner = new LineEndScanner(refuseBare);
  const bytes = Buffer.from(text, 'latin1');
  for (let i = 0; i < bytes.length; i += size) {
    const refusal = scanner.feed(bytes.subarray(i, i + size));
    if (refusal) return refusal.reply.text;
  }
  return scanner.end()?.reply.text ?? 'ok';
}

describe('LineEndScanner', () => {
  it.each([1, 2, 3, 1000])(
    'finds bare CR, bare LF and NUL across chunk boundaries (chunks of %i)',
    (size) => {
      expect(scan('A: 1\r\n\r\nbody\r\n', size)).toBe('ok');
      expect(scan('A: 1\rX: 2\r\n\r\nbody\r\n', size)).toMatch(/bare CR or LF/);
      expect(scan('A: 1\r\n\nbody\r\n', size)).toMatch(/bare CR or LF/);
      expect(scan('\nA: 1\r\n', size)).toMatch(/bare CR or LF/);
      expect(scan('A: 1\r\n\r\nbody\r', size)).toMatch(/bare CR or LF/);
      expect(scan('A: 1\r\r\n', size)).toMatch(/bare CR or LF/);
      expect(scan('A: 1\r\n\r\nbo\0dy\r\n', size)).toMatch(/NUL/);
    },
  );

  it('refuses NUL even where bare line ends are let through', () => {
    expect(scan('A: 1\n\nbody\r', 2, false)).toBe('ok');
    expect(scan('A: 1\n\nbo\0dy\n', 2, false)).toMatch(/NUL/);
  });
});
