import {
  ExistsError,
  InvalidNameError,
  LimitError,
  NoSpaceError,
  NotFoundError,
  OverQuotaError,
  SmtpError,
  TemporaryStorageError,
} from '@mailstack/core';
import { describe, expect, it } from 'vitest';
import { enqueueError, storageReply } from '../src/index.ts';

describe('storageReply: a store or spool refusal as an SMTP reply', () => {
  it.each([
    [new OverQuotaError('Mailbox is full'), 552, '5.2.2', 'Mailbox is full'],
    [new NoSpaceError(), 452, '4.3.1', 'Insufficient system storage'],
    [Object.assign(new Error('write'), { code: 'ENOSPC' }), 452, '4.3.1', 'Insufficient system storage'],
    [new TemporaryStorageError('lock'), 451, '4.3.0', 'Temporary local problem, try again later'],
    [new NotFoundError('No such mailbox: x'), 550, '5.1.1', 'No such user here'],
    [new InvalidNameError('Bad user name'), 550, '5.1.3', 'Bad user name'],
    [new LimitError('Too many keywords'), 451, '4.3.0', 'Too many keywords'],
    [new ExistsError('there'), 451, '4.3.0', 'there'],
  ])('%s → %i %s', (err, code, enhanced, text) => {
    expect(storageReply(err)).toEqual({ code, enhanced, text });
  });

  it('maps by refusal kind, not class: an error marked by another copy of core maps the same', () => {
    const foreign = Object.assign(new Error('over'), {
      [Symbol.for('@mailstack/core.storage-refusal')]: 'over-quota',
    });
    expect(storageReply(foreign)).toMatchObject({ code: 552, enhanced: '5.2.2' });
  });

  it('keeps an SmtpError reply, and anything else is the fallback', () => {
    expect(storageReply(new SmtpError(552, '5.3.4', 'too big'))).toEqual({
      code: 552,
      enhanced: '5.3.4',
      text: 'too big',
    });
    expect(storageReply(new Error('bug'))).toEqual({
      code: 451,
      enhanced: '4.3.0',
      text: 'Local error in processing',
    });
  });

  it('never sends a message that is not one line of printable ASCII', () => {
    expect(storageReply(new OverQuotaError('Mailbox\r\n250 ok'))).toMatchObject({
      text: 'Mailbox is over quota',
    });
  });

  it('enqueueError: a full spool is 452 4.3.1, another failure 451 Could not queue', () => {
    expect(enqueueError(new NoSpaceError()).reply).toMatchObject({ code: 452, enhanced: '4.3.1' });
    expect(enqueueError(new Error('io')).reply).toEqual({
      code: 451,
      enhanced: '4.3.0',
      text: 'Could not queue the message, try again later',
    });
  });
});
