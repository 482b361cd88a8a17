/**
 * The interop stage proves interop with these exact programs; a machine without them fails
 * here, by name, instead of some later test failing obscurely (nothing is ever skipped).
 */
import { describe, expect, it } from 'vitest';
import { postgresBinDir } from '../helpers/postgres.ts';
import { PROGRAMS, requirePrograms } from '../helpers/programs.ts';
import { run, runOk } from '../helpers/run.ts';

describe('the Debian programs of the interop stage', () => {
  it('are installed, and we run as root', () => {
    expect(() => requirePrograms(...(Object.keys(PROGRAMS) as Array<keyof typeof PROGRAMS>))).not.toThrow();
  });

  it('include PostgreSQL’s server (initdb and postgres, under a versioned path)', async () => {
    const bin = postgresBinDir();
    expect((await runOk(`${bin}/postgres`, ['--version'])).stdout).toMatch(/^postgres \(PostgreSQL\) \d+/);
  });

  it('are Dovecot 2.3, Postfix 3, swaks, fetchmail 6 with SSL and getmail 6', async () => {
    expect((await runOk(PROGRAMS.dovecot, ['--version'])).stdout).toMatch(/^2\.3\.\d+/);
    // postconf -d needs no main.cf, so it works on a machine where Postfix is unconfigured.
    expect((await runOk(PROGRAMS.postconf, ['-d', 'mail_version'])).stdout).toMatch(/^mail_version = 3\.\d+/);
    expect((await runOk(PROGRAMS.swaks, ['--version'])).stdout).toMatch(/swaks version/);
    // STARTTLS and --tls-on-connect need Net::SSLeay + IO::Socket::SSL (run.sh installs them).
    expect((await runOk(PROGRAMS.swaks, ['--support'])).stdout).toMatch(/^=== TLS supported$/m);
    // The POP3 clients of pop3-*.test.ts (fetchmail prints its version on stdout, exit 0 or 1).
    expect(
      (await run(PROGRAMS.fetchmail, ['--version'], { env: { ...process.env, LC_ALL: 'C' } })).stdout,
    ).toMatch(/This is fetchmail release 6\.\d+.*\+SSL/);
    expect((await runOk(PROGRAMS.getmail, ['--version'])).stdout).toMatch(/^getmail 6\.\d+/m);
    expect(
      (await runOk(PROGRAMS.python3, ['-c', 'import imaplib, smtplib; print("ok")'])).stdout.trim(),
    ).toBe('ok');
  });
});
