import { spawn } from 'node:child_process';

export interface PythonResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunPythonOptions {
  /** Kill the child after this long and reject. Default 30000 ms. */
  timeoutMs?: number;
  /** Written to the child's stdin, which is then closed. */
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/**
 * Runs a python3 snippet (`python3 -c script args...`), e.g. an smtplib/imaplib/poplib client
 * against a test server. Resolves with the exit code and output even when the code is non-zero;
 * rejects only when python3 cannot start or the timeout kills it.
 */
export function runPython(
  script: string,
  args: Array<string | number> = [],
  options: RunPythonOptions = {},
): Promise<PythonResult> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const child = spawn('python3', ['-c', script, ...args.map(String)], {
      stdio: 'pipe',
      env: { ...(options.env ?? process.env), PYTHONUNBUFFERED: '1', PYTHONIOENCODING: 'utf-8' },
      cwd: options.cwd,
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (timedOut)
        reject(new Error(`runPython: killed after ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
      else resolve({ code, stdout, stderr });
    });
    child.stdin.on('error', () => {}); // the script may exit without reading its input
    child.stdin.end(options.input ?? '');
  });
}
