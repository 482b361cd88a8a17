import { lineClient } from '@mailstack/testkit';
import { ALICE, type OpsHost } from './ops-host.ts';
import { submit as submitMail } from './submit.ts';

/** Submits one message as Alice over STARTTLS; a refusal (a wrong password: 535) rejects. */
export async function submit(host: OpsHost, pass: string): Promise<void> {
  const mail = { from: ALICE.user, to: ALICE.user, subject: 'metrics', text: 'counted\n' };
  const code = await submitMail(host.ports.msa, ALICE.user, pass, mail);
  if (code !== 250) throw new Error(`submission refused with ${code}`);
}

/** An IMAP LOGIN with this password; resolves with the tagged answer and the open client. */
export async function imapLogin(host: OpsHost, pass: string) {
  const client = await lineClient(host.ports.imap);
  await client.read();
  await client.writeLine(`a LOGIN ${ALICE.user} ${pass}`);
  const lines = await client.readUntil(/^a (OK|NO|BAD)/);
  return { answer: lines.at(-1) ?? '', client };
}

/** A POP3 USER/PASS with this password; resolves with the answer to PASS. */
export async function pop3Login(host: OpsHost, pass: string): Promise<string> {
  const client = await lineClient(host.ports.pop3);
  try {
    await client.read();
    await client.writeLine(`USER ${ALICE.user}`);
    await client.read();
    await client.writeLine(`PASS ${pass}`);
    const answer = await client.read();
    await client.writeLine('QUIT');
    await client.read().catch(() => '');
    return answer;
  } finally {
    await client.close();
  }
}
