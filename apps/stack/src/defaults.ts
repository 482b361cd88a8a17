import { type ConfigInput, type LoadedConfig, loadConfig } from '@mailstack/config';

/** The demo users `npm start` makes in the first local domain. */
export const DEMO_USER_NAMES = ['alice', 'bob'] as const;

/**
 * The development switch `npm start` (`mailstack start --dev`) turns on over whatever the
 * config says: cleartext AUTH from loopback, and the demo users alice@ and bob@ of the first
 * domain unless `dev.demoUsers` names others. Nothing else changes.
 */
export function withDevSwitch(input: ConfigInput): ConfigInput {
  const domain = input.domains?.[0] ?? 'example.test';
  const demoUsers = input.dev?.demoUsers?.length
    ? input.dev.demoUsers
    : DEMO_USER_NAMES.map((name) => `${name}@${domain}`);
  return { ...input, dev: { ...input.dev, cleartextAuthOnLoopback: true, demoUsers } };
}

/**
 * What `npm start` runs on with no config file: the embedded defaults with the dev switch
 * (domain example.test, alice@ and bob@, everything under `<cwd>/.mailstack` or
 * MAILSTACK_DATA, 127.0.0.1 only, ports 2525, 2587, 2465, 2424, 2143, 2993, 2110, 2995, 8025).
 */
export function devConfig(
  env: Record<string, string | undefined> = process.env,
  cwd = process.cwd(),
): LoadedConfig {
  return loadConfig({ env: { ...env, MAILSTACK_CONFIG: undefined }, cwd, overrides: withDevSwitch });
}
