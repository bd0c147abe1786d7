import assert from 'node:assert/strict';
import { connect as h2connect, type IncomingHttpHeaders } from 'node:http2';
import { after, before, describe, test } from 'node:test';
import { ProxyConfigError } from '../../errors.js';
import {
  buildBootstrap,
  type ClientResponse,
  send,
  startProxy,
  startUpstream,
  staticCluster,
  type TestProxy,
  type Upstream,
} from '../../test-support/harness.js';

const FILTER = {
  name: 'envoy.filters.http.cors',
  typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors' },
};
const POLICY_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy';

/** A `typed_per_filter_config` map holding one CorsPolicy. */
function cors(policy: Record<string, unknown>) {
  return { 'envoy.filters.http.cors': { '@type': POLICY_TYPE, ...policy } };
}

function route(prefix: string, policy?: Record<string, unknown>) {
  return {
    match: { prefix },
    route: { cluster: 'b' },
    ...(policy !== undefined ? { typed_per_filter_config: cors(policy) } : {}),
  };
}

function preflight(port: number, path: string, origin: string, extra: Record<string, string> = {}) {
  return send(port, {
    method: 'OPTIONS',
    path,
    headers: { host: 'shop', origin, 'access-control-request-method': 'PUT', ...extra },
  });
}

function corsHeaders(res: ClientResponse): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) if (k.startsWith('access-control-')) out[k] = String(v);
  return out;
}

describe('CORS filter through the proxy', () => {
  let up: Upstream;
  let px: TestProxy;
  before(async () => {
    up = await startUpstream();
    px = await startProxy(
      buildBootstrap({
        filters: [FILTER],
        domains: ['shop'],
        clusters: [staticCluster('b', [up.port])],
        vhost: {
          typed_per_filter_config: cors({
            allow_origin_string_match: [{ exact: 'https://vhost.example' }],
            allow_methods: 'GET,POST',
            expose_headers: 'x-vhost',
          }),
        },
        routes: [
          route('/api', {
            allow_origin_string_match: [
              { exact: 'https://app.example' },
              { suffix: '.trusted.example' },
              { safe_regex: { regex: 'https://[a-z]+\\.regex\\.example' } },
              { prefix: 'HTTPS://CASE', ignore_case: true },
            ],
            allow_methods: 'GET, PUT, DELETE',
            allow_headers: 'content-type, x-token',
            expose_headers: 'x-request-id, x-total',
            max_age: '600',
            allow_credentials: true,
          }),
          route('/strict', {
            allow_origin_string_match: [{ exact: 'https://app.example' }],
            forward_not_matching_preflights: false,
          }),
          route('/echo', {
            allow_origin_string_match: [{ exact: '*' }],
            allow_methods: '*',
            allow_headers: '*',
            allow_private_network_access: true,
          }),
          route('/off', {
            allow_origin_string_match: [{ exact: 'https://app.example' }],
            filter_enabled: { default_value: { numerator: 0 } },
          }),
          route('/shadow', {
            allow_origin_string_match: [{ exact: 'https://app.example' }],
            filter_enabled: { default_value: { numerator: 0 } },
            shadow_enabled: { default_value: { numerator: 100 } },
          }),
          route('/methods-only', { allow_methods: 'PATCH' }),
          {
            match: { prefix: '/no-cors' },
            route: { cluster: 'b' },
            typed_per_filter_config: {
              'envoy.filters.http.cors': {
                '@type': 'type.googleapis.com/envoy.config.route.v3.FilterConfig',
                disabled: true,
              },
            },
          },
          { match: { prefix: '/direct' }, direct_response: { status: 204 } },
          route('/'),
        ],
      }),
      { adminPort: 0 },
    );
  });
  after(async () => {
    await px.close();
    await up.close();
  });

  test('a preflight from an allowed origin is answered locally with the policy headers', async () => {
    const seen = up.seen.length;
    const res = await preflight(px.port, '/api/items', 'https://app.example');
    assert.equal(res.status, 200);
    assert.deepEqual(corsHeaders(res), {
      'access-control-allow-origin': 'https://app.example',
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': 'GET, PUT, DELETE',
      'access-control-allow-headers': 'content-type, x-token',
      'access-control-max-age': '600',
      'access-control-expose-headers': 'x-request-id, x-total',
    });
    assert.equal(up.seen.length, seen);
  });

  test('suffix, safe_regex and ignore_case matchers each allow an origin', async () => {
    for (const origin of ['https://a.trusted.example', 'https://web.regex.example', 'https://case.example']) {
      const res = await preflight(px.port, '/api', origin);
      assert.equal(res.headers['access-control-allow-origin'], origin);
    }
    const res = await preflight(px.port, '/api', 'https://web1.regex.example');
    assert.equal(res.headers['access-control-allow-origin'], undefined);
  });

  test('a preflight from a disallowed origin is forwarded upstream untouched by default', async () => {
    const seen = up.seen.length;
    const res = await preflight(px.port, '/api', 'https://evil.example');
    assert.equal(res.status, 200);
    assert.equal(res.body, `upstream ${up.port}`);
    assert.deepEqual(corsHeaders(res), {});
    assert.equal(up.seen.length, seen + 1);
    assert.equal(up.seen.at(-1)!.method, 'OPTIONS');
    assert.equal(up.seen.at(-1)!.headers.origin, 'https://evil.example');
  });

  test('with forward_not_matching_preflights false a disallowed preflight is answered locally without allow-origin', async () => {
    const seen = up.seen.length;
    const res = await preflight(px.port, '/strict', 'https://evil.example');
    assert.equal(res.status, 200);
    assert.equal(res.body, '');
    assert.equal(res.headers['access-control-allow-origin'], undefined);
    assert.equal(res.headers['access-control-allow-methods'], 'GET,POST', 'inherited from the virtual host');
    assert.equal(up.seen.length, seen);
  });

  test('an OPTIONS request without access-control-request-method is not a preflight', async () => {
    const seen = up.seen.length;
    const res = await send(px.port, {
      method: 'OPTIONS',
      path: '/api',
      headers: { host: 'shop', origin: 'https://app.example' },
    });
    assert.equal(up.seen.length, seen + 1);
    assert.equal(res.headers['access-control-allow-origin'], 'https://app.example');
  });

  test('an actual request from an allowed origin gets allow-origin, credentials and expose-headers', async () => {
    const res = await send(px.port, {
      path: '/api/items',
      headers: { host: 'shop', origin: 'https://app.example' },
    });
    assert.equal(res.status, 200);
    assert.equal(res.body, `upstream ${up.port}`);
    assert.deepEqual(corsHeaders(res), {
      'access-control-allow-origin': 'https://app.example',
      'access-control-allow-credentials': 'true',
      'access-control-expose-headers': 'x-request-id, x-total',
    });
  });

  test('an actual request from a disallowed origin gets no CORS headers', async () => {
    const res = await send(px.port, {
      path: '/api',
      headers: { host: 'shop', origin: 'https://evil.example' },
    });
    assert.equal(res.status, 200);
    assert.deepEqual(corsHeaders(res), {});
  });

  test('an HTTP/2 preflight is answered locally the same way', async () => {
    const session = h2connect(`http://127.0.0.1:${px.port}`);
    try {
      const head = await new Promise<IncomingHttpHeaders>((resolve, reject) => {
        const req = session.request({
          ':method': 'OPTIONS',
          ':path': '/api',
          ':authority': 'shop',
          origin: 'https://app.example',
          'access-control-request-method': 'DELETE',
        });
        req.on('response', (h) => {
          resolve(h);
          req.resume();
        });
        req.on('error', reject);
        req.end();
      });
      assert.equal(head[':status'], 200);
      assert.equal(head['access-control-allow-origin'], 'https://app.example');
      assert.equal(head['access-control-allow-methods'], 'GET, PUT, DELETE');
      assert.equal(head['access-control-max-age'], '600');
    } finally {
      session.close();
    }
  });

  test('a request without an origin header is left alone', async () => {
    const seen = up.seen.length;
    const res = await send(px.port, {
      method: 'OPTIONS',
      path: '/api',
      headers: { host: 'shop', 'access-control-request-method': 'PUT' },
    });
    assert.equal(up.seen.length, seen + 1);
    assert.deepEqual(corsHeaders(res), {});
  });

  test('the virtual host policy applies to a route that has none', async () => {
    const pre = await preflight(px.port, '/other', 'https://vhost.example');
    assert.deepEqual(corsHeaders(pre), {
      'access-control-allow-origin': 'https://vhost.example',
      'access-control-allow-methods': 'GET,POST',
      'access-control-expose-headers': 'x-vhost',
    });
    const res = await send(px.port, {
      path: '/other',
      headers: { host: 'shop', origin: 'https://vhost.example' },
    });
    assert.equal(res.headers['access-control-allow-origin'], 'https://vhost.example');
    assert.equal(res.headers['access-control-expose-headers'], 'x-vhost');
  });

  test("a route's FilterConfig disabled: true turns CORS off under a virtual host policy", async () => {
    const seen = up.seen.length;
    const pre = await preflight(px.port, '/no-cors', 'https://vhost.example');
    assert.deepEqual(corsHeaders(pre), {});
    assert.equal(up.seen.length, seen + 1, 'the preflight went upstream');
  });

  test('a route policy overrides the virtual host field by field', async () => {
    const api = await preflight(px.port, '/api', 'https://vhost.example');
    assert.equal(api.headers['access-control-allow-origin'], undefined, 'the route names its own origins');
    const methodsOnly = await preflight(px.port, '/methods-only', 'https://vhost.example');
    assert.deepEqual(corsHeaders(methodsOnly), {
      'access-control-allow-origin': 'https://vhost.example',
      'access-control-allow-methods': 'PATCH',
      'access-control-expose-headers': 'x-vhost',
    });
  });

  test('allow_methods and allow_headers "*" echo the request; private network access is granted when asked', async () => {
    const res = await preflight(px.port, '/echo', 'https://any.example', {
      'access-control-request-headers': 'x-a, x-b',
      'access-control-request-private-network': 'true',
    });
    assert.deepEqual(corsHeaders(res), {
      'access-control-allow-origin': 'https://any.example',
      'access-control-allow-methods': 'PUT',
      'access-control-allow-headers': 'x-a, x-b',
      'access-control-allow-private-network': 'true',
      'access-control-expose-headers': 'x-vhost',
    });
  });

  test('a disabled policy adds nothing and forwards preflights', async () => {
    const seen = up.seen.length;
    const pre = await preflight(px.port, '/off', 'https://app.example');
    assert.equal(up.seen.length, seen + 1);
    assert.deepEqual(corsHeaders(pre), {});
    const res = await send(px.port, {
      path: '/off',
      headers: { host: 'shop', origin: 'https://app.example' },
    });
    assert.deepEqual(corsHeaders(res), {});
  });

  test('routes without an upstream action (direct responses) are not handled', async () => {
    const res = await preflight(px.port, '/direct', 'https://vhost.example');
    assert.equal(res.status, 204);
    assert.deepEqual(corsHeaders(res), {});
  });

  test('shadow mode counts origins but enforces nothing; stats count valid and invalid origins', async () => {
    const scrape = async () => (await send(px.proxy.adminPort, { path: '/stats/prometheus' })).body;
    const count = (body: string, name: string) => {
      const m = new RegExp(
        `envoy_http_cors_${name}\\{envoy_http_conn_manager_prefix="ingress"\\} (\\d+)`,
      ).exec(body);
      return m === null ? 0 : Number(m[1]);
    };
    const before = await scrape();
    const seen = up.seen.length;
    const pre = await preflight(px.port, '/shadow', 'https://app.example');
    assert.equal(up.seen.length, seen + 1);
    assert.deepEqual(corsHeaders(pre), {});
    await send(px.port, { path: '/shadow', headers: { host: 'shop', origin: 'https://evil.example' } });
    const afterBody = await scrape();
    assert.equal(count(afterBody, 'origin_valid'), count(before, 'origin_valid') + 1);
    assert.equal(count(afterBody, 'origin_invalid'), count(before, 'origin_invalid') + 1);
  });
});

describe('CORS policy levels', () => {
  let up: Upstream;
  let px: TestProxy;
  before(async () => {
    up = await startUpstream();
    const bootstrap = buildBootstrap({
      filters: [FILTER],
      clusters: [staticCluster('b', [up.port])],
      virtualHosts: [
        {
          name: 'quiet',
          domains: ['quiet'],
          routes: [route('/')],
        },
        {
          name: 'disabled',
          domains: ['disabled'],
          typed_per_filter_config: cors({ filter_enabled: { default_value: { numerator: 0 } } }),
          routes: [route('/on', { filter_enabled: { default_value: { numerator: 100 } } }), route('/')],
        },
      ],
      routes: [],
    });
    const listener = (bootstrap.static_resources as { listeners: Array<Record<string, any>> }).listeners[0];
    const rc = listener.filter_chains[0].filters[0].typed_config.route_config;
    rc.typed_per_filter_config = cors({
      allow_origin_string_match: [{ exact: 'https://config.example' }],
      allow_methods: 'GET',
    });
    px = await startProxy(bootstrap);
  });
  after(async () => {
    await px.close();
    await up.close();
  });

  test('the route configuration policy applies when neither route nor virtual host has one', async () => {
    const res = await send(px.port, {
      method: 'OPTIONS',
      headers: { host: 'quiet', origin: 'https://config.example', 'access-control-request-method': 'GET' },
    });
    assert.deepEqual(corsHeaders(res), {
      'access-control-allow-origin': 'https://config.example',
      'access-control-allow-methods': 'GET',
    });
  });

  test('filter_enabled comes from the most specific policy only', async () => {
    const headers = { host: 'disabled', origin: 'https://config.example' };
    const off = await send(px.port, { path: '/x', headers });
    assert.deepEqual(corsHeaders(off), {});
    const on = await send(px.port, { path: '/on', headers });
    assert.equal(on.headers['access-control-allow-origin'], 'https://config.example');
  });
});

describe('CORS config errors', () => {
  // The bootstrap codec writes map keys as `["name"]`, the route compiler as `.name`.
  const rejects = (bootstrap: Record<string, unknown>, path: string) =>
    assert.rejects(startProxy(bootstrap), (e: unknown) => {
      assert.ok(e instanceof ProxyConfigError, String(e));
      const got = e.path.replace(/\["([^"]+)"\]/g, '.$1');
      assert.ok(got.endsWith(path), `${e.path} should end with ${path}`);
      return true;
    });
  const withRoutePolicy = (policy: Record<string, unknown>) =>
    buildBootstrap({ filters: [FILTER], routes: [route('/', policy)], clusters: [staticCluster('b', [1])] });

  test('an invalid origin regex names the matcher', async () => {
    await rejects(
      withRoutePolicy({ allow_origin_string_match: [{ safe_regex: { regex: '(' } }] }),
      'routes[0].typed_per_filter_config.envoy.filters.http.cors.allow_origin_string_match[0].safe_regex.regex',
    );
  });

  test('an unknown policy field names it', async () => {
    await rejects(
      withRoutePolicy({ allow_origin: ['*'] }),
      'typed_per_filter_config.envoy.filters.http.cors.allow_origin',
    );
  });

  test('wrongly typed fields name the field', async () => {
    await rejects(withRoutePolicy({ allow_methods: ['GET'] }), 'envoy.filters.http.cors.allow_methods');
    await rejects(withRoutePolicy({ allow_credentials: 'yes' }), 'envoy.filters.http.cors.allow_credentials');
    await rejects(
      withRoutePolicy({ filter_enabled: { default_value: { numerator: 1, denominator: 'ALL' } } }),
      'envoy.filters.http.cors.filter_enabled.default_value.denominator',
    );
  });

  test('a virtual host policy is validated too', async () => {
    await rejects(
      buildBootstrap({
        filters: [FILTER],
        routes: [route('/')],
        vhost: { typed_per_filter_config: cors({ max_age: 600 }) },
        clusters: [staticCluster('b', [1])],
      }),
      'virtual_hosts[0].typed_per_filter_config.envoy.filters.http.cors.max_age',
    );
  });

  test('the filter config itself takes no fields', async () => {
    await rejects(
      buildBootstrap({
        filters: [{ ...FILTER, typed_config: { ...FILTER.typed_config, allow_methods: 'GET' } }],
        routes: [route('/')],
        clusters: [staticCluster('b', [1])],
      }),
      'http_filters[0].typed_config.allow_methods',
    );
  });
});
