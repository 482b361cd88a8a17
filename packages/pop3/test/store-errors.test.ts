import { InvalidNameError, NoSpaceError, NotFoundError, TemporaryStorageError } from '@mailstack/core';
import { describe, expect, it } from 'vitest';
import { storeErrText } from '../src/store-errors.ts';

describe('storeErrText: a store refusal as a POP3 -ERR (RFC 3206 codes)', () => {
  it.each([
    [new TemporaryStorageError('lock'), '[SYS/TEMP] maildrop unavailable'],
    [new NoSpaceError(), '[SYS/TEMP] maildrop unavailable'],
    [new Error('unknown'), '[SYS/TEMP] maildrop unavailable'],
    [new InvalidNameError('Bad user name'), '[SYS/PERM] maildrop unavailable'],
    [new NotFoundError('gone'), 'maildrop unavailable: no longer there'],
  ])('%s → %s', (err, text) => {
    expect(storeErrText(err, 'maildrop unavailable')).toBe(text);
  });
});
