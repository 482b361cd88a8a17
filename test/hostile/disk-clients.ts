/**
 * Real clients for the full-disk tests: Python's smtplib.LMTP and imaplib, driven by small
 * scripts that print one JSON document, so a test reads exact codes and responses.
 */
import { run } from '../helpers/run.ts';

const LMTP_SEND = `
import json, smtplib, sys
port, rcpt, size = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
line = b'x' * 76 + b'\\r\\n'
body = line * (size // len(line) + 1)
msg = b'From: a@remote.test\\r\\nTo: ' + rcpt.encode() + b'\\r\\nSubject: big ' + sys.argv[4].encode() + b'\\r\\n\\r\\n' + body
c = smtplib.LMTP('127.0.0.1', port)
c.ehlo_or_helo_if_needed()
c.mail('a@remote.test')
c.rcpt(rcpt)
code, resp = c.data(msg)
c.quit()
print(json.dumps({'code': code, 'text': resp.decode()}))
`;

/** Sends one message of about `size` bytes over LMTP; returns the reply after DATA. */
export async function lmtpSend(
  port: number,
  rcpt: string,
  size: number,
  tag: string,
): Promise<{ code: number; text: string }> {
  const r = await run('python3', ['-c', LMTP_SEND, String(port), rcpt, String(size), tag]);
  if (r.code !== 0) throw new Error(`lmtp client failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as { code: number; text: string };
}

const IMAP_SESSION = `
import imaplib, json, sys
port, user, pw, steps = int(sys.argv[1]), sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
c = imaplib.IMAP4('127.0.0.1', port)
c.login(user, pw)
out = []
def run(cmd, args):
    if cmd == 'APPEND':
        return c.append(args[0], None, None, b'Subject: appended\\r\\n\\r\\n' + (b'x' * 70 + b'\\r\\n') * (args[1] // 72))
    if cmd == 'SELECT':
        return c.select(args[0])
    if cmd == 'FETCH':
        typ, data = c.fetch(args[0], args[1])
        return typ, [d[0] + b' ' + str(len(d[1])).encode() if isinstance(d, tuple) else d for d in data]
    typ, data = c._simple_command(cmd, *args)
    if cmd == 'EXPUNGE':
        return c._untagged_response(typ, data, 'EXPUNGE')
    return typ, data
for step in steps:
    try:
        typ, data = run(step[0], step[1:])
    except imaplib.IMAP4.error as e:
        typ, data = 'ERROR', [str(e).encode()]
    out.append({'cmd': step[0], 'status': typ, 'text': b' '.join(d for d in data if isinstance(d, bytes)).decode('latin1')[:500]})
c.logout()
print(json.dumps(out))
`;

export interface ImapStep {
  cmd: string;
  status: string;
  text: string;
}

/**
 * Runs IMAP commands over imaplib after LOGIN; a step is `[command, ...args]` (APPEND takes
 * mailbox and size). Each result has the tagged status and, for NO/BAD, the text.
 */
export async function imapSession(port: number, user: string, steps: unknown[][]): Promise<ImapStep[]> {
  const r = await run('python3', ['-c', IMAP_SESSION, String(port), user, 'secret', JSON.stringify(steps)]);
  if (r.code !== 0) throw new Error(`imap client failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as ImapStep[];
}
