export { addressKey, domainKey, loginKey, throttleAccountKey } from './address-key.ts';
export { writeFileAtomic } from './atomic-write.ts';
export {
  EXIT as DIRECTORY_CLI_EXIT,
  runCli as runDirectoryCli,
  USAGE as DIRECTORY_CLI_USAGE,
} from './cli-run.ts';
export {
  type DirectoryData,
  parseDirectoryData,
  serializeDirectoryData,
  type UserRecord,
  validateDirectoryData,
} from './data.ts';
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
  type ParsedHash,
  parseHash,
  type ScryptParams,
  verifyPassword,
} from './password.ts';
export { parseSaslPlain, type SaslPlain } from './sasl-plain.ts';
export { DirectorySnapshot, MAX_ALIAS_DEPTH } from './snapshot.ts';
export {
  type AuthAttempt,
  type AuthThrottle,
  type AuthThrottleOptions,
  createAuthThrottle,
  ipKey,
  type ThrottleVerdict,
} from './throttle.ts';
export {
  AUTH_THROTTLE_FLAGS,
  DEFAULT_AUTH_THROTTLE,
  openAgentAuthThrottle,
  openSharedAuthThrottle,
  parseThrottleSpec,
  sharedThrottlePath,
} from './throttle-shared.ts';
export { openSqliteThrottleStore } from './throttle-sqlite.ts';
export { createMemoryThrottleStore, type ThrottleCounter, type ThrottleStore } from './throttle-store.ts';
