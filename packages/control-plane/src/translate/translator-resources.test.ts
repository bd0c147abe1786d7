import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Registry } from '../registry/registry.js';
import type { StoredResource } from '../resources/resource.js';
import { parseProxyNode } from './proxy-node.js';
import { storedResource } from './test-resources.js';
import { Translator } from './translator.js';

const res = storedResource;

const sidecar = (labels: Record<string, string> = {}, namespace = 'default') =>
  parseProxyNode({ id: 'p', metadata: { mode: 'sidecar', namespace, outbound_port: 15001, labels } });

function setup(resources: StoredResource[]) {
  const registry = new Registry({ autoSweep: false });
  const t = new Translator(registry);
  t.setResources(resources);
  return { registry, t };
}

describe('Translator: ServiceEntry, Endpoints and static instances', () => {
  test('a ServiceEntry without endpoints becomes a DNS cluster on its host', () => {
    const { t } = setup([
      res('ServiceEntry', 'ext', {
        hosts: ['api.example.com'],
        ports: [{ number: 443, name: 'https', protocol: 'HTTPS' }],
        resolution: 'DNS',
      }),
    ]);
    const snap = t.snapshot(sidecar());
    const c = snap.clusters.get('outbound|443||api.example.com') as any;
    assert.equal(c.type, 'STRICT_DNS');
    assert.deepEqual(c.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address, {
      address: 'api.example.com',
      port_value: 443,
    });
    assert.equal(snap.endpoints.has('outbound|443||api.example.com'), false);
    const vh = (snap.routes.get('outbound') as any).virtual_hosts[0];
    assert.deepEqual(vh.domains, ['api.example.com', 'api.example.com:443']);
  });

  test('ServiceEntry endpoints and Endpoints resources become static endpoints over EDS', () => {
    const { t } = setup([
      res('ServiceEntry', 'db', {
        hosts: ['db.internal'],
        ports: [{ number: 5432, name: 'tcp' }],
        resolution: 'STATIC',
        endpoints: [{ address: '10.0.0.5', labels: { role: 'primary' } }],
      }),
      res('Service', 'legacy', { ports: [{ port: 80, name: 'http' }] }),
      res('Endpoints', 'legacy', { subsets: [{ addresses: [{ ip: '10.0.0.9' }], ports: [{ port: 8080 }] }] }),
    ]);
    const snap = t.snapshot(sidecar());
    const db = snap.endpoints.get('outbound|5432||db.internal') as any;
    assert.equal(db.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.address, '10.0.0.5');
    const legacy = snap.endpoints.get('outbound|80||legacy.default.svc.cluster.local') as any;
    assert.deepEqual(legacy.endpoints[0].lb_endpoints[0].endpoint.address.socket_address, {
      address: '10.0.0.9',
      port_value: 8080,
    });
  });

  test('a degraded (outlier-reported) instance is marked DEGRADED, a not-ready one is left out', () => {
    const { registry, t } = setup([]);
    registry.register({ service: 'pay', instanceId: 'pay-1', address: '127.0.0.1', port: 7000 });
    registry.register({ service: 'pay', instanceId: 'pay-2', address: '127.0.0.2', port: 7000 });
    registry.register({ service: 'pay', instanceId: 'pay-3', address: '127.0.0.3', port: 7000 });
    registry.reportOutlier('pay-2');
    registry.setReady('pay-3', false);
    t.servicesChanged();
    const cla = t.snapshot(sidecar()).endpoints.get('outbound|7000||pay.default.svc.cluster.local') as any;
    assert.deepEqual(
      cla.endpoints[0].lb_endpoints.map((e: any) => [
        e.metadata.filter_metadata.meshwork.instance_id,
        e.health_status,
      ]),
      [
        ['pay-1', 'HEALTHY'],
        ['pay-2', 'DEGRADED'],
      ],
    );
  });

  test('instances with a locality are grouped by it', () => {
    const { registry, t } = setup([]);
    registry.register({
      service: 'geo',
      instanceId: 'geo-1',
      address: '127.0.0.1',
      port: 7000,
      locality: 'eu/eu-west-1a',
    });
    registry.register({
      service: 'geo',
      instanceId: 'geo-2',
      address: '127.0.0.2',
      port: 7000,
      locality: 'us/us-east-1b',
    });
    t.servicesChanged();
    const cla = t.snapshot(sidecar()).endpoints.get('outbound|7000||geo.default.svc.cluster.local') as any;
    assert.deepEqual(
      cla.endpoints.map((g: any) => g.locality),
      [
        { region: 'eu', zone: 'eu-west-1a' },
        { region: 'us', zone: 'us-east-1b' },
      ],
    );
  });
});

describe('Translator: traffic policy precedence', () => {
  test('port-level settings override the host policy for their port only', () => {
    const { t } = setup([
      res('Service', 'multi', {
        ports: [
          { port: 80, name: 'http' },
          { port: 9090, name: 'grpc-admin', appProtocol: 'grpc' },
        ],
      }),
      res('DestinationRule', 'multi', {
        host: 'multi',
        trafficPolicy: {
          loadBalancer: { simple: 'RANDOM' },
          portLevelSettings: [
            {
              port: { number: 9090 },
              loadBalancer: { simple: 'LEAST_REQUEST' },
              connectionPool: { http: { http2MaxRequests: 7 } },
            },
          ],
        },
      }),
    ]);
    const snap = t.snapshot(sidecar());
    const http = snap.clusters.get('outbound|80||multi.default.svc.cluster.local') as any;
    const admin = snap.clusters.get('outbound|9090||multi.default.svc.cluster.local') as any;
    assert.equal(http.lb_policy, 'RANDOM');
    assert.equal(admin.lb_policy, 'LEAST_REQUEST');
    assert.equal(admin.circuit_breakers.thresholds[0].max_requests, 7);
    const vhosts = (snap.routes.get('outbound') as any).virtual_hosts;
    assert.ok(vhosts[0].domains.includes('multi'), 'bare name goes to the first port');
    assert.deepEqual(vhosts[1].domains, [
      'multi:9090',
      'multi.default:9090',
      'multi.default.svc:9090',
      'multi.default.svc.cluster.local:9090',
    ]);
  });

  test('a DestinationRule in the proxy namespace wins over one in the service namespace', () => {
    const { registry, t } = setup([
      res(
        'DestinationRule',
        'pay-here',
        { host: 'pay.billing.svc.cluster.local', trafficPolicy: { loadBalancer: { simple: 'RANDOM' } } },
        'shop',
      ),
      res(
        'DestinationRule',
        'pay-there',
        { host: 'pay', trafficPolicy: { loadBalancer: { simple: 'LEAST_REQUEST' } } },
        'billing',
      ),
    ]);
    registry.register({
      service: 'pay',
      namespace: 'billing',
      instanceId: 'p1',
      address: '127.0.0.1',
      port: 7000,
    });
    t.servicesChanged();
    const fromShop = t
      .snapshot(sidecar({}, 'shop'))
      .clusters.get('outbound|7000||pay.billing.svc.cluster.local') as any;
    const fromBilling = t
      .snapshot(sidecar({}, 'billing'))
      .clusters.get('outbound|7000||pay.billing.svc.cluster.local') as any;
    assert.equal(fromShop.lb_policy, 'RANDOM');
    assert.equal(fromBilling.lb_policy, 'LEAST_REQUEST');
  });

  test('only gateway errors configured turns the default 5xx detector off', () => {
    const { t } = setup([
      res('Service', 'a', { ports: [{ port: 80 }] }),
      res('DestinationRule', 'a', {
        host: 'a',
        trafficPolicy: { outlierDetection: { consecutiveGatewayErrors: 3 } },
      }),
    ]);
    const od = (t.snapshot(sidecar()).clusters.get('outbound|80||a.default.svc.cluster.local') as any)
      .outlier_detection;
    assert.deepEqual(od, {
      enforcing_success_rate: 0,
      enforcing_consecutive_5xx: 0,
      consecutive_gateway_failure: 3,
      enforcing_consecutive_gateway_failure: 100,
    });
  });
});

describe('Translator: exportTo', () => {
  test('a VirtualService exported only to its namespace routes only proxies there', () => {
    const { registry, t } = setup([
      res(
        'DestinationRule',
        'pay',
        { host: 'pay', subsets: [{ name: 'v2', labels: { version: 'v2' } }] },
        'billing',
      ),
      res(
        'VirtualService',
        'pay',
        {
          hosts: ['pay'],
          exportTo: ['.'],
          http: [{ route: [{ destination: { host: 'pay', subset: 'v2' } }] }],
        },
        'billing',
      ),
    ]);
    registry.register({
      service: 'pay',
      namespace: 'billing',
      instanceId: 'p1',
      address: '127.0.0.1',
      port: 7000,
      version: 'v2',
    });
    t.servicesChanged();
    const routeOf = (ns: string) =>
      (t.snapshot(sidecar({}, ns)).routes.get('outbound') as any).virtual_hosts.find((v: any) =>
        v.domains.includes('pay.billing'),
      ).routes[0].route.cluster;
    assert.equal(routeOf('billing'), 'outbound|7000|v2|pay.billing.svc.cluster.local');
    assert.equal(routeOf('shop'), 'outbound|7000||pay.billing.svc.cluster.local', 'default route elsewhere');
  });

  test('a ServiceEntry exported to one namespace is invisible to the others', () => {
    const { t } = setup([
      res(
        'ServiceEntry',
        'ext',
        {
          hosts: ['api.example.com'],
          ports: [{ number: 443, name: 'tls' }],
          resolution: 'DNS',
          exportTo: ['shop'],
        },
        'infra',
      ),
    ]);
    assert.ok(t.snapshot(sidecar({}, 'shop')).clusters.has('outbound|443||api.example.com'));
    assert.equal(t.snapshot(sidecar({}, 'billing')).clusters.has('outbound|443||api.example.com'), false);
  });
});

describe('Translator: gateways and scoping', () => {
  test('a gateway binds VirtualServices by name or ns/name and honours match.gateways', () => {
    const { registry, t } = setup([
      res(
        'Gateway',
        'edge',
        {
          servers: [{ port: { number: 8080, name: 'http', protocol: 'HTTP' }, hosts: ['shop.example.com'] }],
        },
        'infra',
      ),
      res('VirtualService', 'shop', {
        hosts: ['shop.example.com'],
        gateways: ['infra/edge', 'mesh'],
        http: [
          {
            match: [{ uri: { prefix: '/admin' }, gateways: ['mesh'] }],
            route: [{ destination: { host: 'admin' } }],
          },
          { route: [{ destination: { host: 'web' } }] },
        ],
      }),
      res('VirtualService', 'other', {
        hosts: ['other.example.com'],
        gateways: ['elsewhere'],
        http: [{ route: [{ destination: { host: 'web' } }] }],
      }),
    ]);
    registry.register({ service: 'web', instanceId: 'w1', address: '127.0.0.1', port: 3000 });
    t.servicesChanged();
    const snap = t.snapshot(parseProxyNode({ id: 'gw', metadata: { mode: 'gateway', namespace: 'infra' } }));
    const rc = snap.routes.get('http.8080') as any;
    assert.equal(rc.virtual_hosts.length, 1);
    assert.deepEqual(rc.virtual_hosts[0].domains, ['shop.example.com', 'shop.example.com:8080']);
    assert.equal(rc.virtual_hosts[0].routes.length, 1, 'the mesh-only match is not on the gateway');
    assert.equal(rc.virtual_hosts[0].routes[0].route.cluster, 'outbound|3000||web.default.svc.cluster.local');
  });

  test('a selector-less Sidecar in the root namespace scopes every namespace without its own', () => {
    const { registry, t } = setup([
      res('Sidecar', 'default', { egress: [{ hosts: ['./*'] }] }, 'istio-system'),
    ]);
    registry.register({ service: 'a', instanceId: 'a1', address: '127.0.0.1', port: 7000 });
    registry.register({
      service: 'b',
      namespace: 'other',
      instanceId: 'b1',
      address: '127.0.0.1',
      port: 7001,
    });
    t.servicesChanged();
    assert.deepEqual(
      [...t.snapshot(sidecar()).clusters.keys()],
      ['outbound|7000||a.default.svc.cluster.local'],
    );
    assert.deepEqual(
      [...t.snapshot(sidecar({}, 'other')).clusters.keys()],
      ['outbound|7001||b.other.svc.cluster.local'],
    );
  });

  test('a wildcard DestinationRule change recomputes every assignment', () => {
    const { registry, t } = setup([]);
    registry.register({ service: 'a', instanceId: 'a1', address: '127.0.0.1', port: 7000, version: 'v1' });
    t.servicesChanged();
    t.snapshot(sidecar());
    const hosts = t.applyResource(
      'ADDED',
      res('DestinationRule', 'all', {
        host: '*.default.svc.cluster.local',
        subsets: [{ name: 'v1', labels: { version: 'v1' } }],
      }),
    );
    assert.deepEqual(hosts, ['*.default.svc.cluster.local']);
    const cla = t.snapshot(sidecar()).endpoints.get('outbound|7000|v1|a.default.svc.cluster.local') as any;
    assert.equal(cla.endpoints[0].lb_endpoints.length, 1);
  });

  test('a route to an undefined subset gets a cluster-less assignment (Envoy answers 503)', () => {
    const { registry, t } = setup([
      res('VirtualService', 'a', {
        hosts: ['a'],
        http: [{ route: [{ destination: { host: 'a', subset: 'nope' } }] }],
      }),
    ]);
    registry.register({ service: 'a', instanceId: 'a1', address: '127.0.0.1', port: 7000 });
    t.servicesChanged();
    assert.deepEqual(t.assignment('outbound|7000|nope|a.default.svc.cluster.local', 'sidecar'), {
      cluster_name: 'outbound|7000|nope|a.default.svc.cluster.local',
      endpoints: [],
    });
  });
});
