export {
  FolderExistsError,
  FolderNotFoundError,
  InvalidNameError,
  LockTimeoutError,
  MaildirError,
  MessageNotFoundError,
  TooManyKeywordsError,
} from './errors.ts';
export { MaildirFolder } from './folder.ts';
export {
  MessageSummarizer,
  type SummarizeLimits,
  summarize,
  summarizeBuffer,
} from './mime/index.ts';
export { validateFolderName } from './names.ts';
export { createMaildirStore, MaildirStore, type MaildirStoreOptions } from './store.ts';
