import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { connect } from '../clients/connect.js';
import { DeadlineExceededError, UpstreamUnavailableError } from '../errors.js';
import { createLogger } from '../logging/logger.js';
import { createService } from '../service.js';
import { remainingMs, runWithDeadline, TIMEOUT_HEADER } from './deadline.js';

describe('deadline propagation', () => {
  let slow: Server;
  let port: number;
  const budgets: string[] = [];
  before(async () => {
    slow = createServer((req, res) => {
      budgets.push(String(req.headers[TIMEOUT_HEADER]));
      if (req.url === '/fast') return void res.end('{}');
      setTimeout(() => res.end('{}'), 3000).unref();
    });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    port = (slow.address() as AddressInfo).port;
  });
  after(() => {
    slow.closeAllConnections();
    slow.close();
  });
  const client = () =>
    connect('slow', { env: { MESHWORK_ENDPOINTS_SLOW: `127.0.0.1:${port}` }, policy: null });

  test('an outbound call passes the remaining budget on to the next hop', async () => {
    const c = client();
    await runWithDeadline(Date.now() + 5000, () => c.get('/fast'));
    const sent = Number(budgets.at(-1));
    assert.ok(sent > 0 && sent <= 5000, `sent budget ${sent}`);
    await c.close();
  });

  test('an outbound call gives up when the deadline passes, not when the upstream answers', async () => {
    const c = client();
    const startedAt = Date.now();
    const err = await runWithDeadline(Date.now() + 300, () => c.get('/slow')).catch((e: unknown) => e);
    assert.ok(err instanceof UpstreamUnavailableError, String(err));
    assert.ok(Date.now() - startedAt < 2500, 'the upstream answers only after 3 s');
    await c.close();
  });

  test('with the deadline already passed nothing is sent', async () => {
    const c = client();
    const before = budgets.length;
    const err = await runWithDeadline(Date.now() - 1, () => c.get('/')).catch((e: unknown) => e);
    assert.ok(err instanceof DeadlineExceededError);
    assert.equal(err.code, 'MESH_ERR_DEADLINE_EXCEEDED');
    assert.equal(budgets.length, before);
    await c.close();
  });

  test('an incoming request header sets the deadline handlers and clients see', async () => {
    const svc = createService({
      name: 'api',
      handleSignals: false,
      env: {},
      log: createLogger({ service: 'api', instanceId: 'api-1', level: 'silent' }),
    });
    svc.router.get('/left', () => ({ left: remainingMs() ?? null }));
    const p = await svc.start();
    try {
      const withBudget = (await (
        await fetch(`http://127.0.0.1:${p}/left`, { headers: { [TIMEOUT_HEADER]: '1500' } })
      ).json()) as {
        left: number;
      };
      assert.ok(withBudget.left > 0 && withBudget.left <= 1500, String(withBudget.left));
      const without = (await (await fetch(`http://127.0.0.1:${p}/left`)).json()) as { left: number | null };
      assert.equal(without.left, null);
      const bogus = (await (
        await fetch(`http://127.0.0.1:${p}/left`, { headers: { [TIMEOUT_HEADER]: '-5' } })
      ).json()) as {
        left: number | null;
      };
      assert.equal(bogus.left, null, 'a malformed budget is ignored');
    } finally {
      await svc.stop();
    }
  });
});
