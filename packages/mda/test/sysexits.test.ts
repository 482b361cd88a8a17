import { describe, expect, it } from 'vitest';
import { exitCodeFor } from '../src/index.ts';

const r = (code: number, enhanced: string) => ({
  recipient: 'x@example.test',
  reply: { code, enhanced, text: '' },
});

describe('exitCodeFor', () => {
  it('maps delivery results to sysexits, most urgent first', () => {
    expect(exitCodeFor([r(250, '2.0.0')])).toBe(0);
    expect(exitCodeFor([r(250, '2.0.0'), r(452, '4.2.2')])).toBe(75);
    expect(exitCodeFor([r(552, '5.2.2')])).toBe(75); // over quota: retry, as dovecot-lda with quota_full_tempfail
    expect(exitCodeFor([r(550, '5.1.1'), r(451, '4.3.0')])).toBe(75);
    expect(exitCodeFor([r(550, '5.1.1'), r(250, '2.0.0')])).toBe(67);
    expect(exitCodeFor([r(501, '5.1.3')])).toBe(67);
    expect(exitCodeFor([r(552, '5.3.4')])).toBe(65);
    expect(exitCodeFor([r(554, '5.7.1')])).toBe(69);
  });
});
