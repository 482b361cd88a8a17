import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const LDA = fileURLToPath(new URL('../src/lda.ts', import.meta.url));

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
