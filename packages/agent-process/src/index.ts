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
  START_TICKS,
} from './process-identity.ts';
