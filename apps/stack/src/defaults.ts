/**
 * The embedded defaults `npm start` runs on. Later a validated config file overrides them;
 * every agent reads its part of this one shape.
 */
export interface StackConfig {
  /** Everything the stack writes (mail, accounts, TLS material) lives below this folder. */
  dataDir: string;
  hostname: string;
  domain: string;
  demoUsers: string[];
  bindAddress: string;
  /**
   * Where the MDA's LMTP listener binds: it puts mail into any mailbox without a login, so it
   * stays on loopback (default 127.0.0.1) whatever `bindAddress` says, unless set here.
   */
  lmtpAddress: string;
  ports: {
    mta: number;
    submission: number;
    submissions: number;
    lmtp: number;
    imap: number;
    imaps: number;
    pop3: number;
    pop3s: number;
    web: number;
  };
  /** Cleartext AUTH on loopback: a development switch, on only under `npm start`. */
  devCleartextAuth: boolean;
  /** How mail for other domains leaves: MX lookups through these DNS servers (`ip` or `ip:port`; default the system's) on this port (default 25). */
  outbound: { dnsServers?: string[]; port?: number };
}

export function defaultConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): StackConfig {
  return {
    dataDir: env.MAILSTACK_DATA ?? `${cwd}/.mailstack`,
    hostname: 'mail.example.test',
    domain: 'example.test',
    demoUsers: ['alice@example.test', 'bob@example.test'],
    bindAddress: '127.0.0.1',
    lmtpAddress: '127.0.0.1',
    ports: {
      mta: 2525,
      submission: 2587,
      submissions: 2465,
      lmtp: 2424,
      imap: 2143,
      imaps: 2993,
      pop3: 2110,
      pop3s: 2995,
      web: 8025,
    },
    devCleartextAuth: true,
    outbound: {},
  };
}
