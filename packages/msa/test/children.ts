import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

export interface ListeningLine {
  event: 'listening';
  protocol: string;
  tls: 'starttls' | 'implicit';
  port: number;
  host: string;
}

export interface MsaProcess {
  child: ChildProcess;
  /** One line per listener, in flag order. */
  listening: ListeningLine[];
  exited: Promise<number | null>;
  stderr(): string;
}

/** Starts main.ts and resolves once it printed `expect` listening lines. */
export function startMsa(args: string[], expect: number): Promise<MsaProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    let out = '';
    let err = '';
    const listening: ListeningLine[] = [];
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      err += d;
    });
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      for (let nl = out.indexOf('\n'); nl >= 0; nl = out.indexOf('\n')) {
        const line = JSON.parse(out.slice(0, nl)) as ListeningLine;
        out = out.slice(nl + 1);
        if (line.event === 'listening') listening.push(line);
      }
      if (listening.length === expect) resolve({ child, listening, exited, stderr: () => err });
    });
    child.on('error', reject);
    exited.then((code) => reject(new Error(`main.ts exited with ${code} before listening: ${err}`)));
  });
}
