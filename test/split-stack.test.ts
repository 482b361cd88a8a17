/**
 * Issue 12: one config file, the host as `mailstack start` and as one `mailstack <agent>
 * --config FILE` process per agent (as docker-compose.yml runs them); both pass one scenario
 * (test/helpers/host-scenario.ts): submit, relay, deliver, IDLE push across processes, POP3
 * lock across processes, one login throttle, one sending budget, inbound MTA, /readyz.
 */
import { hostScenario } from './helpers/host-scenario.ts';

hostScenario('split');
hostScenario('one-process');
