import { spawn } from 'node:child_process';
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SCOPE_TAG } from '@mailstack/agent-process';
import { bufferBlob } from '@mailstack/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FileSpool, openFileSpool } from '../src/index.ts';
import { envelope, messageBytes, reply, tempDir } from './fixtures.ts';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI as a real process, the way an operator would. */
function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: 'pipe', env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let tmp: Awaited<ReturnType<typeof tempDir>>;
let spool: FileSpool;
beforeEach(async () => {
  tmp = await tempDir('mailstack-queue-cli-');
  spool = await openFileSpool(tmp.path);
});
afterEach(() => tmp.cleanup());

describe('mailstack-queue CLI', () => {
  it('lists, shows, holds, releases, flushes, requeues and deletes', async () => {
    const q = (...args: string[]) => cli(['--spool', tmp.path, ...args]);
    expect(await q('list')).toEqual({ code: 0, stdout: 'Mail queue is empty\n', stderr: '' });

    const a = await spool.enqueue(
      envelope([{ address: 'slow@r.test', notify: ['DELAY', 'FAILURE'] }, 'done@r.test']),
      bufferBlob(messageBytes(1, 300)),
    );
    const b = await spool.enqueue(envelope(['x@r.test'], ''), bufferBlob('Subject: b\r\n\r\nhi\r\n'));
    await spool.lease(new Date(), { owner: 'w', max: 1 });
    await spool.settle(a, [
      { recipient: 'slow@r.test', reply: reply(451, 'greylisted, try again') },
      { recipient: 'done@r.test', reply: reply(250) },
    ]);

    const list = await q('list');
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(`${a}  `);
    expect(list.stdout).toContain('<sender@example.test>');
    expect(list.stdout).toMatch(/deferred\s+slow@r\.test\s+next \d{4}-/);
    expect(list.stdout).toContain('(451 4.0.0 greylisted, try again)');
    expect(list.stdout).toMatch(/delivered\s+done@r\.test/);
    expect(list.stdout).toContain(`${b}  `);
    expect(list.stdout).toContain('<>');
    expect(list.stdout).toContain('-- 2 messages, 318 bytes');

    const json = JSON.parse((await q('list', '--json')).stdout);
    expect(json.map((m: { id: string }) => m.id)).toEqual([a, b]);
    expect(json[0].recipients[0]).toMatchObject({ status: 'deferred', lastReply: { code: 451 } });
    expect(json[0].body).toEqual({ id: a, size: 300 });

    const show = await q('show', a);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain(`Queue ID:     ${a}`);
    expect(show.stdout).toContain('Parameters:   BODY=8BITMIME ENVID=env-1 RET=HDRS');
    expect(show.stdout).toContain(
      'Received from: helo=client.example.test addr=127.0.0.1 proto=ESMTPSA tls=yes',
    );
    expect(show.stdout).toContain('NOTIFY=DELAY,FAILURE');
    expect(show.stdout).toContain('attempts 1, last');
    const body = await q('show', b, '--body');
    expect(body.stdout.endsWith('\nSubject: b\r\n\r\nhi\r\n')).toBe(true);

    expect(await q('hold', a)).toMatchObject({ code: 0, stdout: 'held 1 message\n' });
    expect((await q('list')).stdout).toContain(`${a}!`);
    expect((await spool.get(a))?.held).toBe(true);
    expect(await q('release', 'ALL')).toMatchObject({ code: 0, stdout: 'released 2 messages\n' });
    expect((await spool.get(a))?.held).toBe(false);

    expect((await spool.get(a))!.nextAttemptAt.getTime()).toBeGreaterThan(Date.now());
    expect(await q('flush')).toMatchObject({ code: 0, stdout: 'flushed 2 messages\n' });
    expect((await spool.get(a))!.nextAttemptAt.getTime()).toBeLessThanOrEqual(Date.now());

    expect((await spool.lease(new Date(), { owner: 'w' })).map((m) => m.id)).toEqual([a, b]);
    expect((await q('list')).stdout).toContain(`${b}*`);
    expect(await q('requeue', b)).toMatchObject({ code: 0, stdout: 'requeued 1 message\n' });
    expect((await spool.get(b))?.lease).toBeUndefined();

    expect(await q('delete', a)).toMatchObject({ code: 0, stdout: 'deleted 1 message\n' });
    expect(await spool.get(a)).toBeUndefined();
    const again = await q('delete', a);
    expect(again.code).toBe(66);
    expect(again.stderr).toContain(`no message ${a}`);
    expect((await cli(['delete', 'ALL'], { MAILSTACK_SPOOL: tmp.path })).stdout).toBe('deleted 1 message\n');
    expect((await q('list')).stdout).toBe('Mail queue is empty\n');
  });

  it('answers usage errors with 64 and a missing spool or message with 66', async () => {
    expect((await cli(['list'])).code).toBe(64);
    expect((await cli(['--spool', tmp.path, 'frobnicate'])).code).toBe(64);
    expect((await cli(['--spool', tmp.path, 'hold', '../x'])).code).toBe(64);
    expect((await cli(['--spool', tmp.path, 'show'])).code).toBe(64);
    expect((await cli(['--spool', `${tmp.path}/nope`, 'list'])).code).toBe(66);
    expect((await cli(['--spool', tmp.path, 'show', '01ARZ3NDEKTSV4RRFFQ69G5FAV'])).code).toBe(66);
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage: mailstack-queue');
  });

  it('answers 75 (try again) when a message stays locked by a live process past the wait', async () => {
    const id = await spool.enqueue(envelope(['a@r.test']), bufferBlob('x'));
    const q = join(tmp.path, 'queue');
    // Locked by this (live) test process: the CLI waits its lockWaitMs, then gives up.
    await rename(join(q, `${id}.meta`), join(q, `${id}.meta.lock-${SCOPE_TAG}-${process.pid}-0badf00d`));
    const run = await cli(['--spool', tmp.path, 'hold', id]);
    expect(run.code).toBe(75);
    expect(run.stderr).toContain('locked by another process');
  }, 60_000);
});
