export {
  BOOT_TAG,
  pidAlive,
  processGone,
  processStartTicks,
  SCOPE_TAG,
  START_TICKS,
  scopeOf,
} from './process-identity.ts';
