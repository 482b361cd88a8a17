import { lineClient } from '@mailstack/testkit';
import nodemailer from 'nodemailer';
import { ALICE, type OpsHost } from './ops-host.ts';

/** Submits one message as Alice over STARTTLS; a wrong password makes the send fail. */
export async function submit(host: OpsHost, pass: string): Promise<void> {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: host.ports.msa,
    requireTLS: true,
    tls: { rejectUnauthorized: false },
    auth: { user: ALICE.user, pass },
  });
  try {
    await transport.sendMail({ from: ALICE.user, to: ALICE.user, subject: 'metrics', text: 'counted\n' });
  } finally {
    transport.close();
  }
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
