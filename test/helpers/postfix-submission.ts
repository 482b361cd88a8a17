import { chownSync } from 'node:fs';
import { makeTempDir } from './daemon.ts';
import { type DovecotInstance, startDovecot } from './dovecot.ts';
import { type PostfixInstance, startPostfix } from './postfix.ts';
import { requirePrograms } from './programs.ts';
import { runOk } from './run.ts';
import { makeCertificate } from './tls.ts';

export interface PostfixSubmissionOptions {
  /** Users as `local@domain` → plaintext password; Dovecot's passwd-file checks them. */
  users: Record<string, string>;
  /** Hold accepted mail instead of delivering it (default true; see postfix-config.ts). */
  hold?: boolean;
  maxProcesses?: number;
  /** Postfix's `max_idle` in seconds (default 100). */
  maxIdleSeconds?: number;
}

export interface PostfixSubmission {
  readonly postfix: PostfixInstance;
  /** Dovecot, here only for its auth service (Postfix's SASL). */
  readonly dovecot: DovecotInstance;
  readonly host: string;
  /** STARTTLS required, then AUTH required (587-style). */
  readonly port: number;
  /** Implicit TLS, then AUTH required (465-style). */
  readonly tlsPort: number;
  readonly certPath: string;
  /** Process groups whose memory is the service's: Postfix's and Dovecot's (auth). */
  readonly pgids: number[];
  /** Queue ids on Postfix's hold queue (`postqueue -j`). */
  heldIds(): Promise<string[]>;
  stop(): Promise<void>;
}

/**
 * A throwaway Postfix submission service: Postfix 3.7 on loopback with a STARTTLS-required
 * listener and an implicit-TLS one, SASL AUTH required and checked by a throwaway Dovecot's
 * auth socket (`smtpd_sasl_type = dovecot`, Postfix's usual pairing on Debian), a fresh
 * self-signed certificate, and every accepted message held on the queue.
 */
export async function startPostfixSubmission(options: PostfixSubmissionOptions): Promise<PostfixSubmission> {
  requirePrograms('postfix', 'postconf', 'dovecot');
  const certs = makeTempDir('postfix-tls');
  let dovecot: DovecotInstance | undefined;
  let postfix: PostfixInstance | undefined;
  const stop = async () => {
    await postfix?.stop();
    await dovecot?.stop();
    certs.remove();
  };
  try {
    const { certPath, keyPath } = await makeCertificate(certs.path);
    // smtpd reads the key after dropping to the postfix user.
    const gid = Number((await runOk('id', ['-g', 'postfix'])).stdout.trim());
    chownSync(keyPath, 0, gid);
    dovecot = await startDovecot({
      users: options.users,
      authSocketFor: { user: 'postfix', group: 'postfix' },
    });
    const saslPath = dovecot.authSocket;
    if (saslPath === undefined) throw new Error('dovecot started without its auth socket');
    const domains = [...new Set(Object.keys(options.users).map((u) => u.slice(u.lastIndexOf('@') + 1)))];
    postfix = await startPostfix({
      domains,
      submission: {
        certPath,
        keyPath,
        saslPath,
        hold: options.hold ?? true,
        ...(options.maxProcesses === undefined ? {} : { maxProcesses: options.maxProcesses }),
        ...(options.maxIdleSeconds === undefined ? {} : { maxIdleSeconds: options.maxIdleSeconds }),
      },
    });
    const pf = postfix;
    const dc = dovecot;
    return {
      postfix: pf,
      dovecot: dc,
      host: '127.0.0.1',
      port: pf.submissionPort ?? 0,
      tlsPort: pf.submissionTlsPort ?? 0,
      certPath,
      pgids: [pf.pid, dc.pid],
      async heldIds() {
        const out = await pf.queueJson();
        return out.filter((e) => e.queue_name === 'hold').map((e) => e.queue_id);
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
