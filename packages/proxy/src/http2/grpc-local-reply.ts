/**
 * gRPC-aware local replies, as Envoy sends them: a request whose `content-type` is
 * `application/grpc…` never gets a bare HTTP error from the proxy (gRPC clients would report an
 * opaque protocol error), but a trailers-only response — HTTP 200 with `grpc-status` mapped from
 * the HTTP status and `grpc-message` carrying the reason.
 */

/** gRPC status codes the proxy produces itself. */
export const GrpcStatus = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  DEADLINE_EXCEEDED: 4,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/** Envoy's `Grpc::Utility::httpToGrpcStatus`: the gRPC status a local HTTP reply stands for. */
export function httpToGrpcStatus(httpStatus: number): number {
  switch (httpStatus) {
    case 400:
      return GrpcStatus.INTERNAL;
    case 401:
      return GrpcStatus.UNAUTHENTICATED;
    case 403:
      return GrpcStatus.PERMISSION_DENIED;
    case 404:
      return GrpcStatus.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return GrpcStatus.UNAVAILABLE;
    default:
      return GrpcStatus.UNKNOWN;
  }
}

/**
 * The gRPC status of a local reply: a route or per-try timeout (response flag `UT`) is
 * DEADLINE_EXCEEDED — as current Envoy answers, so clients do not retry an expired deadline as
 * they would UNAVAILABLE — anything else follows {@link httpToGrpcStatus}.
 */
export function grpcLocalReplyStatus(httpStatus: number, responseFlag: string | null): number {
  return responseFlag === 'UT' ? GrpcStatus.DEADLINE_EXCEEDED : httpToGrpcStatus(httpStatus);
}

/** Whether flat request headers announce a gRPC request (`content-type: application/grpc[+proto…]`). */
export function isGrpcRequest(headers: readonly string[]): boolean {
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i] === 'content-type') return (headers[i + 1] ?? '').startsWith('application/grpc');
  }
  return false;
}
