import { describeDirectoryContract } from '@mailstack/testkit';
import { openFileDirectory } from '../src/index.ts';
import { sampleData, tempDir, writeJson } from './fixtures.ts';

describeDirectoryContract('file directory', async (fixture) => {
  const tmp = await tempDir();
  await writeJson(`${tmp.path}/directory.json`, await sampleData(fixture));
  const directory = await openFileDirectory(`${tmp.path}/directory.json`);
  return {
    directory,
    close: async () => {
      await directory.close();
      await tmp.cleanup();
    },
  };
});
