import { describeMailboxStoreContract, memoryMailboxStore } from '../src/index.ts';

describeMailboxStoreContract('memory', async () => {
  const store = memoryMailboxStore();
  return {
    store,
    setQuota: (user, limits) => store.setQuota(user, limits),
    // Memory lives as long as the store: a "restart" is the same store.
    reopen: async () => store,
    close: async () => {},
  };
});
