import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ProxyConfigError } from '../../errors.js';
import {
  buildBootstrap,
  send,
  startProxy,
  startUpstream,
  staticCluster,
  type TestProxy,
  type Upstream,
} from '../../test-support/harness.js';
import type { FilterStream, ResponseFlag } from '../filter.js';
import { compileFaultConfig } from './config.js';
import { FaultFilter } from './fault-filter.js';

const TYPE = 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault';

/** A FilterStream double that records what the filter did. */
function fakeStream(headers: string[] = []) {
  const calls = {
    reply: null as null | [number, string, ResponseFlag | null],
    flags: [] as string[],
    timers: [] as Array<[number, () => void]>,
    continued: 0,
  };
  const s: FilterStream = {
    method: 'GET',
    path: '/',
    query: '',
    authority: 'a',
    requestHeaders: headers,
    route: null,
    remoteAddress: '',
    ended: false,
    continueDecoding: () => void calls.continued++,
    sendLocalReply: (status, body, flag) => void (calls.reply = [status, body, flag]),
    addResponseFlag: (f) => void calls.flags.push(f),
    setTimer: (ms, fn) => void calls.timers.push([ms, fn]),
  };
  return { s, calls };
}

describe('fault filter (seed 003: 10% × 5 s delay, 1% 503)', () => {
  const seed = compileFaultConfig(
    {
      delay: { fixed_delay: '5s', percentage: { numerator: 10 } },
      abort: { http_status: 503, percentage: { numerator: 1 } },
    },
    'fault',
  );

  test('a roll under 10% delays by 5 s, then a roll under 1% aborts with 503 FI', () => {
    const rolls = [0.05, 0.005];
    const f = new FaultFilter(seed, () => rolls.shift()!);
    const { s, calls } = fakeStream();
    assert.equal(f.decodeHeaders(s), 'stop');
    assert.deepEqual(calls.flags, ['DI']);
    assert.equal(calls.timers[0][0], 5000);
    calls.timers[0][1]();
    assert.deepEqual(calls.reply, [503, 'fault filter abort', 'FI']);
    assert.equal(calls.continued, 0);
  });

  test('rolls above both fractions pass the request through untouched', () => {
    const f = new FaultFilter(seed, () => 0.5);
    const { s, calls } = fakeStream();
    assert.equal(f.decodeHeaders(s), 'continue');
    assert.equal(calls.reply, null);
    assert.equal(calls.timers.length, 0);
  });

  test('delay without abort continues after the timer', () => {
    const rolls = [0.05, 0.9];
    const g = new FaultFilter(seed, () => rolls.shift()!);
    const { s, calls } = fakeStream();
    assert.equal(g.decodeHeaders(s), 'stop');
    calls.timers[0][1]();
    assert.equal(calls.continued, 1);
    assert.equal(calls.reply, null);
  });

  test('fractional percent uses the denominator (1 per TEN_THOUSAND)', () => {
    const cfg = compileFaultConfig(
      { abort: { http_status: 500, percentage: { numerator: 1, denominator: 'TEN_THOUSAND' } } },
      'f',
    );
    assert.equal(cfg.abortFraction, 0.0001);
  });

  test('bad config names the field', () => {
    assert.throws(
      () => compileFaultConfig({ abort: { http_status: 99, percentage: { numerator: 1 } } }, 'f'),
      (e: unknown) => e instanceof ProxyConfigError && e.path === 'f.abort.http_status',
    );
    assert.throws(
      () => compileFaultConfig({ delay: { percentage: { numerator: 1 } } }, 'f'),
      (e: unknown) => e instanceof ProxyConfigError && e.path === 'f.delay',
    );
  });
});

describe('fault filter through the proxy', () => {
  let up: Upstream;
  let px: TestProxy;
  before(async () => {
    up = await startUpstream();
    px = await startProxy(
      buildBootstrap({
        filters: [
          {
            name: 'envoy.filters.http.fault',
            typed_config: { '@type': TYPE, abort: { header_abort: {}, percentage: { numerator: 100 } } },
          },
        ],
        routes: [
          { match: { prefix: '/nowhere' }, direct_response: { status: 204 } },
          {
            match: { prefix: '/teapot' },
            route: { cluster: 'b' },
            typed_per_filter_config: {
              'envoy.filters.http.fault': {
                '@type': TYPE,
                abort: { http_status: 418, percentage: { numerator: 100 } },
              },
            },
          },
          { match: { prefix: '/' }, route: { cluster: 'b' } },
        ],
        domains: ['shop'],
        clusters: [staticCluster('b', [up.port])],
      }),
    );
  });
  after(async () => {
    await px.close();
    await up.close();
  });

  test('header-controlled abort answers the requested status and never reaches the upstream', async () => {
    const before = up.seen.length;
    const res = await send(px.port, { headers: { host: 'shop', 'x-envoy-fault-abort-request': '429' } });
    assert.equal(res.status, 429);
    assert.equal(up.seen.length, before);
    assert.equal(px.log.entries.at(-1)!.response_flags, 'FI');
  });

  test('without the header the request passes', async () => {
    const res = await send(px.port, { headers: { host: 'shop' } });
    assert.equal(res.status, 200);
  });

  test('typed_per_filter_config on a route replaces the filter config for that route', async () => {
    const res = await send(px.port, { path: '/teapot', headers: { host: 'shop' } });
    assert.equal(res.status, 418);
  });

  test("a virtual host's fault config applies to its routes unless a route sets its own", async () => {
    const bootstrap = buildBootstrap({
      filters: [{ name: 'envoy.filters.http.fault', typed_config: { '@type': TYPE } }],
      routes: [
        {
          match: { prefix: '/teapot' },
          route: { cluster: 'b' },
          typed_per_filter_config: {
            'envoy.filters.http.fault': {
              '@type': TYPE,
              abort: { http_status: 418, percentage: { numerator: 100 } },
            },
          },
        },
        { match: { prefix: '/' }, route: { cluster: 'b' } },
      ],
      domains: ['shop'],
      vhost: {
        typed_per_filter_config: {
          'envoy.filters.http.fault': {
            '@type': TYPE,
            abort: { http_status: 503, percentage: { numerator: 100 } },
          },
        },
      },
      clusters: [staticCluster('b', [up.port])],
    });
    const vhostProxy = await startProxy(bootstrap);
    try {
      assert.equal((await send(vhostProxy.port, { path: '/teapot', headers: { host: 'shop' } })).status, 418);
      assert.equal((await send(vhostProxy.port, { path: '/other', headers: { host: 'shop' } })).status, 503);
    } finally {
      await vhostProxy.close();
    }
  });

  test("Envoy's FilterConfig wrapper: config, disabled for one route, optional unknown filters", async () => {
    const FILTER_CONFIG = 'type.googleapis.com/envoy.config.route.v3.FilterConfig';
    // A real Envoy filter this proxy does not implement.
    const BUFFER_PER_ROUTE = 'type.googleapis.com/envoy.extensions.filters.http.buffer.v3.BufferPerRoute';
    const abort503 = { '@type': TYPE, abort: { http_status: 503, percentage: { numerator: 100 } } };
    const bootstrap = buildBootstrap({
      filters: [{ name: 'envoy.filters.http.fault', typed_config: { '@type': TYPE } }],
      routes: [
        {
          match: { prefix: '/wrapped' },
          route: { cluster: 'b' },
          typed_per_filter_config: {
            'envoy.filters.http.fault': {
              '@type': FILTER_CONFIG,
              config: { '@type': TYPE, abort: { http_status: 418, percentage: { numerator: 100 } } },
            },
          },
        },
        {
          match: { prefix: '/spared' },
          route: { cluster: 'b' },
          typed_per_filter_config: {
            'envoy.filters.http.fault': { '@type': FILTER_CONFIG, disabled: true },
            'envoy.filters.http.buffer': {
              '@type': FILTER_CONFIG,
              is_optional: true,
              config: { '@type': BUFFER_PER_ROUTE, disabled: true },
            },
          },
        },
        { match: { prefix: '/' }, route: { cluster: 'b' } },
      ],
      domains: ['shop'],
      vhost: { typed_per_filter_config: { 'envoy.filters.http.fault': abort503 } },
      clusters: [staticCluster('b', [up.port])],
    });
    const wrapped = await startProxy(bootstrap);
    try {
      assert.equal((await send(wrapped.port, { path: '/wrapped', headers: { host: 'shop' } })).status, 418);
      assert.equal((await send(wrapped.port, { path: '/spared', headers: { host: 'shop' } })).status, 200);
      assert.equal((await send(wrapped.port, { path: '/other', headers: { host: 'shop' } })).status, 503);
    } finally {
      await wrapped.close();
    }
    const rejects = (perFilter: Record<string, unknown>, pathEnd: string) =>
      assert.rejects(
        startProxy(
          buildBootstrap({
            routes: [{ match: { prefix: '/' }, route: { cluster: 'b' }, typed_per_filter_config: perFilter }],
            clusters: [staticCluster('b', [up.port])],
          }),
        ),
        (e: unknown) => e instanceof ProxyConfigError && e.path.endsWith(pathEnd),
      );
    // Not optional: an unknown filter is an error; a wrapper needs its config.
    await rejects(
      {
        'envoy.filters.http.buffer': {
          '@type': FILTER_CONFIG,
          config: { '@type': BUFFER_PER_ROUTE, disabled: true },
        },
      },
      'typed_per_filter_config.envoy.filters.http.buffer.config',
    );
    await rejects(
      { 'envoy.filters.http.fault': { '@type': FILTER_CONFIG, is_optional: true } },
      'typed_per_filter_config.envoy.filters.http.fault.config',
    );
  });

  test('an invalid per-route fault config is rejected when the routes are compiled', async () => {
    await assert.rejects(
      startProxy(
        buildBootstrap({
          routes: [
            {
              match: { prefix: '/' },
              route: { cluster: 'b' },
              typed_per_filter_config: {
                'envoy.filters.http.fault': { '@type': TYPE, abort: { http_status: 42 } },
              },
            },
          ],
          clusters: [staticCluster('b', [up.port])],
        }),
      ),
      (e: unknown) =>
        e instanceof ProxyConfigError &&
        e.path.endsWith('routes[0].typed_per_filter_config.envoy.filters.http.fault.abort.http_status'),
    );
  });

  test('a request for an unknown host gets 404 with flag NR', async () => {
    const res = await send(px.port, { headers: { host: 'elsewhere' } });
    assert.equal(res.status, 404);
    assert.equal(px.log.entries.at(-1)!.response_flags, 'NR');
  });
});
