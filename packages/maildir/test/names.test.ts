import { InvalidNameError } from '@mailstack/core';
import { describe, expect, it } from 'vitest';
import { validateFolderName } from '../src/index.ts';
import { decodeMailboxName, encodeMailboxName, folderDirName, folderNameFromDir } from '../src/names.ts';
import { tempStore, USER } from './helpers.ts';

describe('modified UTF-7 (RFC 3501 5.1.3)', () => {
  it('encodes and decodes the RFC example and friends', () => {
    expect(encodeMailboxName('~peter/mail/台北/日本語')).toBe('~peter/mail/&U,BTFw-/&ZeVnLIqe-');
    expect(decodeMailboxName('~peter/mail/&U,BTFw-/&ZeVnLIqe-')).toBe('~peter/mail/台北/日本語');
    expect(encodeMailboxName('Tom & Jerry')).toBe('Tom &- Jerry');
    expect(decodeMailboxName('Tom &- Jerry')).toBe('Tom & Jerry');
    expect(encodeMailboxName('Entwürfe')).toBe('Entw&APw-rfe');
    for (const s of ['Ünïcödé', '😀 smile', 'a&b&c', 'Отправленные'])
      expect(decodeMailboxName(encodeMailboxName(s))).toBe(s);
  });

  it('rejects malformed input', () => {
    expect(() => decodeMailboxName('&Jjo')).toThrow(InvalidNameError);
    expect(() => decodeMailboxName('&!!-')).toThrow(InvalidNameError);
  });
});

describe('folder names', () => {
  it('maps the store view to Maildir++ directories', () => {
    expect(folderDirName('Lists/Work')).toBe('.Lists.Work');
    expect(folderDirName('inbox')).toBe('');
    expect(folderDirName('Entwürfe/2024')).toBe('.Entw&APw-rfe.2024');
    expect(folderNameFromDir('.Lists.Work')).toBe('Lists/Work');
    expect(folderNameFromDir('.Entw&APw-rfe')).toBe('Entwürfe');
    expect(folderNameFromDir('..')).toBeNull();
  });

  it.each([
    '',
    '/x',
    'x/',
    'a//b',
    'a.b',
    '..',
    '../x',
    'a/../../b',
    '/etc',
    'a\u0000b',
    'a\nb',
    'x'.repeat(600),
  ])('refuses %j', (name) => {
    expect(() => validateFolderName(name)).toThrow(InvalidNameError);
  });

  it('never resolves a name or user outside the Maildir', async () => {
    const { store, root, cleanup } = await tempStore();
    try {
      for (const bad of ['..', '../x', 'a/../../b', '/etc', 'a\u0000b', '.hidden'])
        await expect(store.createFolder(USER, bad)).rejects.toThrow(InvalidNameError);
      for (const user of [
        '../x@example.org',
        'a@..',
        'a/b@example.org',
        'nodomain',
        'a\u0000@x.org',
        '.@x.org',
      ])
        expect(() => store.userDir(user)).toThrow(InvalidNameError);
      const escaping = (await import('../src/index.ts')).createMaildirStore({
        root,
        userPath: () => '/tmp/elsewhere',
      });
      expect(() => escaping.userDir(USER)).toThrow(InvalidNameError);
    } finally {
      await cleanup();
    }
  });
});
