/**
 * Keeps the TypeScript types and the JSON Schemas from drifting. Each example below is typed as
 * `Full<Spec>` — every optional field made required, recursively — so adding a field to a type
 * breaks compilation here until the example sets it, and then the schema must accept it. The
 * only findings allowed are the "exactly one of" rules, which a fully-populated object breaks
 * on purpose.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type {
  DestinationRuleSpec,
  GatewaySpec,
  HTTPRoute,
  ServiceEntrySpec,
  SidecarSpec,
  TrafficPolicy,
  VirtualServiceSpec,
} from '../resources/istio-networking.js';
import type {
  AuthorizationPolicySpec,
  PeerAuthenticationSpec,
  RequestAuthenticationSpec,
} from '../resources/istio-security.js';
import type { KindName } from '../resources/kinds.js';
import type { EndpointsSpec, IngressSpec, ServiceSpec } from '../resources/kubernetes.js';
import type { ServiceInstanceSpec } from '../resources/meshwork.js';
import { SchemaValidator } from './schema-validator.js';

type Full<T> = T extends (infer U)[]
  ? Full<U>[]
  : T extends object
    ? { [K in keyof T]-?: Full<NonNullable<T[K]>> }
    : T;

const sm = { exact: 'a', prefix: 'b', regex: 'c' };
const labels = { app: 'x' };
const headerOps = { set: { a: '1' }, add: { b: '2' }, remove: ['c'] };
const destination = { host: 'reviews', subset: 'v1', port: { number: 9080 } };

const httpRoute: Full<HTTPRoute> = {
  name: 'r',
  match: [
    {
      name: 'm',
      uri: sm,
      scheme: sm,
      method: sm,
      authority: sm,
      headers: { h: sm },
      queryParams: { q: sm },
      withoutHeaders: { w: sm },
      ignoreUriCase: true,
      port: 80,
      sourceLabels: labels,
      gateways: ['mesh'],
      sourceNamespace: 'default',
      statPrefix: 'reviews',
    },
  ],
  route: [{ destination, weight: 100, headers: { request: headerOps, response: headerOps } }],
  redirect: {
    uri: '/x',
    authority: 'h',
    port: 80,
    derivePort: 'FROM_REQUEST_PORT',
    scheme: 'https',
    redirectCode: 301,
  },
  directResponse: { status: 200, body: { string: 'ok', bytes: 'b2s=' } },
  delegate: { name: 'd', namespace: 'default' },
  rewrite: { uri: '/', authority: 'h', uriRegexRewrite: { match: '^/a', rewrite: '/b' } },
  timeout: '1.5s',
  retries: {
    attempts: 3,
    perTryTimeout: '100ms',
    retryOn: '5xx,connect-failure',
    retryRemoteLocalities: true,
    retryIgnorePreviousHosts: true,
    backoff: '25ms',
  },
  fault: {
    delay: { fixedDelay: '5s', percentage: { value: 10 }, percent: 10 },
    abort: { httpStatus: 503, grpcStatus: 'UNAVAILABLE', percentage: { value: 1 } },
  },
  mirror: destination,
  mirrors: [{ destination, percentage: { value: 5 } }],
  mirrorPercentage: { value: 5 },
  mirrorPercent: 5,
  corsPolicy: {
    allowOrigins: [sm],
    allowOrigin: ['https://a'],
    allowMethods: ['GET'],
    allowHeaders: ['x'],
    exposeHeaders: ['y'],
    maxAge: '1h',
    allowCredentials: true,
    unmatchedPreflights: 'FORWARD',
  },
  headers: { request: headerOps, response: headerOps },
};

const policyCore = {
  loadBalancer: {
    simple: 'LEAST_REQUEST' as const,
    consistentHash: {
      httpHeaderName: 'x-user',
      httpCookie: { name: 'c', path: '/', ttl: '10s' },
      useSourceIp: true,
      httpQueryParameterName: 'q',
      ringHash: { minimumRingSize: 1024 },
      maglev: { tableSize: 65537 },
      minimumRingSize: 1024,
    },
    localityLbSetting: { enabled: true },
    warmupDurationSecs: '30s',
  },
  connectionPool: {
    tcp: {
      maxConnections: 100,
      connectTimeout: '1s',
      tcpKeepalive: { probes: 3, time: '7200s', interval: '75s' },
      maxConnectionDuration: '1h',
      idleTimeout: '1h',
    },
    http: {
      http1MaxPendingRequests: 50,
      http2MaxRequests: 100,
      maxRequestsPerConnection: 10,
      maxRetries: 3,
      idleTimeout: '1m',
      h2UpgradePolicy: 'UPGRADE' as const,
      useClientProtocol: true,
      maxConcurrentStreams: 100,
    },
  },
  outlierDetection: {
    consecutive5xxErrors: 5,
    consecutiveGatewayErrors: 3,
    consecutiveErrors: 5,
    consecutiveLocalOriginFailures: 5,
    splitExternalLocalOriginErrors: true,
    interval: '30s',
    baseEjectionTime: '30s',
    maxEjectionPercent: 50,
    minHealthPercent: 10,
  },
  tls: {
    mode: 'ISTIO_MUTUAL' as const,
    clientCertificate: 'c',
    privateKey: 'k',
    caCertificates: 'ca',
    credentialName: 'cred',
    caCrl: 'crl',
    subjectAltNames: ['san'],
    sni: 'sni',
    insecureSkipVerify: false,
  },
};
const trafficPolicy: Full<TrafficPolicy> = {
  ...policyCore,
  portLevelSettings: [{ port: { number: 80 }, ...policyCore }],
  tunnel: { protocol: 'CONNECT', targetHost: 'h', targetPort: 8080 },
  proxyProtocol: { version: 'V2' },
};

const examples: { [K in KindName]: unknown } = {
  VirtualService: {
    hosts: ['reviews'],
    gateways: ['gw'],
    http: [httpRoute],
    tcp: [
      {
        match: [
          {
            destinationSubnets: ['10.0.0.0/8'],
            port: 5432,
            sourceLabels: labels,
            gateways: ['mesh'],
            sourceNamespace: 'default',
          },
        ],
        route: [{ destination: { host: 'db', subset: 'v1', port: { number: 5432 } }, weight: 100 }],
      },
    ],
    tls: [
      {
        match: [
          {
            sniHosts: ['db.example.com'],
            destinationSubnets: ['10.0.0.0/8'],
            port: 443,
            sourceLabels: labels,
            gateways: ['gw'],
            sourceNamespace: 'default',
          },
        ],
        route: [{ destination: { host: 'db', subset: 'v1', port: { number: 443 } }, weight: 100 }],
      },
    ],
    exportTo: ['*'],
  } satisfies Full<VirtualServiceSpec>,
  DestinationRule: {
    host: 'reviews',
    trafficPolicy,
    subsets: [{ name: 'v1', labels, trafficPolicy }],
    exportTo: ['.'],
    workloadSelector: { matchLabels: labels },
  } satisfies Full<DestinationRuleSpec>,
  Gateway: {
    selector: labels,
    servers: [
      {
        port: { number: 8080, name: 'http', protocol: 'HTTP', targetPort: 8080 },
        hosts: ['*'],
        name: 's',
        bind: '0.0.0.0',
        defaultEndpoint: '127.0.0.1:8080',
        tls: {
          httpsRedirect: true,
          mode: 'SIMPLE',
          serverCertificate: 'c',
          privateKey: 'k',
          caCertificates: 'ca',
          caCrl: 'crl',
          credentialName: 'cred',
          subjectAltNames: ['san'],
          minProtocolVersion: 'TLSV1_2',
          maxProtocolVersion: 'TLSV1_3',
          cipherSuites: ['x'],
        },
      },
    ],
  } satisfies Full<GatewaySpec>,
  ServiceEntry: {
    hosts: ['api.example.com'],
    addresses: ['10.0.0.1'],
    ports: [{ number: 443, name: 'https', protocol: 'TLS', targetPort: 443 }],
    location: 'MESH_EXTERNAL',
    resolution: 'DNS',
    endpoints: [
      {
        address: '1.2.3.4',
        ports: { https: 443 },
        labels,
        network: 'n',
        locality: 'r/z',
        weight: 1,
        serviceAccount: 'sa',
      },
    ],
    workloadSelector: { labels },
    exportTo: ['*'],
    subjectAltNames: ['san'],
  } satisfies Full<ServiceEntrySpec>,
  Sidecar: {
    workloadSelector: { labels },
    ingress: [{}],
    egress: [
      {
        port: { number: 80, protocol: 'HTTP', name: 'http' },
        bind: '127.0.0.1',
        captureMode: 'NONE',
        hosts: ['./*'],
      },
    ],
    outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' },
  } satisfies Full<SidecarSpec>,
  AuthorizationPolicy: {
    selector: { matchLabels: labels },
    rules: [
      {
        from: [
          {
            source: {
              principals: ['p'],
              notPrincipals: ['p'],
              requestPrincipals: ['p'],
              notRequestPrincipals: ['p'],
              namespaces: ['n'],
              notNamespaces: ['n'],
              ipBlocks: ['10.0.0.0/8'],
              notIpBlocks: ['10.0.0.0/8'],
              remoteIpBlocks: ['10.0.0.0/8'],
              notRemoteIpBlocks: ['10.0.0.0/8'],
            },
          },
        ],
        to: [
          {
            operation: {
              hosts: ['h'],
              notHosts: ['h'],
              ports: ['80'],
              notPorts: ['81'],
              methods: ['GET'],
              notMethods: ['POST'],
              paths: ['/a'],
              notPaths: ['/b'],
            },
          },
        ],
        when: [{ key: 'request.headers[x]', values: ['a'], notValues: ['b'] }],
      },
    ],
    action: 'ALLOW',
    provider: { name: 'ext' },
  } satisfies Full<AuthorizationPolicySpec>,
  PeerAuthentication: {
    selector: { matchLabels: labels },
    mtls: { mode: 'STRICT' },
    portLevelMtls: { '8080': { mode: 'PERMISSIVE' } },
  } satisfies Full<PeerAuthenticationSpec>,
  RequestAuthentication: {
    selector: { matchLabels: labels },
    jwtRules: [
      {
        issuer: 'https://issuer',
        audiences: ['a'],
        jwksUri: 'https://issuer/jwks',
        jwks: '{}',
        fromHeaders: [{ name: 'authorization', prefix: 'Bearer ' }],
        fromParams: ['token'],
        fromCookies: ['session'],
        outputPayloadToHeader: 'x-jwt',
        forwardOriginalToken: true,
        outputClaimToHeaders: [{ header: 'x-sub', claim: 'sub' }],
        timeout: '5s',
      },
    ],
  } satisfies Full<RequestAuthenticationSpec>,
  Service: {
    selector: labels,
    ports: [
      { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP', appProtocol: 'http', nodePort: 30080 },
    ],
    type: 'NodePort',
    clusterIP: '10.0.0.1',
    clusterIPs: ['10.0.0.1'],
    externalName: 'x.example.com',
    sessionAffinity: 'None',
    sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } },
    externalIPs: ['10.0.0.9'],
    externalTrafficPolicy: 'Local',
    internalTrafficPolicy: 'Cluster',
    ipFamilies: ['IPv4'],
    ipFamilyPolicy: 'SingleStack',
    loadBalancerIP: '10.0.0.10',
    loadBalancerClass: 'x',
    loadBalancerSourceRanges: ['0.0.0.0/0'],
    allocateLoadBalancerNodePorts: true,
    healthCheckNodePort: 30999,
    publishNotReadyAddresses: false,
    trafficDistribution: 'PreferClose',
  } satisfies Full<ServiceSpec>,
  Endpoints: {
    subsets: [
      {
        addresses: [
          {
            ip: '10.0.0.2',
            hostname: 'h',
            nodeName: 'n',
            targetRef: {
              apiVersion: 'v1',
              kind: 'Pod',
              name: 'p',
              namespace: 'd',
              uid: 'u',
              resourceVersion: '1',
              fieldPath: 'f',
            },
          },
        ],
        notReadyAddresses: [
          {
            ip: '10.0.0.3',
            hostname: 'h',
            nodeName: 'n',
            targetRef: {
              apiVersion: 'v1',
              kind: 'Pod',
              name: 'p',
              namespace: 'd',
              uid: 'u',
              resourceVersion: '1',
              fieldPath: 'f',
            },
          },
        ],
        ports: [{ name: 'http', port: 80, protocol: 'TCP', appProtocol: 'http' }],
      },
    ],
  } satisfies Full<EndpointsSpec>,
  Ingress: {
    ingressClassName: 'meshwork',
    defaultBackend: {
      service: { name: 's', port: { number: 80, name: 'http' } },
      resource: { apiGroup: 'g', kind: 'K', name: 'n' },
    },
    tls: [{ hosts: ['a.example.com'], secretName: 's' }],
    rules: [
      {
        host: 'a.example.com',
        http: {
          paths: [
            {
              path: '/',
              pathType: 'Prefix',
              backend: {
                service: { name: 's', port: { number: 80, name: 'http' } },
                resource: { apiGroup: 'g', kind: 'K', name: 'n' },
              },
            },
          ],
        },
      },
    ],
  } satisfies Full<IngressSpec>,
  ServiceInstance: {
    service: 'legacy',
    address: '10.0.0.9',
    port: 8080,
    sidecarPort: 15006,
    protocol: 'http',
    labels,
    version: 'v1',
    serviceAccount: 'legacy',
    locality: 'r/z',
    weight: 1,
  } satisfies Full<ServiceInstanceSpec>,
};

const validator = new SchemaValidator();
const ALLOWED = /^must set exactly one of|^must not set both/;

describe('schemas match the TypeScript types', () => {
  for (const [kind, spec] of Object.entries(examples) as [KindName, unknown][]) {
    test(`every field of ${kind}Spec is accepted by its schema`, () => {
      const issues = validator.validate(kind, {
        apiVersion: 'x',
        kind,
        metadata: { name: 'example', namespace: 'default', labels, annotations: { a: 'b' } },
        spec,
      });
      assert.deepEqual(
        issues.filter((i) => !ALLOWED.test(i.reason)),
        [],
      );
    });
  }

  test('an unknown field is reported by its full path', () => {
    const issues = validator.validate('DestinationRule', {
      apiVersion: 'x',
      kind: 'DestinationRule',
      metadata: { name: 'r' },
      spec: { host: 'h', trafficPolicy: { outlierDetection: { consecutive5xxErorrs: 5 } } },
    });
    assert.deepEqual(issues, [
      { path: 'spec.trafficPolicy.outlierDetection.consecutive5xxErorrs', reason: 'is not a known field' },
    ]);
  });
});
