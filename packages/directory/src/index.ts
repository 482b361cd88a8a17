export { AuthCache, type AuthCacheOptions, DEFAULT_AUTH_CACHE } from './auth-cache.ts';
export {
  type CliOptions as DirectoryCliOptions,
  EXIT as DIRECTORY_CLI_EXIT,
  runCli as runDirectoryCli,
} from './cli-run.ts';
export type { DirectoryData, UserRecord } from './data.ts';
export { DirectoryError, type DirectoryErrorCode } from './errors.ts';
export {
  type AliasListing,
  FileDirectory,
  type FileDirectoryOptions,
  openFileDirectory,
  type QuotaOptions,
  type UserListing,
} from './file-directory.ts';
export {
  DEFAULT_SCRYPT,
  hashPassword,
  needsRehash,
  type ScryptParams,
  verifyPassword,
} from './password.ts';
export { parseSaslPlain, type SaslPlain } from './sasl-plain.ts';
export {
  type AuthAttempt,
  type AuthThrottle,
  type AuthThrottleOptions,
  createAuthThrottle,
  type ThrottleVerdict,
} from './throttle.ts';
export { DEFAULT_AUTH_THROTTLE, openSharedAuthThrottle, sharedThrottlePath } from './throttle-shared.ts';
export { openSqliteThrottleStore } from './throttle-sqlite.ts';
export { createMemoryThrottleStore, type ThrottleCounter, type ThrottleStore } from './throttle-store.ts';
