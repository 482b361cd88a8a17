import type { LoadedConfig } from '@mailstack/config';
import { endpointText } from './shared.ts';
import type { RunningStack } from './start.ts';

/** What runs where, the demo password and where things are: printed by `mailstack start`. */
export function banner(loaded: LoadedConfig, stack: RunningStack): string {
  const { config } = loaded;
  const lines = ['', 'Mailstack is running', ''];
  for (const e of stack.endpoints)
    lines.push(`  ${e.agent.padEnd(5)} ${e.protocol.padEnd(24)} ${endpointText(e)}`);
  lines.push('');
  if (stack.demo) {
    const how = {
      environment: 'from MAILSTACK_DEMO_PASSWORD',
      generated: `generated now, kept in ${stack.paths.data}/demo-password`,
      stored: `kept in ${stack.paths.data}/demo-password`,
    }[stack.demo.source];
    lines.push(`  users     ${stack.demo.users.join(', ')}`, `  password  ${demoPassword(stack.demo, how)}`);
  }
  const domain = config.domains[0];
  const selector = config.outbound.dkimSelector;
  lines.push(
    `  config    ${loaded.file ?? 'embedded defaults (no --config file)'}`,
    `  data      ${stack.paths.data}`,
    `  tls       ${stack.paths.cert}${stack.certificateCreated ? ' (self-signed, made now)' : ''}`,
    `  dkim      ${stack.paths.dkim}/${domain}.${selector}.txt (publish at ${selector}._domainkey.${domain})`,
    `  cleartext AUTH on loopback: ${config.dev.cleartextAuthOnLoopback ? 'on (development switch)' : 'off'}`,
    '',
    '  Ctrl-C stops the stack.',
    '',
  );
  return lines.join('\n');
}

/** Only what is true: the password where it still opens the account, else where it is managed. */
function demoPassword(demo: NonNullable<RunningStack['demo']>, how: string): string {
  const changed = 'changed since; manage it with the directory CLI (mailstack user passwd)';
  if (demo.current.length === demo.users.length) return `${demo.password}   (${how})`;
  if (demo.current.length === 0) return `not shown: ${changed}`;
  return `${demo.password} for ${demo.current.join(', ')} (${how}); for the others ${changed}`;
}
