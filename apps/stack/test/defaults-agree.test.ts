/**
 * The config's embedded defaults are the agents' own: an agent started from its package's
 * main.ts (no config) and one started by `mailstack` (the config's defaults) behave alike.
 * A default changed on one side only fails here.
 */
import { defaultConfig, durationMs } from '@mailstack/config';
import { DEFAULT_AUTH_THROTTLE } from '@mailstack/directory';
import { LIMIT_DEFAULTS } from '@mailstack/line-server';
import { INBOUND_DEFAULTS } from '@mailstack/mta';
import { DEFAULT_RETRY_POLICY } from '@mailstack/queue';
import { SMTP_LISTENER_DEFAULTS } from '@mailstack/smtp';
import { expect, it } from 'vitest';
import { smtpListenerLimits } from '../src/agents/smtp-limits.ts';

const config = defaultConfig();

it('retry schedule and lifetimes are the queue’s', () => {
  expect({
    delaysMs: config.queue.retry.map(durationMs),
    delayNoticeAfterMs: durationMs(config.queue.delayNoticeAfter),
    giveUpAfterMs: durationMs(config.queue.giveUpAfter),
  }).toEqual({ ...DEFAULT_RETRY_POLICY });
});

it('the login throttle is the directory’s shared default', () => {
  expect({
    maxFailures: config.limits.authFailures.max,
    windowMs: durationMs(config.limits.authFailures.window),
  }).toEqual(DEFAULT_AUTH_THROTTLE);
});

it('IMAP and POP3 limits are the line server’s', () => {
  for (const l of [config.limits.imap, config.limits.pop3]) {
    expect({
      maxConnectionsPerClient: l.connectionsPerClient,
      loginTimeoutMs: durationMs(l.loginTimeout),
      commandTimeoutMs: durationMs(l.commandTimeout),
    }).toEqual({
      maxConnectionsPerClient: LIMIT_DEFAULTS.maxConnectionsPerClient,
      loginTimeoutMs: LIMIT_DEFAULTS.loginTimeoutMs,
      commandTimeoutMs: LIMIT_DEFAULTS.commandTimeoutMs,
    });
  }
});

it('the inbound MTA’s pregreet and loop limit are its own', () => {
  expect(durationMs(config.mta.pregreet)).toBe(INBOUND_DEFAULTS.pregreetMs);
  expect(config.mta.maxReceivedHeaders).toBe(INBOUND_DEFAULTS.maxReceivedHeaders);
});

it('SMTP limits and the message size are the SMTP listener’s', () => {
  const limits = smtpListenerLimits(config);
  const own = Object.fromEntries(
    Object.keys(limits).map((k) => [k, SMTP_LISTENER_DEFAULTS[k as keyof typeof SMTP_LISTENER_DEFAULTS]]),
  );
  expect(limits).toEqual(own);
  expect(config.limits.lmtpConnections).toBe(SMTP_LISTENER_DEFAULTS.maxConnections);
});
