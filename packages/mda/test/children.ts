import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const LDA = fileURLToPath(new URL('../src/lda.ts', import.meta.url));
export const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

export interface LdaRun {
  code: number | null;
  stderr: string;
}

/** Runs the LDA entry with `input` on stdin. */
export function runLda(args: string[], input: string | Buffer): Promise<LdaRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [LDA, ...args], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
    child.stdin.end(input);
  });
}

export interface MdaProcess {
  child: ChildProcess;
  /** The JSON line main.ts printed once listening. */
  listening: { event: string; port?: number; host?: string; path?: string };
  port: number;
  exited: Promise<number | null>;
  /** What the process logged on stderr so far (JSON lines). */
  stderr(): string;
}

/** Starts main.ts (on an ephemeral port unless `args` say where) and resolves once it printed its address. */
export function startMda(args: string[]): Promise<MdaProcess> {
  const where = args.includes('--socket') || args.includes('--listen') ? [] : ['--listen', '127.0.0.1:0'];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args, ...where], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    let out = '';
    let err = '';
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      err += d;
    });
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      const line = JSON.parse(out.slice(0, nl)) as MdaProcess['listening'];
      if (line.event === 'listening')
        resolve({ child, listening: line, port: line.port ?? 0, exited, stderr: () => err });
    });
    child.on('error', reject);
    exited.then((code) => reject(new Error(`main.ts exited with ${code} before listening: ${err}`)));
  });
}
