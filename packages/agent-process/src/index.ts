export {
  closeOnSignals,
  EXIT_SIGNAL,
  EXIT_SOFTWARE,
  EXIT_USAGE,
  exitWithUsage,
  type HostPort,
  LISTENER_FLAGS,
  type Listener,
  listenPlainAndImplicit,
  parseHostPort,
  perClientLimit,
  runMain,
} from './agent-process.ts';
export {
  BOOT_TAG,
  pidAlive,
  processGone,
  processStartTicks,
  SCOPE_TAG,
  START_TICKS,
  scopeOf,
} from './process-identity.ts';
