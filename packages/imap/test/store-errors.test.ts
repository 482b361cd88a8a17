import * as core from '@mailstack/core';
import { describe, expect, it } from 'vitest';
import { storeErrorCode } from '../src/session/store-errors.ts';

describe('storeErrorCode: a store refusal as an IMAP response code', () => {
  it.each([
    [new core.NotFoundError('No such mailbox: x'), 'NONEXISTENT'],
    [new core.ExistsError('Mailbox already exists: x'), 'ALREADYEXISTS'],
    [new core.InvalidNameError('Bad mailbox name'), 'CANNOT'],
    [new core.LimitError('Too many keywords'), 'LIMIT'],
    [new core.OverQuotaError(), 'OVERQUOTA'],
    [new core.NoSpaceError(), 'OVERQUOTA'],
    [new core.TemporaryStorageError('lock'), 'UNAVAILABLE'],
    [new Error('bug'), 'SERVERBUG'],
  ])('%s → %s', (err, code) => {
    expect(storeErrorCode(err).code).toEqual({ code });
  });

  it('maps by refusal kind, not by name: an error named like an old backend class is a bug', () => {
    const named = Object.assign(new Error('x'), { name: 'FolderNotFoundError' });
    expect(storeErrorCode(named)).toEqual({ code: { code: 'SERVERBUG' }, text: 'internal error' });
  });

  it("says what was refused, in resp-text's printable ASCII", () => {
    expect(storeErrorCode(new core.InvalidNameError("'.' cannot be part of a name: a.b")).text).toBe(
      "'.' cannot be part of a name: a.b",
    );
    expect(storeErrorCode(new core.NotFoundError('No such mailbox: Éte\r\n')).text).toBe(
      'No such mailbox: ?te?',
    );
  });
});
