import type { LineClient } from '@mailstack/testkit';

/** Reads one (possibly multi-line) SMTP/LMTP reply and returns its last line, e.g. `250 2.1.5 Accepted`. */
export async function reply(client: LineClient): Promise<string> {
  const lines = await client.readUntil(/^\d{3}(?: |$)/);
  return lines[lines.length - 1] as string;
}

export async function replies(client: LineClient, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(await reply(client));
  return out;
}

export async function command(client: LineClient, line: string): Promise<string> {
  await client.writeLine(line);
  return reply(client);
}

/** Dot-stuffs a message and ends it with CRLF.CRLF, as DATA wants it. */
export function dataBlock(message: string): string {
  const body = message.endsWith('\r\n') ? message : `${message}\r\n`;
  return `${body.replace(/^\./gm, '..')}.\r\n`;
}
