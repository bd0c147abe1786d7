/**
 * The seed examples under `examples/seeds/` apply unchanged through the REST API and mean what the
 * seeds say. The seeds' text reached us with its indentation stripped, so "unchanged" is checked
 * line by line with leading whitespace ignored: each file's YAML is exactly the seed's lines, plus
 * (for fragments) only the wrapper lines its header comment declares.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseDurationMs } from '../resources/duration.js';
import type { DestinationRuleSpec, VirtualServiceSpec } from '../resources/istio-networking.js';
import type { AuthorizationPolicySpec } from '../resources/istio-security.js';
import type { IngressSpec, ServiceSpec } from '../resources/kubernetes.js';
import type { StoredResource } from '../resources/resource.js';
import { MemoryFileStore } from '../store/memory-file-store.js';
import { resourceRoutes } from './resource-routes.js';
import { type ApiServer, createApiServer } from './server.js';

const SEEDS_DIR = fileURLToPath(new URL('../../../../examples/seeds/', import.meta.url));

/** The seeds' text, verbatim (flattened as the seeds have it). */
const SEED_TEXT: Record<string, { seed: string; added?: string[] }> = {
  '001-kubernetes-service.yaml': {
    seed: `# Kubernetes Service (server-side discovery)
apiVersion: v1
kind: Service
metadata:
name: inventory-service
spec:
selector:
app: inventory
ports:
- port: 8080
targetPort: 8080
type: ClusterIP # internal cluster IP
# Service A accesses: http://inventory-service:8080/api/inventory/42`,
  },
  '001-virtualservice-canary.yaml': {
    seed: `# Istio VirtualService: canary deployment
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata:
name: order-service
spec:
hosts:
- order-service
http:
- route:
- destination:
host: order-service
subset: v1
weight: 95
- destination:
host: order-service
subset: v2
weight: 5 # 5% canary traffic`,
  },
  '001-destinationrule-circuit-breaking.yaml': {
    seed: `# Istio DestinationRule: circuit breaking
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata:
name: inventory-service
spec:
host: inventory-service
trafficPolicy:
connectionPool:
tcp:
maxConnections: 100
http:
http1MaxPendingRequests: 50
http2MaxRequests: 100
outlierDetection:
consecutive5xxErrors: 5
interval: 30s
baseEjectionTime: 30s # eject unhealthy pod for 30s
maxEjectionPercent: 50 # never eject >50% of pods`,
  },
  '001-authorizationpolicy-zero-trust.yaml': {
    seed: `# Istio AuthorizationPolicy: zero trust
apiVersion: security.istio.io/v1beta1
kind: AuthorizationPolicy
metadata:
name: inventory-policy
spec:
selector:
matchLabels:
app: inventory
action: ALLOW
rules:
- from:
- source:
principals: ["cluster.local/ns/default/sa/order-service"] # only order-service
to:
- operation:
methods: ["GET"]
paths: ["/api/inventory/*"]`,
  },
  '001-ingress.yaml': {
    seed: `# Kubernetes Ingress
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
name: api-ingress
annotations:
nginx.ingress.kubernetes.io/rate-limit: "100"
cert-manager.io/cluster-issuer: "letsencrypt-prod"
spec:
tls:
- hosts: [api.example.com]
secretName: api-tls
rules:
- host: api.example.com
http:
paths:
- path: /api/orders
pathType: Prefix
backend:
service:
name: order-service
port:
number: 8080
- path: /api/inventory
pathType: Prefix
backend:
service:
name: inventory-service
port:
number: 8080`,
  },
  '003-virtualservice-canary-v1alpha3.yaml': {
    seed: `apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
spec:
http:
- route:
- destination:
host: user-service
subset: v1
weight: 90
- destination:
host: user-service
subset: v2-canary
weight: 10`,
    added: ['metadata:', 'name: user-service-canary', 'hosts:', '- user-service'],
  },
  '003-virtualservice-ab-testing.yaml': {
    seed: `http:
- match:
- headers:
x-experiment-group:
exact: "treatment"
route:
- destination:
host: user-service
subset: experimental`,
    added: [
      'apiVersion: networking.istio.io/v1alpha3',
      'kind: VirtualService',
      'metadata:',
      'name: user-service-ab',
      'spec:',
      'hosts:',
      '- user-service',
    ],
  },
  '003-virtualservice-fault-injection.yaml': {
    seed: `http:
- fault:
delay:
percentage:
value: 10
fixedDelay: 5s
abort:
percentage:
value: 1
httpStatus: 503`,
    added: [
      'apiVersion: networking.istio.io/v1alpha3',
      'kind: VirtualService',
      'metadata:',
      'name: user-service-faults',
      'spec:',
      'hosts:',
      '- user-service',
      'route:',
      '- destination:',
      'host: user-service',
    ],
  },
};

/** The file's YAML (after its header comment and the blank line), de-indented. */
function contentLines(text: string): string[] {
  const body = text.slice(text.indexOf('\n\n') + 2);
  return body
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

async function readSeed(name: string): Promise<string> {
  return readFile(`${SEEDS_DIR}${name}`, 'utf8');
}

describe('seed examples', () => {
  let store: MemoryFileStore;
  let api: ApiServer;
  const applied = new Map<string, { status: number; body: { warnings?: { reason: string }[] } }>();

  before(async () => {
    store = await MemoryFileStore.open();
    api = await createApiServer({ port: 0, routes: resourceRoutes(store) });
    // Companions first, then the Service the DestinationRule and Ingress name, then the rest.
    const order = ['companions.yaml', '001-kubernetes-service.yaml', ...Object.keys(SEED_TEXT)];
    for (const name of new Set(order)) {
      const res = await fetch(`${api.url}/v1/resources`, {
        method: 'POST',
        headers: { 'content-type': 'application/yaml' },
        body: await readSeed(name),
      });
      applied.set(name, {
        status: res.status,
        body: (await res.json()) as { warnings?: { reason: string }[] },
      });
    }
  });
  after(async () => {
    await api.close();
    await store.close();
  });

  for (const [name, { seed, added = [] }] of Object.entries(SEED_TEXT)) {
    test(`${name} is the seed's text, adding only its declared wrapper lines`, async () => {
      const lines = contentLines(await readSeed(name));
      const seedLines = seed.split('\n');
      const extra: string[] = [];
      let next = 0;
      for (const line of lines) {
        if (next < seedLines.length && line === seedLines[next]) next++;
        else extra.push(line);
      }
      assert.equal(next, seedLines.length, `seed line "${seedLines[next]}" missing or out of order`);
      assert.deepEqual(extra, added);
    });

    test(`${name} applies unchanged`, () => {
      const outcome = applied.get(name);
      assert.equal(outcome?.status, 200, JSON.stringify(outcome?.body));
    });
  }

  const get = async <S>(kind: string, name: string) => {
    const res = await fetch(`${api.url}/v1/resources/${kind}/default/${name}`);
    assert.equal(res.status, 200);
    return (await res.json()) as StoredResource<S>;
  };

  test('the canary VirtualService sends 95% to v1 and 5% to v2', async () => {
    const vs = await get<VirtualServiceSpec>('virtualservices', 'order-service');
    const split = vs.spec.http?.[0].route?.map((d) => [d.destination.subset, d.weight]);
    assert.deepEqual(split, [
      ['v1', 95],
      ['v2', 5],
    ]);
    assert.deepEqual(vs.spec.hosts, ['order-service']);
  });

  test('the DestinationRule caps connections and ejects after 5 errors for 30 s, at most 50%', async () => {
    const dr = await get<DestinationRuleSpec>('destinationrules', 'inventory-service');
    const { connectionPool, outlierDetection } = dr.spec.trafficPolicy ?? {};
    assert.equal(connectionPool?.tcp?.maxConnections, 100);
    assert.equal(connectionPool?.http?.http1MaxPendingRequests, 50);
    assert.equal(connectionPool?.http?.http2MaxRequests, 100);
    assert.equal(outlierDetection?.consecutive5xxErrors, 5);
    assert.equal(parseDurationMs(outlierDetection?.interval ?? ''), 30_000);
    assert.equal(parseDurationMs(outlierDetection?.baseEjectionTime ?? ''), 30_000);
    assert.equal(outlierDetection?.maxEjectionPercent, 50);
  });

  test('the AuthorizationPolicy allows only order-service to GET /api/inventory/*', async () => {
    const ap = await get<AuthorizationPolicySpec>('authorizationpolicies', 'inventory-policy');
    assert.equal(ap.spec.action, 'ALLOW');
    assert.deepEqual(ap.spec.selector?.matchLabels, { app: 'inventory' });
    const rule = ap.spec.rules?.[0];
    assert.deepEqual(rule?.from?.[0].source.principals, ['cluster.local/ns/default/sa/order-service']);
    assert.deepEqual(rule?.to?.[0].operation.methods, ['GET']);
    assert.deepEqual(rule?.to?.[0].operation.paths, ['/api/inventory/*']);
  });

  test('the Kubernetes Service exposes 8080 → 8080 for app=inventory as ClusterIP', async () => {
    const svc = await get<ServiceSpec>('services', 'inventory-service');
    assert.deepEqual(svc.spec.selector, { app: 'inventory' });
    assert.deepEqual(svc.spec.ports, [{ port: 8080, targetPort: 8080 }]);
    assert.equal(svc.spec.type, 'ClusterIP');
  });

  test('the v1alpha3 canary sends 90% to v1 and 10% to v2-canary', async () => {
    const vs = await get<VirtualServiceSpec>('vs', 'user-service-canary');
    assert.equal(vs.apiVersion, 'networking.istio.io/v1alpha3');
    const split = vs.spec.http?.[0].route?.map((d) => [d.destination.subset, d.weight]);
    assert.deepEqual(split, [
      ['v1', 90],
      ['v2-canary', 10],
    ]);
  });

  test('the A/B rule sends x-experiment-group: treatment to the experimental subset', async () => {
    const vs = await get<VirtualServiceSpec>('vs', 'user-service-ab');
    const rule = vs.spec.http?.[0];
    assert.deepEqual(rule?.match?.[0].headers, { 'x-experiment-group': { exact: 'treatment' } });
    assert.equal(rule?.route?.[0].destination.subset, 'experimental');
  });

  test('the fault rule delays 10% of requests by 5 s and aborts 1% with 503', async () => {
    const vs = await get<VirtualServiceSpec>('vs', 'user-service-faults');
    const fault = vs.spec.http?.[0].fault;
    assert.equal(fault?.delay?.percentage?.value, 10);
    assert.equal(parseDurationMs(fault?.delay?.fixedDelay ?? ''), 5000);
    assert.equal(fault?.abort?.percentage?.value, 1);
    assert.equal(fault?.abort?.httpStatus, 503);
  });

  test('the Ingress is stored with both backends, with a warning that it is not translated', async () => {
    const ing = await get<IngressSpec>('ingresses', 'api-ingress');
    const paths = ing.spec.rules?.[0].http?.paths.map((p) => [p.path, p.backend.service?.name]);
    assert.deepEqual(paths, [
      ['/api/orders', 'order-service'],
      ['/api/inventory', 'inventory-service'],
    ]);
    assert.equal(ing.metadata.annotations?.['nginx.ingress.kubernetes.io/rate-limit'], '100');
    const warnings = applied.get('001-ingress.yaml')?.body.warnings ?? [];
    assert.deepEqual(
      warnings.map((w) => w.reason),
      ['Ingress is stored and validated but not translated; use a Gateway and VirtualService for routing'],
    );
  });
});
