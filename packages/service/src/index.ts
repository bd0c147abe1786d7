/**
 * `@meshwork/service` — the runtime for application services: HTTP/gRPC servers, health probes,
 * registration with the control plane, graceful shutdown, and outbound clients (through the
 * sidecar or proxyless with discovery and resilience policies). gRPC helpers live in the
 * `@meshwork/service/grpc` entry point, so services without gRPC never load grpc-js.
 */
export { type ConnectOptions, connect, endpointsEnvName, resolveRoute } from './clients/connect.js';
export {
  type DiscoveryOptions,
  DiscoveryWatcher,
  type Endpoint,
  type EndpointSource,
  parseEndpoint,
  StaticEndpoints,
} from './clients/endpoints.js';
export {
  type OutboundRequest,
  type OutboundResponse,
  type Policy,
  type PolicyContext,
  type Route,
  ServiceClient,
  type ServiceClientOptions,
} from './clients/service-client.js';
export { type Call, get, post, type TypedClient, typedClient } from './clients/typed-client.js';
export * from './errors.js';
export {
  aggregateStatus,
  brokerIndicator,
  checkAll,
  databaseIndicator,
  dependencyIndicator,
  type Health,
  type HealthIndicator,
  type HealthStatus,
  httpStatusOf,
  type ProbeGroup,
  pingIndicator,
} from './health/health.js';
export { type ProbeResult, Probes } from './health/probes.js';
export {
  type Handler,
  type Method,
  type Reply,
  type RequestContext,
  Router,
  reply,
  sendJson,
} from './http/router.js';
export { type DrainResult, DrainTracker } from './lifecycle/drain.js';
export { createLogger, type Logger, type LoggerOptions } from './logging/logger.js';
export {
  childContext,
  currentTrace,
  formatTraceparent,
  parseTraceparent,
  runWithTrace,
  type TraceContext,
} from './logging/trace-context.js';
export {
  type InstanceRegistration,
  RegistryClient,
  type RegistryClientOptions,
} from './registry/registration.js';
export { createService, type Service, type ServiceOptions } from './service.js';
