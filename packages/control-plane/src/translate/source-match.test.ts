/**
 * Istio's source constraints on VirtualService matches (`sourceLabels`, `sourceNamespace`): a
 * rule applies only to the client workloads it names. Other proxies must not get it at all — a
 * rule whose source conditions were dropped would match every request of every client.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EndpointSource, RegisteredService, WorkloadEndpoint } from './model.js';
import { parseProxyNode } from './proxy-node.js';
import { storedResource } from './test-resources.js';
import { Translator } from './translator.js';

const res = storedResource;

const registry: EndpointSource = {
  *registeredServices(): Iterable<RegisteredService> {
    yield { name: 'reviews', namespace: 'default', protocol: 'http', ports: [9080] };
  },
  endpointsOf(): readonly WorkloadEndpoint[] {
    return [];
  },
};

const sidecar = (id: string, labels: Record<string, string>, namespace = 'default') =>
  parseProxyNode({
    id,
    metadata: {
      mode: 'sidecar',
      service: 'x',
      namespace,
      inbound_port: 1,
      outbound_port: 2,
      app_port: 3,
      labels,
    },
  });

type Route = { match: { prefix?: string; headers?: unknown[] }; route: { cluster: string } };

function reviewsRoutes(t: Translator, node: ReturnType<typeof sidecar>): Route[] {
  const rc = t.snapshot(node).routes.get('outbound') as {
    virtual_hosts: { domains: string[]; routes: Route[] }[];
  };
  return rc.virtual_hosts.find((v) => v.domains.includes('reviews.default.svc.cluster.local'))!.routes;
}

test('sourceLabels and sourceNamespace narrow a rule to the clients they name', () => {
  const t = new Translator(registry);
  t.setResources([
    res('Service', 'reviews', { ports: [{ port: 9080, name: 'http' }] }),
    res('VirtualService', 'reviews', {
      hosts: ['reviews'],
      http: [
        {
          match: [{ sourceLabels: { app: 'productpage' } }],
          route: [{ destination: { host: 'reviews', subset: 'v2' } }],
        },
        {
          match: [{ sourceNamespace: 'team2', uri: { prefix: '/t2' } }, { headers: { x: { exact: '1' } } }],
          route: [{ destination: { host: 'reviews', subset: 'v3' } }],
        },
        { route: [{ destination: { host: 'reviews', subset: 'v1' } }] },
      ],
    }),
  ]);
  const clusters = (routes: Route[]) => routes.map((r) => r.route.cluster.split('|')[2]);
  const product = reviewsRoutes(t, sidecar('productpage-1', { app: 'productpage' }));
  assert.deepEqual(clusters(product), ['v2', 'v3', 'v1']);
  assert.equal(product[0].match.prefix, '/');
  const other = reviewsRoutes(t, sidecar('ratings-1', { app: 'ratings' }));
  assert.deepEqual(clusters(other), ['v3', 'v1'], 'the productpage-only rule is not there at all');
  assert.ok(other[0].match.headers, 'only the match alternative without a source condition is kept');
  const team2 = reviewsRoutes(t, sidecar('t2-1', { app: 'ratings' }, 'team2'));
  assert.deepEqual(clusters(team2), ['v3', 'v3', 'v1'], 'a client in team2 gets both alternatives');
  assert.equal(team2[0].match.prefix, '/t2');
});

test('a match with an empty gateways list applies where the VirtualService does, as in Istio', () => {
  const t = new Translator(registry);
  t.setResources([
    res('Service', 'reviews', { ports: [{ port: 9080, name: 'http' }] }),
    res('VirtualService', 'reviews', {
      hosts: ['reviews'],
      http: [
        {
          match: [{ gateways: [], uri: { prefix: '/any' } }],
          route: [{ destination: { host: 'reviews', subset: 'v2' } }],
        },
        {
          match: [{ gateways: ['edge'], uri: { prefix: '/edge' } }],
          route: [{ destination: { host: 'reviews', subset: 'v3' } }],
        },
        { route: [{ destination: { host: 'reviews', subset: 'v1' } }] },
      ],
    }),
  ]);
  const routes = reviewsRoutes(t, sidecar('ratings-1', { app: 'ratings' }));
  assert.deepEqual(
    routes.map((r) => [r.match.prefix, r.route.cluster.split('|')[2]]),
    [
      ['/any', 'v2'],
      ['/', 'v1'],
    ],
  );
});
