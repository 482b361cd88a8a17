import nodemailer from 'nodemailer';

export interface Submission {
  from: string;
  to: string;
  subject: string;
  text?: string;
  messageId?: string;
}

/**
 * One message submitted with nodemailer over STARTTLS (587 style, any certificate) as
 * `user`/`pass`; resolves with the reply code: 250 when queued, else the refusal's code.
 */
export async function submit(port: number, user: string, pass: string, mail: Submission): Promise<number> {
  const transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port,
    requireTLS: true,
    tls: { rejectUnauthorized: false },
    auth: { user, pass },
  });
  try {
    await transport.sendMail({ text: 'hi', ...mail });
    return 250;
  } catch (err) {
    const code = (err as { responseCode?: number }).responseCode;
    if (code === undefined) throw err;
    return code;
  } finally {
    transport.close();
  }
}
