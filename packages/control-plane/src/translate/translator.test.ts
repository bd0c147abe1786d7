import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { EndpointSource, RegisteredService, WorkloadEndpoint } from './model.js';
import { parseProxyNode } from './proxy-node.js';
import { storedResource } from './test-resources.js';
import { Translator } from './translator.js';

const res = storedResource;

class FakeRegistry implements EndpointSource {
  readonly instances = new Map<string, WorkloadEndpoint[]>();
  add(
    service: string,
    ep: Partial<WorkloadEndpoint> & { id: string; port: number },
    namespace = 'default',
  ): void {
    const key = `${service}.${namespace}`;
    const list = this.instances.get(key) ?? [];
    list.push({ address: '127.0.0.1', labels: {}, health: 'HEALTHY', ...ep });
    this.instances.set(key, list);
  }
  *registeredServices(): Iterable<RegisteredService> {
    for (const [key, eps] of this.instances) {
      const [name, namespace] = key.split('.');
      yield { name, namespace, protocol: 'http', ports: [...new Set(eps.map((e) => e.port))] };
    }
  }
  endpointsOf(name: string, namespace: string): readonly WorkloadEndpoint[] {
    return this.instances.get(`${name}.${namespace}`) ?? [];
  }
}

const sidecar = (id: string, extra: Record<string, unknown> = {}) =>
  parseProxyNode({
    id,
    cluster: 'orders',
    metadata: {
      mode: 'sidecar',
      service: 'orders',
      namespace: 'default',
      inbound_port: 15006,
      outbound_port: 15001,
      app_port: 8080,
      ...extra,
    },
  });

function reviewsMesh() {
  const reg = new FakeRegistry();
  reg.add('reviews', { id: 'reviews-1', port: 9081, sidecarPort: 19081, labels: { version: 'v1' } });
  reg.add('reviews', { id: 'reviews-2', port: 9082, sidecarPort: 19082, labels: { version: 'v2' } });
  const t = new Translator(reg);
  t.setResources([
    res('Service', 'reviews', { ports: [{ port: 9080, name: 'http' }] }),
    res('DestinationRule', 'reviews', {
      host: 'reviews',
      trafficPolicy: {
        loadBalancer: { simple: 'LEAST_REQUEST' },
        connectionPool: {
          tcp: { maxConnections: 100 },
          http: { http1MaxPendingRequests: 10, http2MaxRequests: 1000, maxRetries: 3 },
        },
        outlierDetection: {
          consecutive5xxErrors: 5,
          interval: '10s',
          baseEjectionTime: '30s',
          maxEjectionPercent: 50,
          minHealthPercent: 20,
        },
      },
      subsets: [
        { name: 'v1', labels: { version: 'v1' } },
        {
          name: 'v2',
          labels: { version: 'v2' },
          trafficPolicy: { loadBalancer: { consistentHash: { httpHeaderName: 'x-user' } } },
        },
      ],
    }),
    res('VirtualService', 'reviews', {
      hosts: ['reviews'],
      http: [
        {
          match: [{ headers: { 'end-user': { exact: 'jason' } } }],
          route: [{ destination: { host: 'reviews', subset: 'v2' } }],
        },
        {
          route: [
            { destination: { host: 'reviews', subset: 'v1' }, weight: 90 },
            { destination: { host: 'reviews', subset: 'v2' }, weight: 10 },
          ],
        },
      ],
    }),
  ]);
  return { reg, t };
}

describe('Translator for a sidecar', () => {
  test('an inbound listener routes everything to the local app cluster', () => {
    const { t } = reviewsMesh();
    const snap = t.snapshot(sidecar('orders-1'));
    const inbound = snap.listeners.get('inbound') as any;
    assert.deepEqual(inbound.address, { socket_address: { address: '0.0.0.0', port_value: 15006 } });
    const hcm = inbound.filter_chains[0].filters[0].typed_config;
    assert.equal(hcm.route_config.virtual_hosts[0].routes[0].route.cluster, 'inbound|8080||');
    assert.deepEqual(hcm.http_filters.at(-1).name, 'envoy.filters.http.router');
    const cluster = snap.clusters.get('inbound|8080||') as any;
    assert.equal(cluster.type, 'STATIC');
    assert.deepEqual(cluster.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address, {
      address: '127.0.0.1',
      port_value: 8080,
    });
  });

  test('the outbound listener uses the outbound route table over ADS', () => {
    const { t } = reviewsMesh();
    const outbound = t.snapshot(sidecar('orders-1')).listeners.get('outbound') as any;
    assert.equal(outbound.address.socket_address.port_value, 15001);
    const hcm = outbound.filter_chains[0].filters[0].typed_config;
    assert.deepEqual(hcm.rds, {
      route_config_name: 'outbound',
      config_source: { ads: {}, resource_api_version: 'V3' },
    });
    assert.deepEqual(
      hcm.http_filters.map((f: any) => f.name),
      ['envoy.filters.http.cors', 'envoy.filters.http.fault', 'envoy.filters.http.router'],
    );
  });

  test('each service gets a virtual host answering its short, namespaced and full names with and without port', () => {
    const { t } = reviewsMesh();
    const rc = t.snapshot(sidecar('orders-1')).routes.get('outbound') as any;
    const vh = rc.virtual_hosts.find((v: any) => v.name === 'reviews.default.svc.cluster.local:9080');
    assert.deepEqual(vh.domains, [
      'reviews',
      'reviews:9080',
      'reviews.default',
      'reviews.default:9080',
      'reviews.default.svc',
      'reviews.default.svc:9080',
      'reviews.default.svc.cluster.local',
      'reviews.default.svc.cluster.local:9080',
    ]);
    assert.equal(vh.routes.length, 2);
    assert.equal(vh.routes[0].route.cluster, 'outbound|9080|v2|reviews.default.svc.cluster.local');
    assert.deepEqual(vh.routes[0].route.hash_policy, [{ header: { header_name: 'x-user' } }]);
    assert.deepEqual(
      vh.routes[1].route.weighted_clusters.clusters.map((c: any) => [c.name, c.weight]),
      [
        ['outbound|9080|v1|reviews.default.svc.cluster.local', 90],
        ['outbound|9080|v2|reviews.default.svc.cluster.local', 10],
      ],
    );
  });

  test('services from another namespace do not claim the short name', () => {
    const reg = new FakeRegistry();
    reg.add('payments', { id: 'p-1', port: 7000 }, 'billing');
    const t = new Translator(reg);
    t.setResources([]);
    const rc = t.snapshot(sidecar('orders-1')).routes.get('outbound') as any;
    const vh = rc.virtual_hosts.find((v: any) => v.name.startsWith('payments.billing'));
    assert.ok(!vh.domains.includes('payments'));
    assert.ok(vh.domains.includes('payments.billing'));
    assert.equal(vh.routes[0].route.cluster, 'outbound|7000||payments.billing.svc.cluster.local');
  });

  test('DestinationRule settings become lb policy, circuit breakers, outlier detection and panic threshold', () => {
    const { t } = reviewsMesh();
    const c = t
      .snapshot(sidecar('orders-1'))
      .clusters.get('outbound|9080||reviews.default.svc.cluster.local') as any;
    assert.equal(c.type, 'EDS');
    assert.deepEqual(c.eds_cluster_config, {
      eds_config: { ads: {}, resource_api_version: 'V3' },
      service_name: 'outbound|9080||reviews.default.svc.cluster.local',
    });
    assert.equal(c.lb_policy, 'LEAST_REQUEST');
    assert.deepEqual(c.circuit_breakers, {
      thresholds: [
        {
          priority: 'DEFAULT',
          max_connections: 100,
          max_pending_requests: 10,
          max_requests: 1000,
          max_retries: 3,
        },
      ],
    });
    assert.equal(c.outlier_detection.consecutive_5xx, 5);
    assert.equal(c.outlier_detection.interval, '10s');
    assert.equal(c.outlier_detection.base_ejection_time, '30s');
    assert.equal(c.outlier_detection.max_ejection_percent, 50);
    assert.deepEqual(c.common_lb_config, { healthy_panic_threshold: { value: 20 } });
  });

  test('subset clusters inherit the host policy and apply their own overrides', () => {
    const { t } = reviewsMesh();
    const snap = t.snapshot(sidecar('orders-1'));
    const v1 = snap.clusters.get('outbound|9080|v1|reviews.default.svc.cluster.local') as any;
    const v2 = snap.clusters.get('outbound|9080|v2|reviews.default.svc.cluster.local') as any;
    assert.equal(v1.lb_policy, 'LEAST_REQUEST');
    assert.equal(v2.lb_policy, 'RING_HASH');
    assert.equal(v2.circuit_breakers.thresholds[0].max_connections, 100);
  });

  test('endpoints use the sidecar port and are split by subset labels', () => {
    const { t } = reviewsMesh();
    const snap = t.snapshot(sidecar('orders-1'));
    const all = snap.endpoints.get('outbound|9080||reviews.default.svc.cluster.local') as any;
    const ports = all.endpoints[0].lb_endpoints.map((e: any) => e.endpoint.address.socket_address.port_value);
    assert.deepEqual(ports, [19081, 19082]);
    assert.equal(all.endpoints[0].lb_endpoints[0].health_status, 'HEALTHY');
    assert.deepEqual(all.endpoints[0].lb_endpoints[0].metadata.filter_metadata['envoy.lb'], {
      version: 'v1',
    });
    const v2 = snap.endpoints.get('outbound|9080|v2|reviews.default.svc.cluster.local') as any;
    assert.deepEqual(
      v2.endpoints[0].lb_endpoints.map((e: any) => e.metadata.filter_metadata.meshwork.instance_id),
      ['reviews-2'],
    );
  });

  test('a Sidecar resource narrows what a proxy sees', () => {
    const reg = new FakeRegistry();
    reg.add('inventory', { id: 'i-1', port: 7001 });
    reg.add('payments', { id: 'p-1', port: 7002 });
    const t = new Translator(reg);
    t.setResources([
      res('Sidecar', 'orders-egress', {
        workloadSelector: { labels: { app: 'orders' } },
        egress: [{ hosts: ['./inventory.default.svc.cluster.local'] }],
      }),
    ]);
    const scoped = t.snapshot(sidecar('orders-1', { labels: { app: 'orders' } }));
    assert.deepEqual([...scoped.clusters.keys()].sort(), [
      'inbound|8080||',
      'outbound|7001||inventory.default.svc.cluster.local',
    ]);
    const unscoped = t.snapshot(sidecar('other-1', { labels: { app: 'other' } }));
    assert.equal([...unscoped.clusters.keys()].length, 3);
  });
});

describe('Translator incrementality', () => {
  test('an endpoint change rebuilds only the assignments of the touched service', () => {
    const { reg, t } = reviewsMesh();
    reg.add('ratings', { id: 'ratings-1', port: 9090 });
    t.servicesChanged();
    const before = t.snapshot(sidecar('orders-1'));
    const buildsBefore = t.stats.assignmentBuilds;
    const configBefore = t.stats.configBuilds;
    reg.add('reviews', { id: 'reviews-3', port: 9083, labels: { version: 'v1' } });
    t.endpointsChanged(['reviews.default.svc.cluster.local']);
    const after = t.snapshot(sidecar('orders-1'));
    assert.equal(t.stats.configBuilds, configBefore, 'no config rebuild');
    assert.equal(t.stats.assignmentBuilds - buildsBefore, 3, 'three reviews clusters (default, v1, v2)');
    const ratings = 'outbound|9090||ratings.default.svc.cluster.local';
    assert.equal(
      after.endpoints.get(ratings),
      before.endpoints.get(ratings),
      'untouched assignment keeps its identity',
    );
    assert.equal(after.routes.get('outbound'), before.routes.get('outbound'), 'routes untouched');
  });

  test('proxies sharing a scope share one translation of routes and clusters', () => {
    const { t } = reviewsMesh();
    t.snapshot(sidecar('orders-1'));
    const built = t.stats.sharedConfigBuilds;
    t.snapshot(sidecar('orders-2', { inbound_port: 16006, app_port: 8081 }));
    assert.equal(t.stats.sharedConfigBuilds, built);
  });

  test('a VirtualService change leaves endpoint assignments alone', () => {
    const { t } = reviewsMesh();
    t.snapshot(sidecar('orders-1'));
    const built = t.stats.assignmentBuilds;
    const hosts = t.applyResource(
      'MODIFIED',
      res('VirtualService', 'reviews', {
        hosts: ['reviews'],
        http: [{ route: [{ destination: { host: 'reviews', subset: 'v1' } }] }],
      }),
    );
    assert.deepEqual(hosts, []);
    const rc = t.snapshot(sidecar('orders-1')).routes.get('outbound') as any;
    assert.equal(
      rc.virtual_hosts[0].routes[0].route.cluster,
      'outbound|9080|v1|reviews.default.svc.cluster.local',
    );
    assert.equal(t.stats.assignmentBuilds, built);
  });

  test('a VirtualService change reuses the cluster objects; a DestinationRule change rebuilds its host only', () => {
    const { reg, t } = reviewsMesh();
    reg.add('ratings', { id: 'ratings-1', port: 9090 });
    t.servicesChanged();
    const node = sidecar('orders-1');
    const before = t.snapshot(node);
    t.applyResource(
      'MODIFIED',
      res('VirtualService', 'reviews', {
        hosts: ['reviews'],
        http: [{ route: [{ destination: { host: 'reviews', subset: 'v2' } }] }],
      }),
    );
    const afterVs = t.snapshot(node);
    for (const [name, c] of before.clusters)
      assert.equal(afterVs.clusters.get(name), c, `${name} kept its identity`);
    const builds = t.stats.clusterBuilds;
    t.applyResource(
      'MODIFIED',
      res('DestinationRule', 'reviews', {
        host: 'reviews',
        trafficPolicy: { loadBalancer: { simple: 'RANDOM' } },
        subsets: [
          { name: 'v1', labels: { version: 'v1' } },
          { name: 'v2', labels: { version: 'v2' } },
        ],
      }),
    );
    const afterDr = t.snapshot(node);
    assert.equal(t.stats.clusterBuilds - builds, 3, 'default, v1 and v2 of reviews');
    assert.equal(
      (afterDr.clusters.get('outbound|9080||reviews.default.svc.cluster.local') as any).lb_policy,
      'RANDOM',
    );
    const ratings = 'outbound|9090||ratings.default.svc.cluster.local';
    assert.equal(afterDr.clusters.get(ratings), before.clusters.get(ratings));
  });
});

describe('Translator for a gateway', () => {
  test('Gateway servers become listeners and bound VirtualServices their routes', () => {
    const reg = new FakeRegistry();
    reg.add('frontend', { id: 'f-1', port: 3000, sidecarPort: 13000 });
    const t = new Translator(reg);
    t.setResources([
      res('Gateway', 'shop-gateway', {
        selector: { istio: 'ingressgateway' },
        servers: [{ port: { number: 8080, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }],
      }),
      res('VirtualService', 'frontend', {
        hosts: ['*'],
        gateways: ['shop-gateway'],
        http: [{ match: [{ uri: { prefix: '/' } }], route: [{ destination: { host: 'frontend' } }] }],
      }),
    ]);
    const gw = parseProxyNode({
      id: 'gw-1',
      metadata: { mode: 'gateway', namespace: 'default', labels: { istio: 'ingressgateway' } },
    });
    const snap = t.snapshot(gw);
    const listener = snap.listeners.get('0.0.0.0_8080') as any;
    assert.equal(listener.address.socket_address.port_value, 8080);
    assert.equal(listener.filter_chains[0].filters[0].typed_config.rds.route_config_name, 'http.8080');
    const rc = snap.routes.get('http.8080') as any;
    assert.deepEqual(rc.virtual_hosts[0].domains, ['*']);
    assert.equal(
      rc.virtual_hosts[0].routes[0].route.cluster,
      'outbound|3000||frontend.default.svc.cluster.local',
    );
    assert.deepEqual([...snap.clusters.keys()], ['outbound|3000||frontend.default.svc.cluster.local']);
    const cla = snap.endpoints.get('outbound|3000||frontend.default.svc.cluster.local') as any;
    assert.equal(cla.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value, 13000);
  });
});

describe('Translator for proxyless gRPC', () => {
  test('api_listeners are named by dial target and endpoints use the app port', () => {
    const reg = new FakeRegistry();
    reg.add('greeter', { id: 'g-1', port: 50051, sidecarPort: 15051 });
    const t = new Translator(reg);
    t.setResources([
      res('DestinationRule', 'greeter', {
        host: 'greeter',
        trafficPolicy: { loadBalancer: { simple: 'LEAST_REQUEST' } },
      }),
    ]);
    const snap = t.snapshot(parseProxyNode({ id: 'client-1' }));
    const l = snap.listeners.get('greeter') as any;
    assert.equal(
      l.api_listener.api_listener.rds.route_config_name,
      'greeter.default.svc.cluster.local:50051',
    );
    assert.ok(snap.listeners.has('greeter:50051'));
    const hcm = l.api_listener.api_listener;
    assert.equal(
      hcm.http_filters.at(-1).typed_config['@type'],
      'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
    );
    const rc = snap.routes.get('greeter.default.svc.cluster.local:50051') as any;
    assert.ok(rc.virtual_hosts[0].domains.includes('greeter'));
    const c = snap.clusters.get('outbound|50051||greeter.default.svc.cluster.local') as any;
    assert.equal(c.lb_policy, 'ROUND_ROBIN', 'gRPC has no LEAST_REQUEST through lb_policy');
    const cla = snap.endpoints.get('outbound|50051||greeter.default.svc.cluster.local') as any;
    assert.equal(cla.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value, 50051);
    assert.deepEqual(cla.endpoints[0].locality, {});
    assert.equal(cla.endpoints[0].load_balancing_weight, 1);
  });
});
