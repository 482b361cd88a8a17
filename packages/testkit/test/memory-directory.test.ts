import { describeDirectoryContract, memoryDirectory } from '../src/index.ts';

describeDirectoryContract('memory directory', async (fixture) => ({
  directory: memoryDirectory(fixture),
  close: async () => {},
}));
