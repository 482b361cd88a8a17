export { MaildirFolder } from './folder.ts';
export { validateFolderName } from './names.ts';
export type { QuotaLimits } from './quota.ts';
export { createMaildirStore, MaildirStore, type MaildirStoreOptions } from './store.ts';
