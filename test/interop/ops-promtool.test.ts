/**
 * The web agent's /metrics, after real traffic through the agents, passes Prometheus's own
 * checker (`promtool check metrics`: the text format plus its naming lint).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/net.ts';
import { ALICE, type OpsHost, startOpsHost } from '../helpers/ops-host.ts';
import { imapLogin, pop3Login, submit } from '../helpers/ops-traffic.ts';
import { PROGRAMS, requirePrograms } from '../helpers/programs.ts';
import { run } from '../helpers/run.ts';

let host: OpsHost;
beforeAll(async () => {
  requirePrograms('promtool');
  host = await startOpsHost();
});
afterAll(() => host?.close());

const promtool = (text: string) => run(PROGRAMS.promtool, ['check', 'metrics'], { input: text });

describe('promtool check metrics', () => {
  it('accepts /metrics with traffic recorded in every series', async () => {
    await expect(submit(host, 'wrong')).rejects.toThrow();
    await submit(host, ALICE.pass);
    const imap = await imapLogin(host, 'wrong');
    await imap.client.close();
    await pop3Login(host, ALICE.pass);
    const text = await waitFor('the delivery to be counted', async () => {
      const body = await (await fetch(`http://127.0.0.1:${host.ports.web}/metrics`)).text();
      return /^mailstack_delivery_latency_seconds_count\{agent="queue"\} 1$/m.test(body) && body;
    });
    expect(text).toMatch(/^mailstack_auth_failures_total\{protocol="imap"\} 1$/m);
    expect(text).toMatch(/^mailstack_connections\{agent="msa",protocol="submission",port="\d+"\} 0$/m);

    const checked = await promtool(text);
    expect(checked).toMatchObject({ code: 0, stdout: '', stderr: '' });
  });

  it('refuses what breaks the format or the naming rules (the check can fail)', async () => {
    const notCounter = '# HELP x_total a gauge named like a counter\n# TYPE x_total gauge\nx_total 1\n';
    const lint = await promtool(notCounter);
    expect(lint.code).not.toBe(0);
    expect(`${lint.stdout}${lint.stderr}`).toMatch(/non-counter metrics should not have "_total" suffix/);
    const broken = await promtool('# TYPE x gauge\nx{a=1} 1\n');
    expect(broken.code).not.toBe(0);
  });
});
