import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProxyConfigError } from '../errors.js';
import { compileRouteConfig, matchRequest, selectVirtualHost } from './route-config.js';
import type { RouteRequest } from './route-request.js';

function rq(partial: Partial<RouteRequest>): RouteRequest {
  return {
    method: 'GET',
    path: '/',
    query: '',
    authority: 'svc',
    scheme: 'http',
    headers: [],
    remoteAddress: '10.0.0.1',
    ...partial,
  };
}

const r = (name: string, match: Record<string, unknown>) => ({ name, match, route: { cluster: name } });

const table = compileRouteConfig(
  {
    name: 'rc',
    virtual_hosts: [
      {
        name: 'exact',
        domains: ['api.example.com', 'api.example.com:8080'],
        routes: [r('api', { prefix: '/' })],
      },
      { name: 'suffix-long', domains: ['*.shop.example.com'], routes: [r('shop', { prefix: '/' })] },
      { name: 'suffix', domains: ['*.example.com'], routes: [r('wild', { prefix: '/' })] },
      { name: 'prefix', domains: ['inventory.*'], routes: [r('inv', { prefix: '/' })] },
      {
        name: 'any',
        domains: ['*'],
        routes: [
          r('exact-path', { path: '/exact' }),
          r('regex', { safe_regex: { regex: '/users/[0-9]+' } }),
          r('sep', { path_separated_prefix: '/sep' }),
          r('header', { prefix: '/h', headers: [{ name: 'x-canary', string_match: { exact: 'yes' } }] }),
          r('present', { prefix: '/h', headers: [{ name: 'x-debug', present_match: true }] }),
          r('inverted', {
            prefix: '/h',
            headers: [{ name: 'x-user', string_match: { prefix: 'bot' }, invert_match: true }],
          }),
          r('method', { prefix: '/m', headers: [{ name: ':method', string_match: { exact: 'POST' } }] }),
          r('query', { prefix: '/q', query_parameters: [{ name: 'v', string_match: { exact: '2' } }] }),
          r('nocase', { prefix: '/CaSe', case_sensitive: false }),
          r('fallback', { prefix: '/' }),
        ],
      },
    ],
  },
  'rc',
);

const pick = (req: RouteRequest) => matchRequest(table, req)?.route.name;

describe('virtual host selection', () => {
  test('exact beats wildcards; longest suffix wins; prefix wildcards; * last', () => {
    assert.equal(selectVirtualHost(table, 'api.example.com')?.name, 'exact');
    assert.equal(selectVirtualHost(table, 'api.example.com:8080')?.name, 'exact');
    assert.equal(selectVirtualHost(table, 'API.Example.com:9999')?.name, 'exact');
    assert.equal(selectVirtualHost(table, 'cart.shop.example.com')?.name, 'suffix-long');
    assert.equal(selectVirtualHost(table, 'www.example.com')?.name, 'suffix');
    assert.equal(selectVirtualHost(table, 'inventory.default.svc')?.name, 'prefix');
    assert.equal(selectVirtualHost(table, 'other')?.name, 'any');
  });
});

describe('route matching', () => {
  test('path exact, safe_regex (whole path), path_separated_prefix', () => {
    assert.equal(pick(rq({ path: '/exact' })), 'exact-path');
    assert.equal(pick(rq({ path: '/exact/more' })), 'fallback');
    assert.equal(pick(rq({ path: '/users/42' })), 'regex');
    assert.equal(pick(rq({ path: '/users/42/x' })), 'fallback');
    assert.equal(pick(rq({ path: '/sep/a' })), 'sep');
    assert.equal(pick(rq({ path: '/sepx' })), 'fallback');
  });

  test('header matchers: exact, present, invert', () => {
    assert.equal(pick(rq({ path: '/h', headers: ['x-canary', 'yes'] })), 'header');
    assert.equal(pick(rq({ path: '/h', headers: ['x-debug', ''] })), 'present');
    assert.equal(pick(rq({ path: '/h', headers: ['x-user', 'alice'] })), 'inverted');
    assert.equal(pick(rq({ path: '/h', headers: ['x-user', 'bot-7'] })), 'fallback');
  });

  test(':method pseudo-header and query parameters', () => {
    assert.equal(pick(rq({ path: '/m', method: 'POST' })), 'method');
    assert.equal(pick(rq({ path: '/m', method: 'GET' })), 'fallback');
    assert.equal(pick(rq({ path: '/q', query: 'a=1&v=2' })), 'query');
    assert.equal(pick(rq({ path: '/q', query: 'v=3' })), 'fallback');
  });

  test('case_sensitive: false', () => {
    assert.equal(pick(rq({ path: '/case/x' })), 'nocase');
  });
});

describe('route configuration errors', () => {
  const bad: Array<[unknown, string]> = [
    [
      {
        virtual_hosts: [
          {
            name: 'a',
            domains: ['*'],
            routes: [
              {
                match: { prefix: '/' },
                route: {
                  weighted_clusters: {
                    total_weight: 10,
                    clusters: [
                      { name: 'x', weight: 95 },
                      { name: 'y', weight: 5 },
                    ],
                  },
                },
              },
            ],
          },
        ],
      },
      'rc.virtual_hosts[0].routes[0].route.weighted_clusters.total_weight',
    ],
    [
      {
        virtual_hosts: [
          {
            name: 'a',
            domains: ['*'],
            routes: [{ match: { prefix: '/' }, route: { cluster: 'c', bogus: 1 } }],
          },
        ],
      },
      'rc.virtual_hosts[0].routes[0].route.bogus',
    ],
    [
      {
        virtual_hosts: [
          {
            name: 'a',
            domains: ['*'],
            routes: [{ match: { safe_regex: { regex: '(' } }, route: { cluster: 'c' } }],
          },
        ],
      },
      'rc.virtual_hosts[0].routes[0].match.safe_regex.regex',
    ],
    [
      {
        virtual_hosts: [
          {
            name: 'a',
            domains: ['*'],
            routes: [
              { match: { prefix: '/' }, route: { cluster: 'c', retry_policy: { retry_on: 'sometimes' } } },
            ],
          },
        ],
      },
      'rc.virtual_hosts[0].routes[0].route.retry_policy.retry_on',
    ],
    [
      {
        virtual_hosts: [
          { name: 'a', domains: ['*'] },
          { name: 'b', domains: ['*'] },
        ],
      },
      'rc.virtual_hosts[1].domains',
    ],
    [
      { virtual_hosts: [{ name: 'a', domains: ['*'], routes: [{ match: { prefix: '/' } }] }] },
      'rc.virtual_hosts[0].routes[0]',
    ],
  ];
  for (const [cfg, path] of bad) {
    test(`names ${path}`, () => {
      assert.throws(
        () => compileRouteConfig(cfg, 'rc'),
        (err: unknown) =>
          err instanceof ProxyConfigError && err.code === 'MESH_ERR_PROXY_CONFIG' && err.path === path,
      );
    });
  }
});
