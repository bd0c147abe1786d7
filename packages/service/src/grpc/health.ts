/**
 * `grpc.health.v1.Health` for gRPC servers: `Check` answers SERVING while the instance is ready
 * and NOT_SERVING otherwise (so health-checking proxies and the control plane drop it), `Watch`
 * streams changes. The empty service name means the whole server.
 */
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** Serving states of the health protocol. */
export type ServingStatus = 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

const HEALTH_PROTO = fileURLToPath(new URL('../../proto/health.proto', import.meta.url));

/** How often `Watch` re-reads the status; changes are sent, repeats are not. */
const WATCH_POLL_MS = 1000;

/**
 * Builds the health service. `statusOf(service)` is asked per call; `services` lists the names
 * it answers for besides the server-wide empty name (others get SERVICE_UNKNOWN / NOT_FOUND).
 */
export function healthService(
  isServing: () => boolean,
  services: readonly string[] = [],
): { definition: grpc.ServiceDefinition; implementation: grpc.UntypedServiceImplementation } {
  const pkg = grpc.loadPackageDefinition(
    protoLoader.loadSync(HEALTH_PROTO, { enums: String, defaults: true }),
  ) as any;
  const known = new Set(['', ...services]);
  const statusOf = (service: string): ServingStatus =>
    known.has(service) ? (isServing() ? 'SERVING' : 'NOT_SERVING') : 'SERVICE_UNKNOWN';
  return {
    definition: pkg.grpc.health.v1.Health.service,
    implementation: {
      Check(call: grpc.ServerUnaryCall<{ service: string }, unknown>, callback: grpc.sendUnaryData<unknown>) {
        const status = statusOf(call.request.service);
        if (status === 'SERVICE_UNKNOWN')
          return callback({ code: grpc.status.NOT_FOUND, details: 'unknown service' });
        callback(null, { status });
      },
      Watch(call: grpc.ServerWritableStream<{ service: string }, unknown>) {
        let last: ServingStatus | undefined;
        const send = () => {
          const status = statusOf(call.request.service);
          if (status !== last) call.write({ status });
          last = status;
        };
        send();
        const timer = setInterval(send, WATCH_POLL_MS);
        call.on('cancelled', () => clearInterval(timer));
        call.on('close', () => clearInterval(timer));
      },
    },
  };
}
