import { describeMailboxStoreContract, memoryMailboxStore } from '../src/index.ts';

describeMailboxStoreContract('memory', async () => {
  const store = memoryMailboxStore();
  return {
    store,
    setQuota: (user, limits) => store.setQuota(user, limits),
    close: async () => {},
  };
});
