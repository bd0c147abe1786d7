/**
 * gRPC helpers over @grpc/grpc-js: load a proto, serve implementations with a bounded graceful
 * shutdown, and build clients routed like HTTP ones (sidecar, fixed endpoints with grpc-js
 * `round_robin`, or registry discovery).
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { resolveRoute } from '../clients/connect.js';
import type { Endpoint } from '../clients/endpoints.js';
import { DeadlineExceededError, InvalidConfigError } from '../errors.js';
import { remainingMs } from '../http/deadline.js';

export { healthService, type ServingStatus } from './health.js';
export { grpc };

/** Loads a `.proto` file and returns the grpc-js package object. */
export function loadProto(protoPath: string, includeDirs: string[] = []): grpc.GrpcObject {
  const definition = protoLoader.loadSync(protoPath, {
    keepCase: false,
    longs: Number,
    enums: String,
    defaults: true,
    oneofs: true,
    includeDirs,
  });
  return grpc.loadPackageDefinition(definition);
}

/** A running gRPC server. */
export interface GrpcServerHandle {
  server: grpc.Server;
  port: number;
  /** Lets in-flight calls finish up to `deadlineMs`, then cancels the rest. */
  close(deadlineMs: number): Promise<void>;
}

/** Serves `services` on `host:port` (port 0 picks a free one). */
export async function startGrpcServer(options: {
  host?: string;
  port: number;
  services: { definition: grpc.ServiceDefinition; implementation: grpc.UntypedServiceImplementation }[];
}): Promise<GrpcServerHandle> {
  const server = new grpc.Server();
  for (const s of options.services) server.addService(s.definition, s.implementation);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(
      `${options.host ?? '127.0.0.1'}:${options.port}`,
      grpc.ServerCredentials.createInsecure(),
      (err, bound) => (err ? reject(err) : resolve(bound)),
    );
  });
  return {
    server,
    port,
    close: (deadlineMs) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, deadlineMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}

type ClientCtor<C> = new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ClientOptions,
) => C;

const ROUND_ROBIN = JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] });

function targetOf(endpoints: readonly Endpoint[]): string {
  return `ipv4:${endpoints.map((e) => `${e.host === 'localhost' ? '127.0.0.1' : e.host}:${e.port}`).join(',')}`;
}

/**
 * Returns a function giving a client for `service`: proxyless over xDS when `GRPC_XDS_BOOTSTRAP`
 * is set; else through the sidecar (authority = service name); else straight to the instances
 * with grpc-js round-robin, rebuilt when discovery changes the endpoint set.
 */
export function grpcClient<C extends grpc.Client>(
  Ctor: ClientCtor<C>,
  service: string,
  options: { env?: NodeJS.ProcessEnv } = {},
): () => Promise<C> {
  const env = options.env ?? process.env;
  // Proxyless xDS wins when configured, sidecar or not: gRPC takes its mesh config straight from
  // the control plane (as Istio's proxyless gRPC), HTTP still goes through the sidecar.
  if (env.GRPC_XDS_BOOTSTRAP) return xdsClient(Ctor, service);
  const route = resolveRoute(service, options);
  if (route.kind === 'sidecar') {
    const client = new Ctor(`127.0.0.1:${route.outboundPort}`, grpc.credentials.createInsecure(), {
      'grpc.default_authority': service,
    });
    return async () => client;
  }
  let current: { target: string; client: C } | undefined;
  return async () => {
    await route.source.ready();
    const list = route.source.endpoints();
    if (list.length === 0) throw new InvalidConfigError(`no endpoints known for gRPC service "${service}"`);
    const target = targetOf(list);
    if (current?.target !== target) {
      current?.client.close();
      current = {
        target,
        client: new Ctor(target, grpc.credentials.createInsecure(), { 'grpc.service_config': ROUND_ROBIN }),
      };
    }
    return current.client;
  };
}

/**
 * Proxyless gRPC over xDS: `xds:///<service>` resolved by `@grpc/grpc-js-xds` from the control
 * plane named in `GRPC_XDS_BOOTSTRAP`, so routes, weighted subsets, retries, fault injection and
 * endpoints come from the mesh config with no sidecar. The xDS client loads on first use.
 */
function xdsClient<C extends grpc.Client>(Ctor: ClientCtor<C>, service: string): () => Promise<C> {
  let client: Promise<C> | undefined;
  return () => {
    client ??= import('@grpc/grpc-js-xds').then((xds) => {
      xds.register();
      return new Ctor(`xds:///${service}`, grpc.credentials.createInsecure());
    });
    return client;
  };
}

/** Promisifies one unary method call with a deadline (capped by the current request's). */
export function unary<Req, Res>(
  client: grpc.Client,
  method: string,
  request: Req,
  deadlineMs = 5000,
): Promise<Res> {
  const fn = (
    client as unknown as Record<string, grpc.requestCallback<Res> & ((...a: unknown[]) => unknown)>
  )[method];
  if (typeof fn !== 'function') throw new InvalidConfigError(`gRPC client has no method "${method}"`);
  // Inside a request with a deadline, the call gets only what is left of it.
  const left = remainingMs();
  if (left !== undefined && left <= 0) {
    return Promise.reject(new DeadlineExceededError(`${method} not sent, the request's deadline has passed`));
  }
  if (left !== undefined) deadlineMs = Math.min(deadlineMs, left);
  return new Promise<Res>((resolve, reject) => {
    fn.call(
      client,
      request,
      { deadline: Date.now() + deadlineMs },
      (err: grpc.ServiceError | null, res?: Res) => (err ? reject(err) : resolve(res as Res)),
    );
  });
}
