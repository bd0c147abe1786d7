/** Virtual host `require_tls` (what Istio's Gateway `tls.httpsRedirect` becomes). */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { buildBootstrap, send, startProxy, startUpstream, staticCluster } from '../test-support/harness.js';
import { compileRouteConfig } from './route-config.js';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups) await c();
});

test('require_tls ALL answers plaintext requests with a 301 to the https URL', async () => {
  const up = await startUpstream();
  const px = await startProxy(
    buildBootstrap({
      routes: [],
      clusters: [staticCluster('up', [up.port])],
      virtualHosts: [
        {
          name: 'secure',
          domains: ['shop.example.com'],
          require_tls: 'ALL',
          routes: [{ match: { prefix: '/' }, route: { cluster: 'up' } }],
        },
        { name: 'open', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'up' } }] },
      ],
    }),
  );
  cleanups.push(px.close, up.close);
  const redirected = await send(px.port, { path: '/cart?id=7', headers: { host: 'shop.example.com' } });
  assert.equal(redirected.status, 301);
  assert.equal(redirected.headers.location, 'https://shop.example.com/cart?id=7');
  assert.equal(up.seen.length, 0, 'nothing reached the upstream');
  const open = await send(px.port, { headers: { host: 'other.example.com' } });
  assert.equal(open.status, 200, 'other virtual hosts are unaffected');
});

test('require_tls values this proxy does not implement are rejected by path', () => {
  const config = (mode: string) => ({
    name: 'r',
    virtual_hosts: [{ name: 'v', domains: ['*'], require_tls: mode, routes: [] }],
  });
  assert.equal(compileRouteConfig(config('NONE'), 'rc').exact.size, 0);
  assert.throws(() => compileRouteConfig(config('EXTERNAL_ONLY'), 'rc'), {
    message: 'rc.virtual_hosts[0].require_tls: unsupported value "EXTERNAL_ONLY" (NONE or ALL)',
  });
});
