/**
 * Mailbox names with LIST's wildcards are refused, as Dovecot does (issue 11, item 9): a
 * folder called `*` or `%` could never be matched alone by LIST.
 */
import { runPython } from '@mailstack/testkit';
import { afterEach, expect, it } from 'vitest';
import { type Harness, startHarness } from '../../packages/imap/test/fixtures.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

it('CREATE and RENAME to a name containing * or % answer NO and create nothing', async () => {
  h = await startHarness();
  await h.store.createFolder('alice@example.test', 'Keep');
  const script = `
import imaplib, sys
c = imaplib.IMAP4('127.0.0.1', int(sys.argv[1]))
c.login('alice@example.test', 'alice-pw')
for name in ['"*"', '"%"', '"Work/*"', '"a%b"']:
    print('CREATE', name, c._simple_command('CREATE', name))
print('RENAME', c._simple_command('RENAME', 'Keep', '"K*"'))
print('LIST', c.list('""', '"*"')[1])
c.logout()
`;
  const r = await runPython(script, [h.port]);
  expect(r.stderr).toBe('');
  const lines = r.stdout.trim().split('\n');
  for (const line of lines.filter((l) => l.startsWith('CREATE') || l.startsWith('RENAME')))
    expect(line).toMatch(/\('NO', \[b'\[CANNOT\]/);
  const list = lines.find((l) => l.startsWith('LIST')) ?? '';
  expect(list).toContain('Keep');
  expect(list).not.toMatch(/"\*"|"%"|Work|a%b|K\*/);
});
