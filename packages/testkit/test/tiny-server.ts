import type { AddressInfo } from 'node:net';
import { createServer, type Server, type Socket } from 'node:net';

/**
 * A toy SMTP-ish server for testing the helpers: greets, answers EHLO with a multi-line reply
 * written a byte at a time (so replies arrive split across packets), RCPT with 250/550,
 * LMTP-style one reply per RCPT after DATA, SILENT with nothing, QUIT with 221 and close.
 */
export async function startTinyServer(): Promise<{
  port: number;
  server: Server;
  close: () => Promise<void>;
}> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let rcpts = 0;
    let inData = false;
    let buf = '';
    socket.write('220 tiny ready\r\n');
    socket.on('data', async (chunk) => {
      buf += chunk.toString('utf8');
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        const line = buf.slice(0, nl).replace(/\r$/, '');
        buf = buf.slice(nl + 1);
        nl = buf.indexOf('\n');
        if (inData) {
          if (line === '.') {
            inData = false;
            for (let i = 0; i < rcpts; i++) socket.write(`250 2.0.0 ok for recipient ${i + 1}\r\n`);
          }
          continue;
        }
        const verb = line.split(' ')[0]!.toUpperCase();
        if (verb === 'EHLO') {
          for (const ch of '250-tiny greets you\r\n250-SIZE 1000\r\n250 PIPELINING\r\n') socket.write(ch);
        } else if (verb === 'RCPT') {
          if (line.includes('bad')) socket.write('550 5.1.1 no such user\r\n');
          else {
            rcpts++;
            socket.write('250 2.1.5 ok\r\n');
          }
        } else if (verb === 'DATA') {
          inData = true;
          socket.write('354 go ahead\r\n');
        } else if (verb === 'SILENT') {
          // says nothing
        } else if (verb === 'BYE') {
          socket.end();
        } else if (verb === 'QUIT') {
          socket.end('221 2.0.0 bye\r\n');
        } else socket.write(`250 ${line}\r\n`);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
