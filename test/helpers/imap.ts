import { runOk } from './run.ts';

/**
 * Runs IMAP commands with Python's imaplib (a real, independent client) against a server on
 * 127.0.0.1: logs in, selects `mailbox`, runs each `[command, ...args]` through
 * `IMAP4.uid()` (or a plain command for EXPUNGE/NOOP), and returns each (typ, data) decoded.
 */
export async function imapUidCommands(
  port: number,
  user: string,
  password: string,
  mailbox: string,
  commands: string[][],
): Promise<Array<{ typ: string; data: string[] }>> {
  const script = `
import imaplib, json, sys
req = json.load(sys.stdin)
m = imaplib.IMAP4('127.0.0.1', req['port'])
m.login(req['user'], req['password'])
typ, data = m.select(req['mailbox'])
if typ != 'OK':
    raise SystemExit('SELECT failed: %r' % data)
out = []
for cmd in req['commands']:
    if cmd[0].upper() in ('EXPUNGE', 'NOOP', 'CHECK'):
        typ, data = m._simple_command(cmd[0].upper())
        typ, data = m._untagged_response(typ, data, cmd[0].upper())
    else:
        typ, data = m.uid(*cmd)
    out.append({'typ': typ, 'data': [d.decode('utf-8', 'replace') if isinstance(d, bytes) else repr(d) for d in (data or []) if d is not None]})
m.logout()
print(json.dumps(out))
`;
  const { stdout } = await runOk('python3', ['-c', script], {
    input: JSON.stringify({ port, user, password, mailbox, commands }),
  });
  return JSON.parse(stdout);
}
