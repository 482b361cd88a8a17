export { addressKey, domainKey } from './address-key.ts';
export { writeFileAtomic } from './atomic-write.ts';
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
export { parseSaslPlain } from './sasl-plain.ts';
export { DirectorySnapshot, MAX_ALIAS_DEPTH } from './snapshot.ts';
export {
  type AuthAttempt,
  type AuthThrottle,
  type AuthThrottleOptions,
  createAuthThrottle,
  ipKey,
  type ThrottleVerdict,
} from './throttle.ts';
