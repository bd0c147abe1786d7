import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { test } from 'node:test';
import { buildBootstrap, send, startProxy, startUpstream, staticCluster } from '../test-support/harness.js';

const BURST = 10;

test('a burst of failing requests is retried only within the cluster retry budget', async (t) => {
  // Every first attempt is held until the whole burst is in flight, then all fail at once; retries
  // are held until the requests refused a retry have answered, so the budget is the only limit.
  const firstTries: ServerResponse[] = [];
  const heldRetries: ServerResponse[] = [];
  let answered = 0;
  const fail = (res: ServerResponse) => {
    res.writeHead(503);
    res.end('down');
  };
  const up = await startUpstream((req, res) => {
    if (req.headers['x-envoy-attempt-count'] !== '1') {
      if (answered < BURST - 2) heldRetries.push(res);
      else fail(res);
      return;
    }
    firstTries.push(res);
    if (firstTries.length === BURST) for (const r of firstTries) fail(r);
  });
  const px = await startProxy(
    buildBootstrap({
      routes: [
        {
          match: { prefix: '/' },
          route: {
            cluster: 'b',
            retry_policy: { retry_on: '5xx', num_retries: 3, retry_back_off: { base_interval: '0.001s' } },
          },
        },
      ],
      clusters: [
        staticCluster('b', [up.port], {
          circuit_breakers: {
            thresholds: [
              // max_retries 100 would retry everything: the budget replaces it.
              { max_retries: 100, retry_budget: { budget_percent: { value: 0 }, min_retry_concurrency: 2 } },
            ],
          },
        }),
      ],
    }),
  );
  t.after(px.close);
  t.after(up.close);

  const responses = await Promise.all(
    Array.from({ length: BURST }, () =>
      send(px.port).then((r) => {
        if (++answered === BURST - 2) for (const h of heldRetries.splice(0)) fail(h);
        return r;
      }),
    ),
  );
  // Every request ends with the last attempt's response; only two of them were retried (3 times).
  assert.deepEqual(
    responses.map((r) => [r.status, r.body]),
    Array.from({ length: BURST }, () => [503, 'down']),
  );
  const attempts = px.log.entries.map((e) => e.attempts).sort();
  assert.deepEqual(attempts, [1, 1, 1, 1, 1, 1, 1, 1, 4, 4]);
  assert.equal(up.seen.length, BURST + 2 * 3);
  const stat = (name: string) => px.proxy.store.stats.value(name, { envoy_cluster_name: 'b' });
  assert.equal(stat('envoy_cluster_upstream_rq_retry'), 2 * 3);
  const limits = px.proxy.store.clusters.stats().find((c) => c.cluster === 'b')!.limits.DEFAULT;
  assert.equal(limits.retryOverflows, BURST - 2); // upstream_rq_retry_overflow
  assert.equal(limits.activeRetries, 0);
});
