/**
 * Cookie hash policies with a `ttl` (what Istio's `consistentHash.httpCookie` with a ttl becomes):
 * the proxy generates the cookie when the request has none, and the client sticks to its host.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { buildBootstrap, send, startProxy, startUpstream, staticCluster } from '../test-support/harness.js';
import { compileHashPolicy, computeHash, generatedCookie } from './hash-policy.js';
import type { RouteRequest } from './route-request.js';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups) await c();
});

test('a cookie policy with a ttl compiles to Envoy set-cookie attributes', () => {
  const withTtl = compileHashPolicy({ cookie: { name: 'sess', ttl: '60s', path: '/' } }, 'hp');
  assert.equal(withTtl.generate, '; Max-Age=60; Path=/; HttpOnly');
  const session = compileHashPolicy({ cookie: { name: 'sess', ttl: '0s' } }, 'hp');
  assert.equal(session.generate, '; HttpOnly', 'ttl 0 is a session cookie');
  assert.equal(compileHashPolicy({ cookie: { name: 'sess' } }, 'hp').generate, null);
  assert.throws(() => compileHashPolicy({ cookie: { name: 'sess', ttl: 'soon' } }, 'hp'), /hp\.cookie\.ttl/);
});

test('the generated value is what the request is hashed with, and a quoted cookie hashes the same', () => {
  const policies = [compileHashPolicy({ cookie: { name: 'sess', ttl: '60s' } }, 'hp')];
  const req = (remoteAddress: string, headers: string[]): RouteRequest => ({
    method: 'GET',
    path: '/',
    query: '',
    authority: 'shop',
    scheme: 'http',
    headers,
    remoteAddress,
  });
  const bare = req('10.0.0.7', []);
  const cookie = generatedCookie(policies, bare)!;
  const value = /^sess="([0-9a-f]{8})"; Max-Age=60; HttpOnly$/.exec(cookie)?.[1];
  assert.ok(value, cookie);
  const back = req('10.9.9.9', ['cookie', `other=1; sess="${value}"`]);
  assert.equal(computeHash(policies, back), computeHash(policies, bare));
  assert.equal(generatedCookie(policies, back), undefined, 'no cookie is set when the client sent one');
});

test('through the proxy: the first response sets the cookie and the client sticks to one host', async () => {
  const ups = await Promise.all([1, 2, 3].map(() => startUpstream()));
  const px = await startProxy(
    buildBootstrap({
      routes: [
        {
          match: { prefix: '/' },
          route: { cluster: 'ring', hash_policy: [{ cookie: { name: 'sess', ttl: '3600s', path: '/' } }] },
        },
      ],
      clusters: [
        staticCluster(
          'ring',
          ups.map((u) => u.port),
          { lb_policy: 'RING_HASH' },
        ),
      ],
    }),
  );
  cleanups.push(px.close, ...ups.map((u) => u.close));
  const first = await send(px.port);
  const setCookie = first.headers['set-cookie']?.[0] ?? '';
  assert.match(setCookie, /^sess="[0-9a-f]{8}"; Max-Age=3600; Path=\/; HttpOnly$/);
  const cookie = setCookie.slice(0, setCookie.indexOf(';'));
  for (let i = 0; i < 5; i++) {
    const r = await send(px.port, { headers: { cookie } });
    assert.equal(r.body, first.body, 'same host for the same cookie');
    assert.equal(r.headers['set-cookie'], undefined);
  }
});
