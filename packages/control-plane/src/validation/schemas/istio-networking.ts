/**
 * JSON Schemas of the `networking.istio.io` specs. They mirror `resources/istio-networking.ts`;
 * `schemas.test.ts` validates fully populated objects typed as those interfaces, so a field added
 * to one and not the other fails the build's tests.
 */
import {
  anyObject,
  arr,
  bool,
  duration,
  int,
  map,
  nonEmpty,
  num,
  obj,
  oneOfStrings,
  port,
  type Schema,
  str,
} from './builders.js';

/** Exactly one of exact / prefix / regex. */
export const stringMatch: Schema = obj({ exact: str(), prefix: str(), regex: str() }, [], {
  minProperties: 1,
  maxProperties: 1,
});

const percent = obj({ value: num(0, 100) }, ['value']);
const portSelector = obj({ number: port() }, ['number']);
const destination = obj({ host: nonEmpty(), subset: str(), port: portSelector }, ['host']);
const headerOperations = obj({ set: map(), add: map(), remove: arr(str()) });
const headers = obj({ request: headerOperations, response: headerOperations });

const httpMatchRequest = obj({
  name: str(),
  uri: stringMatch,
  scheme: stringMatch,
  method: stringMatch,
  authority: stringMatch,
  headers: map(stringMatch),
  queryParams: map(stringMatch),
  withoutHeaders: map(stringMatch),
  ignoreUriCase: bool(),
  port: port(),
  sourceLabels: map(),
  gateways: arr(str()),
  sourceNamespace: str(),
  statPrefix: str(),
});

const httpRoute = obj({
  name: str(),
  match: arr(httpMatchRequest),
  route: arr(obj({ destination, weight: int(0), headers }, ['destination'])),
  redirect: obj({
    uri: str(),
    authority: str(),
    port: port(),
    derivePort: oneOfStrings(['FROM_PROTOCOL_DEFAULT', 'FROM_REQUEST_PORT']),
    scheme: str(),
    redirectCode: int(300, 399),
  }),
  directResponse: obj(
    { status: int(200, 599), body: obj({ string: str(), bytes: str() }, [], { maxProperties: 1 }) },
    ['status'],
  ),
  delegate: obj({ name: nonEmpty(), namespace: str() }, ['name']),
  rewrite: obj({
    uri: str(),
    authority: str(),
    uriRegexRewrite: obj({ match: str(), rewrite: str() }, ['match', 'rewrite']),
  }),
  timeout: duration(),
  retries: obj(
    {
      attempts: int(0),
      perTryTimeout: duration(),
      retryOn: str(),
      retryRemoteLocalities: bool(),
      retryIgnorePreviousHosts: bool(),
      backoff: duration(),
    },
    ['attempts'],
  ),
  fault: obj({
    delay: obj({ fixedDelay: duration(), percentage: percent, percent: int(0, 100) }, ['fixedDelay']),
    abort: obj({ httpStatus: int(200, 599), grpcStatus: str(), percentage: percent }, [], {
      // Istio requires exactly one error type per abort.
      oneOf: [{ required: ['httpStatus'] }, { required: ['grpcStatus'] }],
    }),
  }),
  mirror: destination,
  mirrors: arr(obj({ destination, percentage: percent }, ['destination'])),
  mirrorPercentage: percent,
  mirrorPercent: int(0, 100),
  corsPolicy: obj({
    allowOrigins: arr(stringMatch),
    allowOrigin: arr(str()),
    allowMethods: arr(str()),
    allowHeaders: arr(str()),
    exposeHeaders: arr(str()),
    maxAge: duration(),
    allowCredentials: bool(),
    unmatchedPreflights: oneOfStrings(['UNSPECIFIED', 'FORWARD', 'IGNORE']),
  }),
  headers,
});

const l4Match = {
  destinationSubnets: arr(str()),
  port: port(),
  sourceLabels: map(),
  gateways: arr(str()),
  sourceNamespace: str(),
};
const routeDestinations = arr(obj({ destination, weight: int(0) }, ['destination']));
const tcpRoute = obj({ match: arr(obj(l4Match)), route: routeDestinations });
const tlsRoute = obj(
  {
    match: arr(obj({ sniHosts: arr(nonEmpty(), { minItems: 1 }), ...l4Match }, ['sniHosts']), {
      minItems: 1,
    }),
    route: routeDestinations,
  },
  ['match'],
);

/** VirtualService spec. */
export const virtualServiceSpec: Schema = obj({
  hosts: arr(nonEmpty()),
  gateways: arr(nonEmpty()),
  http: arr(httpRoute),
  tcp: arr(tcpRoute),
  tls: arr(tlsRoute),
  exportTo: arr(str()),
});

const consistentHash = obj(
  {
    httpHeaderName: nonEmpty(),
    httpCookie: obj({ name: nonEmpty(), path: str(), ttl: duration() }, ['name']),
    useSourceIp: bool(),
    httpQueryParameterName: nonEmpty(),
    ringHash: obj({ minimumRingSize: int(1) }),
    maglev: obj({ tableSize: int(1) }),
    minimumRingSize: int(1),
  },
  [],
  {
    oneOf: [
      { required: ['httpHeaderName'] },
      { required: ['httpCookie'] },
      { required: ['useSourceIp'] },
      { required: ['httpQueryParameterName'] },
    ],
  },
);

const loadBalancer = obj(
  {
    simple: oneOfStrings([
      'UNSPECIFIED',
      'ROUND_ROBIN',
      'LEAST_REQUEST',
      'LEAST_CONN',
      'RANDOM',
      'PASSTHROUGH',
    ]),
    consistentHash,
    localityLbSetting: anyObject(),
    warmupDurationSecs: duration(),
  },
  [],
  { not: { required: ['simple', 'consistentHash'] } },
);

const connectionPool = obj({
  tcp: obj({
    maxConnections: int(1),
    connectTimeout: duration(),
    tcpKeepalive: obj({ probes: int(0), time: duration(), interval: duration() }),
    maxConnectionDuration: duration(),
    idleTimeout: duration(),
  }),
  http: obj({
    http1MaxPendingRequests: int(1),
    http2MaxRequests: int(1),
    maxRequestsPerConnection: int(0),
    maxRetries: int(0),
    idleTimeout: duration(),
    h2UpgradePolicy: oneOfStrings(['DEFAULT', 'DO_NOT_UPGRADE', 'UPGRADE']),
    useClientProtocol: bool(),
    maxConcurrentStreams: int(1),
  }),
});

const outlierDetection = obj({
  consecutive5xxErrors: int(0),
  consecutiveGatewayErrors: int(0),
  consecutiveErrors: int(0),
  consecutiveLocalOriginFailures: int(0),
  splitExternalLocalOriginErrors: bool(),
  interval: duration(),
  baseEjectionTime: duration(),
  maxEjectionPercent: int(0, 100),
  minHealthPercent: int(0, 100),
});

const clientTls = obj(
  {
    mode: oneOfStrings(['DISABLE', 'SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL']),
    clientCertificate: str(),
    privateKey: str(),
    caCertificates: str(),
    credentialName: str(),
    caCrl: str(),
    subjectAltNames: arr(str()),
    sni: str(),
    insecureSkipVerify: bool(),
  },
  ['mode'],
);

const policyFields = { loadBalancer, connectionPool, outlierDetection, tls: clientTls };
const trafficPolicy = obj({
  ...policyFields,
  portLevelSettings: arr(obj({ port: portSelector, ...policyFields })),
  tunnel: anyObject(),
  proxyProtocol: anyObject(),
});

/** DestinationRule spec. */
export const destinationRuleSpec: Schema = obj(
  {
    host: nonEmpty(),
    trafficPolicy,
    subsets: arr(
      obj(
        {
          name: str({ pattern: '^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$' }),
          labels: map(),
          trafficPolicy,
        },
        ['name'],
      ),
    ),
    exportTo: arr(str()),
    workloadSelector: obj({ matchLabels: map() }),
  },
  ['host'],
);

const gatewayServer = obj(
  {
    port: obj(
      {
        number: port(),
        name: str(),
        protocol: oneOfStrings(['HTTP', 'HTTPS', 'GRPC', 'HTTP2', 'MONGO', 'TCP', 'TLS']),
        targetPort: port(),
      },
      ['number', 'protocol'],
    ),
    hosts: arr(nonEmpty(), { minItems: 1 }),
    name: str(),
    bind: str(),
    defaultEndpoint: str(),
    tls: obj({
      httpsRedirect: bool(),
      mode: oneOfStrings([
        'PASSTHROUGH',
        'SIMPLE',
        'MUTUAL',
        'AUTO_PASSTHROUGH',
        'ISTIO_MUTUAL',
        'OPTIONAL_MUTUAL',
      ]),
      serverCertificate: str(),
      privateKey: str(),
      caCertificates: str(),
      caCrl: str(),
      credentialName: str(),
      subjectAltNames: arr(str()),
      minProtocolVersion: str(),
      maxProtocolVersion: str(),
      cipherSuites: arr(str()),
    }),
  },
  ['port', 'hosts'],
);

/** Gateway spec. */
export const gatewaySpec: Schema = obj({ selector: map(), servers: arr(gatewayServer, { minItems: 1 }) }, [
  'servers',
]);

/** A static endpoint (ServiceEntry endpoint / Istio WorkloadEntry spec). */
export const workloadEntry: Schema = obj({
  address: str(),
  ports: map(port()),
  labels: map(),
  network: str(),
  locality: str(),
  weight: int(0),
  serviceAccount: str(),
});

/** ServiceEntry spec. */
export const serviceEntrySpec: Schema = obj(
  {
    hosts: arr(nonEmpty(), { minItems: 1 }),
    addresses: arr(str()),
    ports: arr(
      obj({ number: port(), name: nonEmpty(), protocol: str(), targetPort: port() }, ['number', 'name']),
    ),
    location: oneOfStrings(['MESH_EXTERNAL', 'MESH_INTERNAL']),
    resolution: oneOfStrings(['NONE', 'STATIC', 'DNS', 'DNS_ROUND_ROBIN']),
    endpoints: arr(workloadEntry),
    workloadSelector: obj({ labels: map() }),
    exportTo: arr(str()),
    subjectAltNames: arr(str()),
  },
  ['hosts'],
);

/** Sidecar spec. Egress hosts are `namespace/dnsName`. */
export const sidecarSpec: Schema = obj({
  workloadSelector: obj({ labels: map() }),
  ingress: arr(anyObject()),
  egress: arr(
    obj(
      {
        port: obj({ number: port(), protocol: str(), name: str() }, ['number']),
        bind: str(),
        captureMode: oneOfStrings(['DEFAULT', 'IPTABLES', 'NONE']),
        hosts: arr(str({ pattern: '^[^/]+/[^/]+$' }), { minItems: 1 }),
      },
      ['hosts'],
    ),
  ),
  outboundTrafficPolicy: obj({ mode: oneOfStrings(['REGISTRY_ONLY', 'ALLOW_ANY']) }),
});
