import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type LineClient, lineClient } from '@mailstack/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { ALICE, type Harness, startHarness } from './fixtures.ts';

let h: Harness | undefined;
let client: LineClient | undefined;
afterEach(async () => {
  await client?.close();
  client = undefined;
  await h?.close();
  h = undefined;
});

async function loggedIn(port: number): Promise<LineClient> {
  const c = await lineClient(port);
  await c.read();
  await c.writeLine(`a LOGIN ${ALICE} alice-pw`);
  await c.readUntil(/^a OK/);
  return c;
}

/** Waits (bounded) until `probe` holds. */
async function until(probe: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Largest file in INBOX's tmp/ (the message being written), 0 when none. */
async function tmpBytes(root: string): Promise<number> {
  const tmp = join(root, 'example.test', 'alice', 'Maildir', 'tmp');
  let most = 0;
  for (const name of await readdir(tmp)) {
    const size = await stat(join(tmp, name)).then(
      (s) => s.size,
      () => 0,
    );
    most = Math.max(most, size);
  }
  return most;
}

describe('APPEND', () => {
  it('advertises APPENDLIMIT=n, reports it in STATUS, and refuses a larger literal at once with NO [TOOBIG]', async () => {
    h = await startHarness({ maxAppendSize: 1000 });
    client = await lineClient(h.port);
    expect(await client.read()).toMatch(/^\* OK \[CAPABILITY [^\]]* APPENDLIMIT=1000[ \]]/);
    await client.writeLine(`a LOGIN ${ALICE} alice-pw`);
    expect((await client.readUntil(/^a OK/)).at(-1)).toMatch(/ APPENDLIMIT=1000[ \]]/);
    await client.writeLine('b STATUS INBOX (APPENDLIMIT MESSAGES)');
    expect(await client.read()).toBe('* STATUS INBOX (APPENDLIMIT 1000 MESSAGES 0)');
    await client.readUntil(/^b OK/);
    // Synchronizing: no `+`, the client sends nothing, the session goes on.
    await client.writeLine('c APPEND INBOX {1001}');
    expect(await client.read()).toBe('c NO [TOOBIG] Message too large (limit 1000 bytes)');
    await client.writeLine('d APPEND INBOX {1000}');
    expect(await client.read()).toMatch(/^\+ /);
    await client.write(`${'x'.repeat(998)}\r\n\r\n`);
    expect(await client.read()).toMatch(/^d OK \[APPENDUID \d+ 1\] APPEND completed$/);
    // LITERAL+: the bytes are already coming and cannot be told from commands: answer, close.
    await client.writeLine('e APPEND INBOX {5000+}');
    expect(await client.read()).toBe('e NO [TOOBIG] Message too large (limit 1000 bytes)');
    expect(await client.read()).toBe('* BYE protocol error; closing');
    await client.closed;
    const inbox = await h.store.openFolder(ALICE, 'INBOX');
    expect(inbox.messages().map((m) => m.size)).toEqual([1000]);
    await inbox.close();
  });

  it('streams a 30 MiB message into the store as it arrives, holding only a bounded part of it', async () => {
    h = await startHarness({ backend: 'maildir' });
    client = await loggedIn(h.port);
    const line = Buffer.from(`${'0123456789abcdef'.repeat(4)}\r\n`); // 66 bytes, 65 stored (LF)
    const chunk = Buffer.concat(Array.from({ length: 1000 }, () => line)); // 66,000 bytes
    const chunks = 480; // 31,680,000 bytes
    const size = chunk.length * chunks;
    await client.writeLine(`f APPEND INBOX (\\Seen) {${size}}`);
    expect(await client.read()).toMatch(/^\+ /);
    // Bytes sent but not yet in the tmp file: kernel socket buffers, the connection's event
    // queue and the writer's batch. A whole-buffer parser lets it grow to the full message.
    let lag = 0;
    for (let i = 1; i <= chunks; i++) {
      await client.write(chunk);
      const onDisk = ((await tmpBytes(h.dir!.path)) * 66) / 65;
      lag = Math.max(lag, i * chunk.length - onDisk);
      if (i === chunks / 2) {
        // Half sent, the rest held back: a buffering server has written nothing yet.
        await until(async () => (await tmpBytes(h!.dir!.path)) >= 8 * 1024 * 1024, 'the tmp file to grow');
      }
    }
    await client.write('\r\n');
    expect(await client.read()).toMatch(/^f OK \[APPENDUID \d+ 1\] APPEND completed$/);
    expect(lag).toBeLessThan(8 * 1024 * 1024);
    const inbox = await h.store.openFolder(ALICE, 'INBOX');
    expect(inbox.messages().map((m) => [m.size, m.flags])).toEqual([[size, ['\\Seen']]]);
    let read = 0;
    let same = true;
    for await (const piece of inbox.read(1, { start: size - chunk.length })) {
      same &&= (piece as Buffer).equals(chunk.subarray(read, read + (piece as Buffer).length));
      read += (piece as Buffer).length;
    }
    expect([read, same]).toEqual([chunk.length, true]);
    await inbox.close();
  });

  it('removes the partial tmp file and stores nothing when the client goes away mid-message', async () => {
    h = await startHarness({ backend: 'maildir' });
    client = await loggedIn(h.port);
    await client.writeLine('j APPEND INBOX {4000000}');
    expect(await client.read()).toMatch(/^\+ /);
    await client.write(Buffer.alloc(1_000_000, 0x61));
    await until(async () => (await tmpBytes(h!.dir!.path)) > 0, 'the tmp file');
    client.socket.destroy();
    await until(
      async () => (await readdir(join(h!.dir!.path, 'example.test', 'alice', 'Maildir', 'tmp'))).length === 0,
      'tmp/ to be emptied',
    );
    const inbox = await h.store.openFolder(ALICE, 'INBOX');
    expect(inbox.messages()).toEqual([]);
    await inbox.close();
  });

  it('answers BAD and stores nothing when the command goes on after the message (no MULTIAPPEND)', async () => {
    h = await startHarness({ backend: 'maildir' });
    client = await loggedIn(h.port);
    await client.writeLine('g APPEND INBOX {3}');
    expect(await client.read()).toMatch(/^\+ /);
    await client.write('abc (\\Seen) "x"\r\n');
    expect(await client.read()).toMatch(/^g BAD .*MULTIAPPEND/);
    await client.writeLine('h NOOP');
    expect(await client.read()).toBe('h OK NOOP completed');
    // A second LITERAL+ message is on its way and cannot be framed: answer, then close.
    await client.write('i APPEND INBOX {3+}\r\nabc {3+}\r\n');
    expect(await client.read()).toMatch(/^i BAD .*MULTIAPPEND/);
    expect(await client.read()).toBe('* BYE protocol error; closing');
    await client.closed;
    const inbox = await h.store.openFolder(ALICE, 'INBOX');
    expect(inbox.messages()).toEqual([]);
    expect(await tmpBytes(h.dir!.path)).toBe(0);
    await inbox.close();
  });
});
