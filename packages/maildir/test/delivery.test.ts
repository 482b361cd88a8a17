import { spawnSync } from 'node:child_process';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { bufferBlob, type MessageBlob, SmtpError } from '@mailstack/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseFileName } from '../src/filename.ts';
import { sweepTmp } from '../src/tmp-sweep.ts';
import { parseUidList } from '../src/uidlist.ts';
import { message, tempStore, text, USER } from './helpers.ts';

let t: Awaited<ReturnType<typeof tempStore>>;
beforeEach(async () => {
  t = await tempStore();
});
afterEach(async () => {
  await t.cleanup();
});

function failingBlob(code: string): MessageBlob {
  return {
    size: 100_000,
    open: () =>
      new Readable({
        read() {
          this.push(Buffer.from('Subject: x\r\n\r\npartial body\r\n'));
          const err = Object.assign(new Error(`${code}: injected`), { code });
          this.destroy(err);
        },
      }),
  };
}

describe('delivery', () => {
  it('writes a Dovecot-style file name into new/, stores LF, reads back CRLF', async () => {
    const raw = 'Subject: hi\r\n\r\nline one\r\nline two\r\n';
    const { folder, uid } = await t.store.deliver(USER, bufferBlob(raw));
    expect(folder).toBe('INBOX');
    expect(uid).toBe(1);
    const names = await readdir(join(t.maildir, 'new'));
    expect(names).toHaveLength(1);
    const name = names[0]!;
    expect(name).toMatch(/^\d+\.M\d+P\d+Q\d+\.test\.host,S=\d+,W=\d+$/);
    const onDisk = await readFile(join(t.maildir, 'new', name), 'utf8');
    expect(onDisk).toBe(raw.replace(/\r\n/g, '\n'));
    const p = parseFileName(name);
    expect(p.size).toBe(onDisk.length);
    expect(p.wireSize).toBe(raw.length);
    expect(await readdir(join(t.maildir, 'tmp'))).toEqual([]);

    const f = await t.store.openFolder(USER, 'INBOX');
    expect(f.messages()).toEqual([expect.objectContaining({ uid: 1, size: raw.length, flags: [] })]);
    expect(await text(f.read(1))).toBe(raw);
    expect(await text(f.read(1, { start: 6, end: 20 }))).toBe(raw.slice(6, 20));
    expect(await text(f.read(1, { start: 15 }))).toBe(raw.slice(15));
    await f.close();
  });

  it('assigns increasing UIDs in dovecot-uidlist v3, keyed by base name', async () => {
    for (let i = 0; i < 3; i++) expect((await t.store.deliver(USER, message(`m${i}`))).uid).toBe(i + 1);
    const parsed = parseUidList(await readFile(join(t.maildir, 'dovecot-uidlist'), 'utf8'))!;
    expect(parsed.header.uidValidity).toBeGreaterThan(1_600_000_000);
    expect(parsed.header.guid).toMatch(/^[0-9a-f]{32}$/);
    expect(parsed.records.map((r) => r.uid)).toEqual([1, 2, 3]);
    const firstLine = (await readFile(join(t.maildir, 'dovecot-uidlist'), 'utf8')).split('\n')[0];
    expect(firstLine).toMatch(/^3 V\d+ N\d+ G[0-9a-f]{32}$/);
    const names = (await readdir(join(t.maildir, 'new'))).sort();
    expect(parsed.records.map((r) => r.base).sort()).toEqual(names);
  });

  it('reads a CRLF file written by another program without doubling CRs', async () => {
    await t.store.ensureUser(USER);
    const raw = 'Subject: crlf\r\n\r\nbody\r\n';
    await writeFile(join(t.maildir, 'cur', '1700000000.M1P1.other:2,S'), raw);
    const f = await t.store.openFolder(USER, 'INBOX');
    const [m] = f.messages();
    expect(m).toMatchObject({ uid: 1, size: raw.length, flags: ['\\Seen'] });
    expect(await text(f.read(m!.uid))).toBe(raw);
    const st = await stat(join(t.maildir, 'cur', '1700000000.M1P1.other:2,S'));
    expect(m!.internalDate.getTime()).toBe(Math.floor(st.mtimeMs));
    await f.close();
  });

  it('gives a UID to a file that reached new/ without one (crash before uidlist update)', async () => {
    await t.store.deliver(USER, message('a'));
    await writeFile(join(t.maildir, 'new', '1700000001.M5P5Q1.crashed,S=10,W=11'), 'Subject: z\n');
    const f = await t.store.openFolder(USER, 'INBOX');
    expect(f.messages().map((m) => m.uid)).toEqual([1, 2]);
    await f.close();
    const f2 = await t.store.openFolder(USER, 'INBOX');
    expect(f2.messages().map((m) => m.uid)).toEqual([1, 2]);
    await f2.close();
  });

  it.each(['EIO', 'ENOSPC'])('removes the tmp file and throws 452 4.3.1 on %s', async (code) => {
    await t.store.ensureUser(USER);
    const err = await t.store.deliver(USER, failingBlob(code)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SmtpError);
    expect((err as SmtpError).code).toBe(452);
    expect((err as SmtpError).enhanced).toBe('4.3.1');
    expect(await readdir(join(t.maildir, 'tmp'))).toEqual([]);
    expect(await readdir(join(t.maildir, 'new'))).toEqual([]);
    expect(await readdir(join(t.maildir, 'cur'))).toEqual([]);
  });

  it('sweeps tmp/ when a folder is opened: dead writers at once, others after 36 h untouched (by ctime)', async () => {
    await t.store.ensureUser(USER);
    const { utimes } = await import('node:fs/promises');
    const tmp = join(t.maildir, 'tmp');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    }).stdout;
    await writeFile(join(tmp, `1700000000.M1P${dead}Q1.test.host`), 'left by a killed writer');
    // A live APPEND of old mail: its mtime is already the old INTERNALDATE, its ctime is now.
    const appending = join(tmp, 'appending.file');
    await writeFile(appending, 'x');
    const past = new Date(Date.now() - 37 * 3600 * 1000);
    await utimes(appending, past, past);
    const f = await t.store.openFolder(USER, 'INBOX');
    expect(await readdir(tmp)).toEqual(['appending.file']);
    await f.close();
    // Untouched for 36 hours by the inode's clock: swept.
    expect(await sweepTmp(t.maildir, 'test.host', Date.now() + 37 * 3600 * 1000)).toBe(1);
    expect(await readdir(tmp)).toEqual([]);
  });

  it('falls back to INBOX when the target folder does not exist', async () => {
    expect((await t.store.deliver(USER, message('x'), { folder: 'Nope' })).folder).toBe('INBOX');
    await t.store.createFolder(USER, 'Lists/Work');
    expect(await t.store.deliver(USER, message('y'), { folder: 'Lists/Work' })).toEqual({
      folder: 'Lists/Work',
      uid: 1,
    });
  });

  it('delivers with flags into cur/ and sets the internal date', async () => {
    const date = new Date('2020-01-02T03:04:05Z');
    await t.store.deliver(USER, message('f'), {
      flags: ['\\Seen', '\\Flagged', '$Label1'],
      internalDate: date,
    });
    const names = await readdir(join(t.maildir, 'cur'));
    expect(names[0]).toMatch(/:2,FSa$/);
    expect(await readFile(join(t.maildir, 'dovecot-keywords'), 'utf8')).toBe('0 $Label1\n');
    const f = await t.store.openFolder(USER, 'INBOX');
    expect(f.messages()[0]).toMatchObject({ flags: ['\\Flagged', '\\Seen', '$Label1'], internalDate: date });
    await f.close();
  });
});
