import { describeSpoolContract } from '@mailstack/testkit';
import { openFileSpool } from '../src/index.ts';
import { tempDir } from './fixtures.ts';

describeSpoolContract('file spool', async ({ clock, retry }) => {
  const tmp = await tempDir('mailstack-queue-contract-');
  const open = () => openFileSpool(tmp.path, { clock, retry });
  return { spool: await open(), reopen: open, close: tmp.cleanup };
});
