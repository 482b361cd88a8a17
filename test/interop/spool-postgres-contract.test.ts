/**
 * The Spool contract (@mailstack/testkit's describeSpoolContract, the suite the file spool and
 * the memory spool pass) on the PostgreSQL spool, against Debian's PostgreSQL started in a temp
 * dir. Each test gets a schema of its own; `reopen` is a second spool on that schema, as another
 * process (or host) would open it.
 */
import { openPostgresSpool, type PostgresSpool } from '@mailstack/spool-postgres';
import { describeSpoolContract } from '@mailstack/testkit';
import { afterAll, beforeAll } from 'vitest';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';

let server: TestPostgres;
let schemas = 0;

beforeAll(async () => {
  server = await startPostgres();
});

afterAll(async () => {
  await server?.stop();
});

describeSpoolContract('PostgreSQL spool', async ({ clock, retry }) => {
  const schema = `contract${++schemas}`;
  const instances: PostgresSpool[] = [];
  const open = async () => {
    const spool = await openPostgresSpool({ url: server.url, schema, clock, retry, maxConnections: 4 });
    instances.push(spool);
    return spool;
  };
  return {
    spool: await open(),
    reopen: open,
    close: async () => {
      for (const s of instances) await s.close();
    },
  };
});
