/**
 * Spec types of Istio's `networking.istio.io` kinds (v1alpha3, v1beta1 and v1 share one shape),
 * as written in YAML. Field names follow Istio's API verbatim so documents apply unchanged.
 * Durations are Istio strings (`"30s"`, `"1.5s"`, `"100ms"`); use `parseDurationMs` to read them.
 * The JSON Schemas in `validation/schemas/` describe the same shapes and a test keeps them in step.
 */

/** Exactly one of `exact`, `prefix` or `regex` (RE2 syntax). */
export interface StringMatch {
  exact?: string;
  prefix?: string;
  regex?: string;
}

/** One alternative of an HTTP route's `match` list; all its conditions must hold. */
export interface HTTPMatchRequest {
  name?: string;
  uri?: StringMatch;
  scheme?: StringMatch;
  method?: StringMatch;
  authority?: StringMatch;
  headers?: Record<string, StringMatch>;
  queryParams?: Record<string, StringMatch>;
  withoutHeaders?: Record<string, StringMatch>;
  ignoreUriCase?: boolean;
  port?: number;
  sourceLabels?: Record<string, string>;
  gateways?: string[];
  sourceNamespace?: string;
  statPrefix?: string;
}

/** Port selector of a destination. */
export interface PortSelector {
  number: number;
}

/** Where traffic goes: a host (service name or FQDN), optionally a subset and a port. */
export interface Destination {
  host: string;
  subset?: string;
  port?: PortSelector;
}

/** Header manipulation applied to a request or response. */
export interface HeaderOperations {
  set?: Record<string, string>;
  add?: Record<string, string>;
  remove?: string[];
}

/** Request and response header manipulation. */
export interface Headers {
  request?: HeaderOperations;
  response?: HeaderOperations;
}

/** A weighted destination of an HTTP route. */
export interface HTTPRouteDestination {
  destination: Destination;
  /** Relative share of traffic; Istio sends `weight / sum(weights)` to this destination. */
  weight?: number;
  headers?: Headers;
}

/** A redirect answered by the proxy itself. */
export interface HTTPRedirect {
  uri?: string;
  authority?: string;
  port?: number;
  derivePort?: 'FROM_PROTOCOL_DEFAULT' | 'FROM_REQUEST_PORT';
  scheme?: string;
  redirectCode?: number;
}

/** A fixed response answered by the proxy itself. */
export interface HTTPDirectResponse {
  status: number;
  body?: { string?: string; bytes?: string };
}

/** URI / authority rewrite before forwarding. */
export interface HTTPRewrite {
  uri?: string;
  authority?: string;
  uriRegexRewrite?: { match: string; rewrite: string };
}

/** Retry policy of an HTTP route. */
export interface HTTPRetry {
  attempts: number;
  perTryTimeout?: string;
  /** Comma-separated Envoy retry conditions and/or HTTP status codes (`"5xx,connect-failure,503"`). */
  retryOn?: string;
  retryRemoteLocalities?: boolean;
  retryIgnorePreviousHosts?: boolean;
  /** Base interval of the exponential back-off between attempts. */
  backoff?: string;
}

/** A percentage in [0, 100]. */
export interface Percent {
  value: number;
}

/** Delay injection. */
export interface FaultDelay {
  fixedDelay: string;
  percentage?: Percent;
  /** Deprecated integer percentage (Istio still accepts it). */
  percent?: number;
}

/** Abort injection: exactly one of `httpStatus`, `grpcStatus`. */
export interface FaultAbort {
  httpStatus?: number;
  grpcStatus?: string;
  percentage?: Percent;
}

/** Fault injection of an HTTP route. */
export interface HTTPFaultInjection {
  delay?: FaultDelay;
  abort?: FaultAbort;
}

/** CORS policy of an HTTP route. */
export interface CorsPolicy {
  allowOrigins?: StringMatch[];
  /** Deprecated exact-origin list. */
  allowOrigin?: string[];
  allowMethods?: string[];
  allowHeaders?: string[];
  exposeHeaders?: string[];
  maxAge?: string;
  allowCredentials?: boolean;
  unmatchedPreflights?: 'UNSPECIFIED' | 'FORWARD' | 'IGNORE';
}

/** One HTTP route rule of a VirtualService. */
export interface HTTPRoute {
  name?: string;
  match?: HTTPMatchRequest[];
  route?: HTTPRouteDestination[];
  redirect?: HTTPRedirect;
  directResponse?: HTTPDirectResponse;
  delegate?: { name: string; namespace?: string };
  rewrite?: HTTPRewrite;
  timeout?: string;
  retries?: HTTPRetry;
  fault?: HTTPFaultInjection;
  mirror?: Destination;
  /** Several mirrors, each with its own percentage (Istio 1.18+). */
  mirrors?: { destination: Destination; percentage?: Percent }[];
  mirrorPercentage?: Percent;
  /** Deprecated integer mirror percentage. */
  mirrorPercent?: number;
  corsPolicy?: CorsPolicy;
  headers?: Headers;
}

/** Layer-4 match of a TCP route. */
export interface L4MatchAttributes {
  destinationSubnets?: string[];
  port?: number;
  sourceLabels?: Record<string, string>;
  gateways?: string[];
  sourceNamespace?: string;
}

/** Match of a TLS route: the SNI of the ClientHello, plus the layer-4 attributes. */
export interface TLSMatchAttributes extends L4MatchAttributes {
  sniHosts: string[];
}

/** A weighted destination of a TCP or TLS route. */
export interface RouteDestination {
  destination: Destination;
  weight?: number;
}

/** A TCP route: the first whose match fits a connection forwards its bytes. */
export interface TCPRoute {
  match?: L4MatchAttributes[];
  route?: RouteDestination[];
}

/** A TLS route: TLS passed through unterminated, chosen by SNI. */
export interface TLSRoute {
  match: TLSMatchAttributes[];
  route?: RouteDestination[];
}

/** `spec` of a VirtualService. */
export interface VirtualServiceSpec {
  hosts?: string[];
  gateways?: string[];
  http?: HTTPRoute[];
  tcp?: TCPRoute[];
  tls?: TLSRoute[];
  exportTo?: string[];
}

/** Consistent-hash load balancing: exactly one hash key. */
export interface ConsistentHashLB {
  httpHeaderName?: string;
  httpCookie?: { name: string; path?: string; ttl?: string };
  useSourceIp?: boolean;
  httpQueryParameterName?: string;
  ringHash?: { minimumRingSize?: number };
  maglev?: { tableSize?: number };
  /** Deprecated alias of `ringHash.minimumRingSize`. */
  minimumRingSize?: number;
}

/** Load-balancer settings: `simple` or `consistentHash`. */
export interface LoadBalancerSettings {
  simple?: 'UNSPECIFIED' | 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'LEAST_CONN' | 'RANDOM' | 'PASSTHROUGH';
  consistentHash?: ConsistentHashLB;
  /** Locality-weighted load balancing; stored as written. */
  localityLbSetting?: Record<string, unknown>;
  warmupDurationSecs?: string;
}

/** Connection-pool limits (Envoy circuit breakers). */
export interface ConnectionPoolSettings {
  tcp?: {
    maxConnections?: number;
    connectTimeout?: string;
    tcpKeepalive?: { probes?: number; time?: string; interval?: string };
    maxConnectionDuration?: string;
    idleTimeout?: string;
  };
  http?: {
    http1MaxPendingRequests?: number;
    http2MaxRequests?: number;
    maxRequestsPerConnection?: number;
    maxRetries?: number;
    idleTimeout?: string;
    h2UpgradePolicy?: 'DEFAULT' | 'DO_NOT_UPGRADE' | 'UPGRADE';
    useClientProtocol?: boolean;
    maxConcurrentStreams?: number;
  };
}

/** Outlier detection (passive health checking). */
export interface OutlierDetection {
  consecutive5xxErrors?: number;
  consecutiveGatewayErrors?: number;
  /** Deprecated alias of `consecutiveGatewayErrors` semantics in old Istio. */
  consecutiveErrors?: number;
  consecutiveLocalOriginFailures?: number;
  splitExternalLocalOriginErrors?: boolean;
  interval?: string;
  baseEjectionTime?: string;
  maxEjectionPercent?: number;
  minHealthPercent?: number;
}

/** Upstream TLS settings. */
export interface ClientTLSSettings {
  mode: 'DISABLE' | 'SIMPLE' | 'MUTUAL' | 'ISTIO_MUTUAL';
  clientCertificate?: string;
  privateKey?: string;
  caCertificates?: string;
  credentialName?: string;
  caCrl?: string;
  subjectAltNames?: string[];
  sni?: string;
  insecureSkipVerify?: boolean;
}

/** Per-port override of a traffic policy. */
export interface PortTrafficPolicy {
  port?: PortSelector;
  loadBalancer?: LoadBalancerSettings;
  connectionPool?: ConnectionPoolSettings;
  outlierDetection?: OutlierDetection;
  tls?: ClientTLSSettings;
}

/** Traffic policy of a host or subset. */
export interface TrafficPolicy {
  loadBalancer?: LoadBalancerSettings;
  connectionPool?: ConnectionPoolSettings;
  outlierDetection?: OutlierDetection;
  tls?: ClientTLSSettings;
  portLevelSettings?: PortTrafficPolicy[];
  /** HTTP CONNECT tunnelling and PROXY protocol; stored as written. */
  tunnel?: Record<string, unknown>;
  proxyProtocol?: Record<string, unknown>;
}

/** A named version of a service: the instances carrying `labels`. */
export interface Subset {
  name: string;
  labels?: Record<string, string>;
  trafficPolicy?: TrafficPolicy;
}

/** `spec` of a DestinationRule. */
export interface DestinationRuleSpec {
  host: string;
  trafficPolicy?: TrafficPolicy;
  subsets?: Subset[];
  exportTo?: string[];
  workloadSelector?: { matchLabels?: Record<string, string> };
}

/** A port a gateway server listens on. */
export interface GatewayPort {
  number: number;
  name?: string;
  protocol: 'HTTP' | 'HTTPS' | 'GRPC' | 'HTTP2' | 'MONGO' | 'TCP' | 'TLS';
  targetPort?: number;
}

/** Downstream TLS of a gateway server. */
export interface ServerTLSSettings {
  httpsRedirect?: boolean;
  mode?: 'PASSTHROUGH' | 'SIMPLE' | 'MUTUAL' | 'AUTO_PASSTHROUGH' | 'ISTIO_MUTUAL' | 'OPTIONAL_MUTUAL';
  serverCertificate?: string;
  privateKey?: string;
  caCertificates?: string;
  caCrl?: string;
  credentialName?: string;
  subjectAltNames?: string[];
  minProtocolVersion?: string;
  maxProtocolVersion?: string;
  cipherSuites?: string[];
}

/** One server (port + hosts) of a Gateway. */
export interface GatewayServer {
  port: GatewayPort;
  hosts: string[];
  name?: string;
  bind?: string;
  defaultEndpoint?: string;
  tls?: ServerTLSSettings;
}

/** `spec` of a Gateway. */
export interface GatewaySpec {
  selector?: Record<string, string>;
  servers: GatewayServer[];
}

/** A port of a ServiceEntry. */
export interface ServiceEntryPort {
  number: number;
  name: string;
  protocol?: string;
  targetPort?: number;
}

/** A static endpoint of a ServiceEntry (also the shape of Istio's WorkloadEntry spec). */
export interface WorkloadEntrySpec {
  address?: string;
  ports?: Record<string, number>;
  labels?: Record<string, string>;
  network?: string;
  locality?: string;
  weight?: number;
  serviceAccount?: string;
}

/** `spec` of a ServiceEntry. */
export interface ServiceEntrySpec {
  hosts: string[];
  addresses?: string[];
  ports?: ServiceEntryPort[];
  location?: 'MESH_EXTERNAL' | 'MESH_INTERNAL';
  resolution?: 'NONE' | 'STATIC' | 'DNS' | 'DNS_ROUND_ROBIN';
  endpoints?: WorkloadEntrySpec[];
  workloadSelector?: { labels?: Record<string, string> };
  exportTo?: string[];
  subjectAltNames?: string[];
}

/** Egress scope of a Sidecar: `hosts` are `namespace/host` (`./*`, `istio-system/*`, `*\/foo.com`). */
export interface IstioEgressListener {
  port?: { number: number; protocol?: string; name?: string };
  bind?: string;
  captureMode?: 'DEFAULT' | 'IPTABLES' | 'NONE';
  hosts: string[];
}

/** `spec` of a Sidecar. */
export interface SidecarSpec {
  workloadSelector?: { labels?: Record<string, string> };
  ingress?: Record<string, unknown>[];
  egress?: IstioEgressListener[];
  outboundTrafficPolicy?: { mode?: 'REGISTRY_ONLY' | 'ALLOW_ANY' };
}
