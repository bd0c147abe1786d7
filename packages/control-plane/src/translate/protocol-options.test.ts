/**
 * Upstream HTTP protocol per cluster, as Istio sets it: HTTP/2 towards gRPC and HTTP/2 ports (and
 * HTTP ports with `h2UpgradePolicy: UPGRADE`), connection-pool limits as common HTTP options, and
 * an HTTP/2 inbound cluster in front of a gRPC app.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EndpointSource, RegisteredService, WorkloadEndpoint } from './model.js';
import { parseProxyNode } from './proxy-node.js';
import { storedResource } from './test-resources.js';
import { Translator } from './translator.js';

const KEY = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const res = storedResource;

const registry: EndpointSource = {
  *registeredServices(): Iterable<RegisteredService> {
    yield { name: 'echo', namespace: 'default', protocol: 'grpc', ports: [7000] };
  },
  endpointsOf(): readonly WorkloadEndpoint[] {
    return [];
  },
};

const sidecar = (service: string, appPort: number) =>
  parseProxyNode({
    id: `${service}-1`,
    metadata: {
      mode: 'sidecar',
      service,
      namespace: 'default',
      inbound_port: 1,
      outbound_port: 2,
      app_port: appPort,
    },
  });

function translator(): Translator {
  const t = new Translator(registry);
  t.setResources([
    res('Service', 'web', { ports: [{ port: 80, name: 'http' }] }),
    res('Service', 'api', {
      ports: [
        { port: 81, name: 'http-api' },
        { port: 82, name: 'grpc-api' },
      ],
    }),
    res('DestinationRule', 'api', {
      host: 'api',
      trafficPolicy: {
        connectionPool: {
          http: { maxRequestsPerConnection: 10, idleTimeout: '30s', maxConcurrentStreams: 50 },
        },
      },
      subsets: [
        {
          name: 'up',
          labels: { v: '2' },
          trafficPolicy: { connectionPool: { http: { h2UpgradePolicy: 'UPGRADE' } } },
        },
      ],
    }),
  ]);
  return t;
}

test('outbound clusters speak HTTP/2 to gRPC ports and carry pool limits', () => {
  const clusters = translator().snapshot(sidecar('web', 8080)).clusters;
  const options = (name: string) => (clusters.get(name)?.typed_extension_protocol_options as any)?.[KEY];
  assert.equal(options('outbound|80||web.default.svc.cluster.local'), undefined, 'plain HTTP/1.1');
  assert.deepEqual(options('outbound|81||api.default.svc.cluster.local'), {
    '@type': `type.googleapis.com/${KEY}`,
    explicit_http_config: { http_protocol_options: {} },
    common_http_protocol_options: { idle_timeout: '30s', max_requests_per_connection: 10 },
  });
  assert.deepEqual(options('outbound|82||api.default.svc.cluster.local').explicit_http_config, {
    http2_protocol_options: { max_concurrent_streams: 50 },
  });
  assert.ok(
    options('outbound|81|up|api.default.svc.cluster.local').explicit_http_config.http2_protocol_options,
    'UPGRADE',
  );
  assert.ok(
    options('outbound|7000||echo.default.svc.cluster.local').explicit_http_config.http2_protocol_options,
  );
});

test("a gRPC app's inbound cluster is HTTP/2; an HTTP app's is not", () => {
  const t = translator();
  const grpcInbound = t.snapshot(sidecar('echo', 7000)).clusters.get('inbound|7000||');
  assert.ok(
    (grpcInbound?.typed_extension_protocol_options as any)?.[KEY].explicit_http_config.http2_protocol_options,
  );
  const httpInbound = t.snapshot(sidecar('web', 8080)).clusters.get('inbound|8080||');
  assert.equal(httpInbound?.typed_extension_protocol_options, undefined);
});
