import type { StackConfig } from './defaults.ts';
import type { RunningStack } from './start.ts';

/** The agents of the full stack; the ones not running yet are listed so the plan is visible. */
const PLANNED: Array<{ agent: string; protocol: string; port: (c: StackConfig) => number }> = [
  { agent: 'mta', protocol: 'smtp', port: (c) => c.ports.mta },
  { agent: 'msa', protocol: 'submission (STARTTLS)', port: (c) => c.ports.submission },
  { agent: 'msa', protocol: 'submissions (TLS)', port: (c) => c.ports.submissions },
  { agent: 'imap', protocol: 'imap (STARTTLS)', port: (c) => c.ports.imap },
  { agent: 'imap', protocol: 'imaps (TLS)', port: (c) => c.ports.imaps },
  { agent: 'pop3', protocol: 'pop3 (STLS)', port: (c) => c.ports.pop3 },
  { agent: 'pop3', protocol: 'pop3s (TLS)', port: (c) => c.ports.pop3s },
  { agent: 'web', protocol: 'http', port: (c) => c.ports.web },
];

export function banner(config: StackConfig, stack: RunningStack): string {
  const lines = ['', 'Mailstack is running', ''];
  for (const e of stack.endpoints)
    lines.push(`  ${e.agent.padEnd(5)} ${e.protocol.padEnd(24)} ${e.host}:${e.port}`);
  const running = new Set(stack.endpoints.map((e) => e.protocol));
  const later = PLANNED.filter((p) => !running.has(p.protocol));
  if (later.length) {
    lines.push('', '  not built yet (ports reserved):');
    for (const p of later)
      lines.push(`  ${p.agent.padEnd(5)} ${p.protocol.padEnd(24)} ${config.bindAddress}:${p.port(config)}`);
  }
  const how = {
    environment: 'from MAILSTACK_DEMO_PASSWORD',
    generated: `generated now, kept in ${stack.paths.data}/demo-password`,
    stored: `kept in ${stack.paths.data}/demo-password`,
  }[stack.demo.source];
  lines.push(
    '',
    `  users     ${stack.demo.users.join(', ')}`,
    `  password  ${demoPassword(stack.demo, how)}`,
    `  data      ${stack.paths.data}`,
    `  tls       ${stack.paths.tls}/cert.pem${stack.certificateCreated ? ' (self-signed, made now)' : ''}`,
    `  dkim      ${stack.paths.dkim}/${config.domain}.mailstack.txt (publish at mailstack._domainkey.${config.domain})`,
    `  cleartext AUTH on loopback: ${config.devCleartextAuth ? 'on (development switch)' : 'off'}`,
    '',
    '  Ctrl-C stops the stack.',
    '',
  );
  return lines.join('\n');
}

/** Only what is true: the password where it still opens the account, else where it is managed. */
function demoPassword(demo: RunningStack['demo'], how: string): string {
  const changed = 'changed since; manage it with the directory CLI (mailstack-directory user passwd)';
  if (demo.current.length === demo.users.length) return `${demo.password}   (${how})`;
  if (demo.current.length === 0) return `not shown: ${changed}`;
  return `${demo.password} for ${demo.current.join(', ')} (${how}); for the others ${changed}`;
}
