import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Destination, HTTPRoute } from '../resources/istio-networking.js';
import {
  corsPolicyConfig,
  faultConfig,
  type RouteContext,
  retryPolicy,
  translateHttpRoute,
} from './route-action.js';

const ctx: RouteContext = {
  namespace: 'default',
  proxyless: false,
  clusterOf: (d: Destination) =>
    `outbound|${d.port?.number ?? 8080}|${d.subset ?? ''}|${d.host}.default.svc.cluster.local`,
  hashPolicyOf: () => undefined,
};

describe('translateHttpRoute', () => {
  test('a header and uri match becomes an Envoy route match with pseudo-header matchers', () => {
    const route: HTTPRoute = {
      match: [
        { uri: { prefix: '/api' }, headers: { 'end-user': { exact: 'jason' } }, method: { exact: 'GET' } },
      ],
      route: [{ destination: { host: 'reviews', subset: 'v2' } }],
    };
    const [r] = translateHttpRoute(route, 0, ctx);
    assert.deepEqual(r.match, {
      prefix: '/api',
      headers: [
        { name: ':method', string_match: { exact: 'GET' } },
        { name: 'end-user', string_match: { exact: 'jason' } },
      ],
    });
    assert.equal((r.route as any).cluster, 'outbound|8080|v2|reviews.default.svc.cluster.local');
  });

  test('each match alternative becomes its own route in order', () => {
    const route: HTTPRoute = {
      name: 'r',
      match: [{ uri: { exact: '/a' } }, { uri: { regex: '^/b.*' }, queryParams: { debug: { exact: '1' } } }],
      route: [{ destination: { host: 'x' } }],
    };
    const routes = translateHttpRoute(route, 0, ctx);
    assert.equal(routes.length, 2);
    assert.deepEqual(routes[0].match, { path: '/a' });
    assert.deepEqual(routes[1].match, {
      safe_regex: { regex: '^/b.*' },
      query_parameters: [{ name: 'debug', string_match: { exact: '1' } }],
    });
    assert.deepEqual(
      routes.map((r) => r.name),
      ['r.0', 'r.1'],
    );
  });

  test('weighted destinations become weighted_clusters with their weights', () => {
    const route: HTTPRoute = {
      route: [
        { destination: { host: 'reviews', subset: 'v1' }, weight: 75 },
        { destination: { host: 'reviews', subset: 'v3' }, weight: 25 },
      ],
    };
    const [r] = translateHttpRoute(route, 0, ctx);
    assert.deepEqual((r.route as any).weighted_clusters, {
      clusters: [
        { name: 'outbound|8080|v1|reviews.default.svc.cluster.local', weight: 75 },
        { name: 'outbound|8080|v3|reviews.default.svc.cluster.local', weight: 25 },
      ],
    });
    assert.deepEqual(r.match, { prefix: '/' });
  });

  test('timeout, retries, mirror and rewrite map to Envoy route action fields', () => {
    const route: HTTPRoute = {
      route: [{ destination: { host: 'ratings' } }],
      timeout: '1.5s',
      retries: { attempts: 3, perTryTimeout: '500ms', retryOn: '5xx,connect-failure,503' },
      mirror: { host: 'ratings', subset: 'shadow' },
      mirrorPercentage: { value: 12.5 },
      rewrite: { uri: '/v2/', authority: 'ratings.internal' },
    };
    const action = translateHttpRoute(route, 0, ctx)[0].route as any;
    assert.equal(action.timeout, '1.5s');
    assert.deepEqual(action.retry_policy, {
      num_retries: 3,
      retry_on: '5xx,connect-failure,retriable-status-codes',
      retriable_status_codes: [503],
      per_try_timeout: '0.5s',
    });
    assert.deepEqual(action.request_mirror_policies, [
      {
        cluster: 'outbound|8080|shadow|ratings.default.svc.cluster.local',
        runtime_fraction: { default_value: { numerator: 125_000, denominator: 'MILLION' } },
      },
    ]);
    assert.equal(action.prefix_rewrite, '/v2/');
    assert.equal(action.host_rewrite_literal, 'ratings.internal');
  });

  test('a route without retries gets Istio default retries and no route timeout', () => {
    const action = translateHttpRoute({ route: [{ destination: { host: 'a' } }] }, 0, ctx)[0].route as any;
    assert.equal(action.timeout, '0s');
    assert.deepEqual(action.retry_policy, {
      num_retries: 2,
      retry_on: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes',
      retriable_status_codes: [503],
    });
  });

  test('attempts 0 turns retries off', () => {
    const action = translateHttpRoute(
      { route: [{ destination: { host: 'a' } }], retries: { attempts: 0 } },
      0,
      ctx,
    )[0].route as any;
    assert.equal(action.retry_policy, undefined);
  });

  test('fault injection becomes per-route HTTPFault config', () => {
    const route: HTTPRoute = {
      route: [{ destination: { host: 'ratings' } }],
      fault: {
        delay: { fixedDelay: '7s', percentage: { value: 100 } },
        abort: { httpStatus: 500, percentage: { value: 10 } },
      },
    };
    const r = translateHttpRoute(route, 0, ctx)[0];
    assert.deepEqual(r.typed_per_filter_config, {
      'envoy.filters.http.fault': {
        '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault',
        delay: { fixed_delay: '7s', percentage: { numerator: 1_000_000, denominator: 'MILLION' } },
        abort: { percentage: { numerator: 100_000, denominator: 'MILLION' }, http_status: 500 },
      },
    });
  });

  test('a CORS policy becomes per-route Envoy CorsPolicy config, beside a fault', () => {
    const route: HTTPRoute = {
      route: [{ destination: { host: 'ratings' } }],
      fault: { abort: { httpStatus: 503, percentage: { value: 1 } } },
      corsPolicy: {
        allowOrigins: [{ exact: 'https://shop.example.com' }, { regex: 'https://.*\\.example\\.org' }],
        allowOrigin: ['https://legacy.example.com'],
        allowMethods: ['GET', 'POST'],
        allowHeaders: ['authorization', 'content-type'],
        exposeHeaders: ['x-request-id'],
        maxAge: '24h',
        allowCredentials: true,
      },
    };
    const config = translateHttpRoute(route, 0, ctx)[0].typed_per_filter_config as any;
    assert.ok(config['envoy.filters.http.fault']);
    assert.deepEqual(config['envoy.filters.http.cors'], {
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy',
      allow_origin_string_match: [
        { exact: 'https://shop.example.com' },
        { safe_regex: { regex: 'https://.*\\.example\\.org' } },
        { exact: 'https://legacy.example.com' },
      ],
      allow_methods: 'GET,POST',
      allow_headers: 'authorization,content-type',
      expose_headers: 'x-request-id',
      max_age: '86400',
      allow_credentials: true,
      forward_not_matching_preflights: true,
    });
    const ignoring = corsPolicyConfig({
      allowOrigins: [{ prefix: 'https://' }],
      unmatchedPreflights: 'IGNORE',
    });
    assert.equal(ignoring.forward_not_matching_preflights, false);
    assert.deepEqual(ignoring.allow_origin_string_match, [{ prefix: 'https://' }]);
    // Proxyless gRPC clients have no CORS filter: they get no CORS config.
    const proxyless = translateHttpRoute(route, 0, { ...ctx, proxyless: true })[0]
      .typed_per_filter_config as any;
    assert.equal(proxyless['envoy.filters.http.cors'], undefined);
  });

  test('a gRPC abort names the numeric status code', () => {
    const fault = faultConfig({ abort: { grpcStatus: 'UNAVAILABLE' } }) as any;
    assert.equal(fault.abort.grpc_status, 14);
    assert.deepEqual(fault.abort.percentage, { numerator: 1_000_000, denominator: 'MILLION' });
  });

  test('redirects and direct responses are answered by the proxy', () => {
    const [redirect] = translateHttpRoute(
      { redirect: { uri: '/new', authority: 'b.com', redirectCode: 302 } },
      0,
      ctx,
    );
    assert.deepEqual(redirect.redirect, {
      response_code: 'FOUND',
      path_redirect: '/new',
      host_redirect: 'b.com',
    });
    assert.equal(redirect.route, undefined);
    const [direct] = translateHttpRoute(
      { directResponse: { status: 418, body: { string: 'teapot' } } },
      1,
      ctx,
    );
    assert.deepEqual(direct.direct_response, { status: 418, body: { inline_string: 'teapot' } });
  });

  test('proxyless clients get no redirect or direct-response routes', () => {
    assert.deepEqual(translateHttpRoute({ redirect: { uri: '/x' } }, 0, { ...ctx, proxyless: true }), []);
  });

  test('header operations set, add and remove on request and response', () => {
    const r = translateHttpRoute(
      {
        route: [{ destination: { host: 'a' }, headers: { response: { remove: ['server'] } } }],
        headers: { request: { set: { 'x-a': '1' }, add: { 'x-b': '2' } } },
      },
      0,
      ctx,
    )[0];
    assert.deepEqual(r.request_headers_to_add, [
      { header: { key: 'x-a', value: '1' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' },
      { header: { key: 'x-b', value: '2' }, append_action: 'APPEND_IF_EXISTS_OR_ADD' },
    ]);
    assert.deepEqual(r.response_headers_to_remove, ['server']);
  });

  test('withoutHeaders inverts the header matcher and an empty match means presence', () => {
    const [r] = translateHttpRoute(
      { match: [{ withoutHeaders: { 'x-canary': {} } }], route: [{ destination: { host: 'a' } }] },
      0,
      ctx,
    );
    assert.deepEqual((r.match as any).headers, [
      { name: 'x-canary', present_match: true, invert_match: true },
    ]);
  });
});

describe('retryPolicy', () => {
  test('status codes alone imply retriable-status-codes', () => {
    assert.deepEqual(retryPolicy({ attempts: 1, retryOn: '503,504' }), {
      num_retries: 1,
      retry_on: 'retriable-status-codes',
      retriable_status_codes: [503, 504],
    });
  });
});
