/**
 * One of our mail hosts as a process of its own, for bench/relay.ts (so each host has its own
 * event loop and its CPU and memory can be measured apart, as Postfix's processes are):
 *
 *   node bench/relay-host.ts --ip 127.0.0.3 --domain b.test --users user0@b.test,user1@b.test
 *   node bench/relay-host.ts --ip 127.0.0.2 --domain a.test --trusted 127.0.0.1 \
 *     --mx-port 2525 --serve-dns '{"b.test":{"mx":[...]}}'
 *
 * With --serve-dns the process also answers DNS for that zone (the host's local resolver);
 * otherwise --dns names a server. Prints one JSON line, `{"event":"ready",...}`, once listening;
 * SIGTERM closes everything.
 */
import { parseArgs } from 'node:util';
import { type DnsServer, type DnsZone, startDnsServer } from '@mailstack/testkit';
import { startMailHost } from '../test/helpers/mail-host.ts';

const { values: args } = parseArgs({
  options: {
    ip: { type: 'string' },
    port: { type: 'string', default: '0' },
    domain: { type: 'string' },
    users: { type: 'string', default: '' },
    'mx-port': { type: 'string' },
    dns: { type: 'string' },
    'serve-dns': { type: 'string' },
    trusted: { type: 'string' },
    'per-destination': { type: 'string' },
  },
});
if (!args.ip || !args.domain) throw new Error('--ip and --domain are required');

let dns: DnsServer | undefined;
if (args['serve-dns']) {
  dns = await startDnsServer({ host: args.ip, zone: JSON.parse(args['serve-dns']) as DnsZone });
}
const dnsServer = dns?.address ?? args.dns ?? '127.0.0.1:53';
const users = args.users
  .split(',')
  .filter((u) => u !== '')
  .map((u) => [u, 'secret'] as const);
const host = await startMailHost({
  ip: args.ip,
  port: Number(args.port),
  domain: args.domain,
  users: Object.fromEntries(users),
  dnsServer,
  ...(args['mx-port'] ? { mxPort: Number(args['mx-port']) } : {}),
  ...(args.trusted ? { trustedNetworks: args.trusted.split(',') } : {}),
  ...(args['per-destination']
    ? { transfer: { maxConnectionsPerDestination: Number(args['per-destination']) } }
    : {}),
});
console.log(
  JSON.stringify({
    event: 'ready',
    ip: host.ip,
    port: host.port,
    dir: host.dir,
    dns: dns?.address,
    maildirs: Object.fromEntries(users.map(([u]) => [u, host.maildir(u)])),
  }),
);

let closing = false;
process.on('SIGTERM', () => {
  if (closing) return;
  closing = true;
  void (async () => {
    await host.close();
    await dns?.close();
    process.exit(0);
  })();
});
