export { fileName, type ParsedFileName, parseFileName } from './filename.ts';
export { MaildirFolder } from './folder.ts';
export { formatKeywords, parseKeywords } from './keywords.ts';
export { acquireDotLock, type DotLock } from './lock.ts';
export {
  decodeMailboxName,
  encodeMailboxName,
  folderDirName,
  folderNameFromDir,
  validateFolderName,
} from './names.ts';
export { formatLimitLine, parseMaildirSize, type QuotaLimits } from './quota.ts';
export { type LockOwner, takeSessionLock } from './session-lock.ts';
export { createMaildirStore, MAILDROP_LOCK, MaildirStore, type MaildirStoreOptions } from './store.ts';
export { formatSubscriptions, parseSubscriptions } from './subscriptions.ts';
export {
  formatUidList,
  formatUidRecord,
  parseUidList,
  parseUidRecord,
  type UidListHeader,
  type UidRecord,
} from './uidlist.ts';
export { writeAll } from './write-all.ts';
