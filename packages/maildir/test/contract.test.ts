import { describeMailboxStoreContract } from '@mailstack/testkit';
import { createMaildirStore, type QuotaLimits } from '../src/index.ts';
import { tempStore } from './helpers.ts';

describeMailboxStoreContract('maildir', async () => {
  const limits = new Map<string, QuotaLimits>();
  const quota = async (user: string) => limits.get(user) ?? {};
  const t = await tempStore({ quota });
  return {
    store: t.store,
    setQuota: async (user, l) => void limits.set(user, l),
    // Another store object over the same data folder: a restart, or another process.
    reopen: async () => createMaildirStore({ root: t.root, hostname: 'other.host', quota }),
    close: t.cleanup,
  };
});
