/**
 * The proxy's error catalogue. Every error carries a stable `code`; code branches on the code,
 * never on message text. HTTP/gRPC statuses are decided only at the edge (the HCM), from the code.
 */
export type ProxyErrorCode =
  /** A configuration document (bootstrap or xDS resource) is invalid or uses an unsupported field. */
  | 'MESH_ERR_PROXY_CONFIG'
  /** No route matched the request. */
  | 'MESH_ERR_NO_ROUTE'
  /** The route names a cluster the proxy does not know. */
  | 'MESH_ERR_NO_CLUSTER'
  /** The cluster has no available host. */
  | 'MESH_ERR_NO_HEALTHY_UPSTREAM'
  /** A cluster circuit-breaker limit (connections, pending, requests, retries) was exceeded. */
  | 'MESH_ERR_UPSTREAM_OVERFLOW'
  | 'MESH_ERR_UPSTREAM_CONNECT_FAILURE'
  | 'MESH_ERR_UPSTREAM_CONNECT_TIMEOUT'
  | 'MESH_ERR_UPSTREAM_RESET'
  | 'MESH_ERR_UPSTREAM_TIMEOUT'
  | 'MESH_ERR_UPSTREAM_PROTOCOL'
  /** The downstream sent something that is not valid HTTP (→ 400, never forwarded). */
  | 'MESH_ERR_DOWNSTREAM_PROTOCOL'
  | 'MESH_ERR_HEADERS_TOO_LARGE'
  | 'MESH_ERR_BODY_TOO_LARGE'
  | 'MESH_ERR_DOWNSTREAM_RESET';

/** Base class of every error the proxy raises. */
export class ProxyError extends Error {
  readonly code: ProxyErrorCode;
  constructor(code: ProxyErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProxyError';
    this.code = code;
  }
}

/** Invalid or unsupported configuration; `path` names the offending field (e.g. `clusters[0].lb_policy`). */
export class ProxyConfigError extends ProxyError {
  readonly path: string;
  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super('MESH_ERR_PROXY_CONFIG', path ? `${path}: ${message}` : message, options);
    this.name = 'ProxyConfigError';
    this.path = path;
  }
}
