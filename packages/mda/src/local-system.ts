import type { Directory, Logger } from '@mailstack/core';
import { openFileDirectory } from '@mailstack/directory';
import { createMaildirStore, type MaildirStore } from '@mailstack/maildir';

/** The file-backed directory and the Maildir store under one data folder, wired for delivery. */
export interface LocalMailSystem {
  directory: Directory;
  store: MaildirStore;
  close(): Promise<void>;
}

/**
 * Opens `directoryFile` and the Maildir store rooted at `dataDir`; the store takes each
 * user's quota from the directory account, so over-quota deliveries get 552 5.2.2.
 */
export async function openLocalMailSystem(options: {
  dataDir: string;
  directoryFile: string;
  logger?: Logger;
  watchDirectory?: boolean;
}): Promise<LocalMailSystem> {
  const directory = await openFileDirectory(options.directoryFile, {
    ...(options.logger ? { logger: options.logger } : {}),
    watch: options.watchDirectory ?? false,
  });
  const store = createMaildirStore({
    root: options.dataDir,
    ...(options.logger ? { logger: options.logger } : {}),
    quota: async (user) => {
      const account = await directory.account(user);
      return { limitBytes: account?.quotaBytes, limitMessages: account?.quotaMessages };
    },
  });
  return { directory, store, close: () => directory.close() };
}
