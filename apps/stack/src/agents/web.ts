import { createServer } from 'node:http';
import type { SharedState } from '../shared.ts';
import { listenAll, type RunningAgent } from './listen.ts';

/**
 * The web agent, for now only `/healthz` (200 while the process runs). The real one (readiness,
 * metrics, autoconfig) lives in packages/web and replaces this file's body.
 */
export async function startWebAgent(shared: SharedState): Promise<RunningAgent> {
  return listenAll(
    shared,
    'web',
    () => 'http',
    () => {
      const server = createServer((req, res) => {
        const ok = req.url === '/healthz';
        res.writeHead(ok ? 200 : 404, { 'content-type': 'text/plain' });
        res.end(ok ? 'ok\n' : 'not found\n');
      });
      return {
        listen: (port, host) =>
          new Promise((resolve, reject) => {
            server.once('error', reject);
            server.listen(port, host, () => {
              server.off('error', reject);
              resolve(server.address() as object);
            });
          }),
        close: () =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      };
    },
  );
}
