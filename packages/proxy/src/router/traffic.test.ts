import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  buildBootstrap,
  rawExchange,
  send,
  sleep,
  startProxy,
  startUpstream,
  staticCluster,
  type TestProxy,
  type Upstream,
} from '../test-support/harness.js';

describe('traffic management', () => {
  let v1: Upstream;
  let v2: Upstream;
  let shadow: Upstream;
  let px: TestProxy;
  before(async () => {
    v1 = await startUpstream((_q, res) => res.end('v1'));
    v2 = await startUpstream((_q, res) => res.end('v2'));
    shadow = await startUpstream((_q, res) => {
      res.writeHead(500);
      res.end('shadow fails, nobody cares');
    });
    px = await startProxy(
      buildBootstrap({
        hcm: { use_remote_address: true },
        routes: [
          {
            match: { prefix: '/canary' },
            route: {
              weighted_clusters: {
                clusters: [
                  { name: 'v1', weight: 95 },
                  { name: 'v2', weight: 5 },
                ],
              },
            },
          },
          {
            match: { prefix: '/mirror' },
            route: {
              cluster: 'v1',
              request_mirror_policies: [
                { cluster: 'shadow', runtime_fraction: { default_value: { numerator: 100 } } },
              ],
            },
          },
          {
            match: { prefix: '/api/v1/' },
            route: { cluster: 'v1', prefix_rewrite: '/v1/', host_rewrite_literal: 'backend.internal' },
          },
          {
            match: { prefix: '/re/' },
            route: {
              cluster: 'v1',
              regex_rewrite: { pattern: { regex: '^/re/([a-z]+)/(\\d+)$' }, substitution: '/\\2/\\1' },
            },
          },
          {
            match: { prefix: '/hdr' },
            request_headers_to_add: [{ header: { key: 'x-added', value: 'route' } }],
            request_headers_to_remove: ['x-secret'],
            response_headers_to_add: [
              { header: { key: 'x-resp', value: 'r' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' },
            ],
            route: { cluster: 'v1' },
          },
          { match: { prefix: '/auto-host' }, route: { cluster: 'v2', auto_host_rewrite: true } },
          {
            match: { prefix: '/old' },
            redirect: { path_redirect: '/new', response_code: 'PERMANENT_REDIRECT' },
          },
          { match: { prefix: '/secure' }, redirect: { https_redirect: true } },
          { match: { prefix: '/' }, route: { cluster: 'v1' } },
        ],
        vhost: { request_headers_to_add: [{ header: { key: 'x-vhost', value: 'yes' } }] },
        clusters: [
          staticCluster('v1', [v1.port]),
          staticCluster('v2', [v2.port]),
          staticCluster('shadow', [shadow.port]),
        ],
      }),
    );
  });
  after(async () => {
    await px.close();
    await Promise.all([v1.close(), v2.close(), shadow.close()]);
  });

  test('weighted clusters split 95/5 within statistical tolerance', async () => {
    let n2 = 0;
    const total = 400;
    for (let i = 0; i < total; i++) if ((await send(px.port, { path: '/canary' })).body === 'v2') n2++;
    // Binomial(400, 0.05): mean 20, sd ≈ 4.4; ±4.5 sd keeps this test deterministic in practice.
    assert.ok(n2 > 0 && n2 <= 40, `v2 got ${n2} of ${total}`);
  });

  test('mirrored requests reach the shadow cluster with -shadow host and never affect the response', async () => {
    const res = await send(px.port, {
      method: 'POST',
      path: '/mirror?q=1',
      headers: { host: 'shop:8080' },
      body: 'copy me',
    });
    assert.equal(res.status, 200);
    assert.equal(res.body, 'v1');
    for (let i = 0; i < 50 && shadow.seen.length === 0; i++) await sleep(10);
    assert.equal(shadow.seen.length, 1);
    assert.equal(shadow.seen[0].headers.host, 'shop-shadow:8080');
    assert.equal(shadow.seen[0].url, '/mirror?q=1');
    assert.equal(shadow.seen[0].body, 'copy me');
  });

  test('prefix_rewrite and host_rewrite_literal', async () => {
    await send(px.port, { path: '/api/v1/items?x=1' });
    const seen = v1.seen.at(-1)!;
    assert.equal(seen.url, '/v1/items?x=1');
    assert.equal(seen.headers.host, 'backend.internal');
  });

  test('auto_host_rewrite sends the chosen endpoint as Host', async () => {
    await send(px.port, { path: '/auto-host', headers: { host: 'public.example' } });
    assert.equal(v2.seen.at(-1)!.headers.host, `127.0.0.1:${v2.port}`);
  });

  test('regex_rewrite with capture groups', async () => {
    await send(px.port, { path: '/re/abc/123' });
    assert.equal(v1.seen.at(-1)!.url, '/123/abc');
  });

  test('headers added and removed at route and virtual-host level, both directions', async () => {
    const res = await send(px.port, { path: '/hdr', headers: { 'x-secret': 's', 'x-keep': 'k' } });
    const seen = v1.seen.at(-1)!;
    assert.equal(seen.headers['x-added'], 'route');
    assert.equal(seen.headers['x-vhost'], 'yes');
    assert.equal(seen.headers['x-secret'], undefined);
    assert.equal(seen.headers['x-keep'], 'k');
    assert.equal(res.headers['x-resp'], 'r');
  });

  test('redirects: path redirect with 308 and https redirect', async () => {
    const a = await send(px.port, { path: '/old?x=1', headers: { host: 'shop.example' } });
    assert.equal(a.status, 308);
    assert.equal(a.headers.location, 'http://shop.example/new?x=1');
    const b = await send(px.port, { path: '/secure/page', headers: { host: 'shop.example:8080' } });
    assert.equal(b.status, 301);
    assert.equal(b.headers.location, 'https://shop.example/secure/page');
  });

  test('x-forwarded-for is appended with use_remote_address and hop-by-hop headers are not forwarded', async () => {
    await send(px.port, {
      path: '/',
      headers: {
        'x-forwarded-for': '1.2.3.4',
        connection: 'keep-alive, x-foo',
        'keep-alive': 'timeout=5',
        te: 'trailers',
      },
    });
    const seen = v1.seen.at(-1)!;
    assert.equal(seen.headers['x-forwarded-for'], '1.2.3.4, 127.0.0.1');
    assert.equal(seen.headers['keep-alive'], undefined);
    assert.equal(seen.headers.te, undefined);
  });

  test('path normalisation routes and forwards one canonical path', async () => {
    await send(px.port, { path: '/x/..//api/v1/%61bc' });
    assert.equal(v1.seen.at(-1)!.url, '/v1/abc');
  });

  test('Expect: 100-continue gets a 100 before the body is sent', async () => {
    const raw = await rawExchange(
      px.port,
      'POST /e HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nExpect: 100-continue\r\nConnection: close\r\n\r\nabc',
    );
    assert.match(raw, /^HTTP\/1.1 100 Continue\r\n\r\nHTTP\/1.1 200 OK/);
    assert.equal(v1.seen.at(-1)!.body, 'abc');
    assert.equal(v1.seen.at(-1)!.headers.expect, undefined);
  });

  test('an HTTP/1.0 request without Host is served through the * virtual host and then closed', async () => {
    const res = await rawExchange(px.port, 'GET / HTTP/1.0\r\n\r\n');
    assert.match(res, /^HTTP\/1.1 200 OK\r\n/);
    assert.match(res, /connection: close/);
  });
});
