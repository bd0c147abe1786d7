import { accessSync, constants, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join } from 'node:path';
import protobuf from 'protobufjs';
import { XdsError, XdsUnknownTypeError } from './errors.js';

const require = createRequire(import.meta.url);

/**
 * The proto files loaded on first use. Only what the mesh speaks: loading the whole Envoy API
 * would cost seconds, these cost a few hundred milliseconds once per process.
 */
export const XDS_PROTO_FILES: readonly string[] = [
  'envoy/service/discovery/v3/ads.proto',
  'envoy/service/secret/v3/sds.proto',
  'envoy/config/bootstrap/v3/bootstrap.proto',
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/config/core/v3/base.proto',
  'envoy/config/accesslog/v3/accesslog.proto',
  'envoy/config/rbac/v3/rbac.proto',
  'envoy/type/matcher/v3/string.proto',
  'envoy/type/matcher/v3/regex.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto',
  'envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector.proto',
  'envoy/extensions/filters/listener/http_inspector/v3/http_inspector.proto',
  'envoy/extensions/filters/listener/original_dst/v3/original_dst.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/filters/http/fault/v3/fault.proto',
  'envoy/extensions/filters/http/rbac/v3/rbac.proto',
  'envoy/extensions/filters/http/cors/v3/cors.proto',
  'envoy/extensions/filters/http/jwt_authn/v3/config.proto',
  'envoy/extensions/filters/http/local_ratelimit/v3/local_rate_limit.proto',
  'envoy/extensions/filters/http/health_check/v3/health_check.proto',
  'envoy/extensions/filters/http/ext_authz/v3/ext_authz.proto',
  'envoy/extensions/filters/http/ratelimit/v3/rate_limit.proto',
  'envoy/extensions/filters/http/header_mutation/v3/header_mutation.proto',
  'envoy/extensions/filters/http/compressor/v3/compressor.proto',
  'envoy/extensions/compression/gzip/compressor/v3/gzip.proto',
  'envoy/extensions/filters/http/oauth2/v3/oauth.proto',
  'envoy/extensions/filters/http/grpc_web/v3/grpc_web.proto',
  'envoy/extensions/filters/http/buffer/v3/buffer.proto',
  'envoy/extensions/filters/http/cache/v3/cache.proto',
  'envoy/extensions/filters/http/lua/v3/lua.proto',
  'envoy/extensions/filters/network/rbac/v3/rbac.proto',
  'envoy/extensions/filters/network/local_ratelimit/v3/local_rate_limit.proto',
  'envoy/extensions/transport_sockets/tls/v3/tls.proto',
  'envoy/extensions/transport_sockets/tls/v3/secret.proto',
  'envoy/extensions/transport_sockets/raw_buffer/v3/raw_buffer.proto',
  'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
  'envoy/extensions/clusters/aggregate/v3/cluster.proto',
  'envoy/extensions/access_loggers/file/v3/file.proto',
  'envoy/extensions/access_loggers/stream/v3/stream.proto',
  'envoy/extensions/load_balancing_policies/round_robin/v3/round_robin.proto',
  'envoy/extensions/load_balancing_policies/least_request/v3/least_request.proto',
  'envoy/extensions/load_balancing_policies/ring_hash/v3/ring_hash.proto',
  'envoy/extensions/load_balancing_policies/maglev/v3/maglev.proto',
  'envoy/extensions/load_balancing_policies/random/v3/random.proto',
  'envoy/extensions/load_balancing_policies/pick_first/v3/pick_first.proto',
  'envoy/extensions/load_balancing_policies/wrr_locality/v3/wrr_locality.proto',
  'envoy/extensions/load_balancing_policies/client_side_weighted_round_robin/v3/client_side_weighted_round_robin.proto',
  'udpa/type/v1/typed_struct.proto',
  'xds/type/v3/typed_struct.proto',
  // Every well-known type, so any of them can travel inside an Any.
  'google/protobuf/any.proto',
  'google/protobuf/duration.proto',
  'google/protobuf/empty.proto',
  'google/protobuf/field_mask.proto',
  'google/protobuf/struct.proto',
  'google/protobuf/timestamp.proto',
  'google/protobuf/wrappers.proto',
];

let includeDirsCache: string[] | undefined;
let rootCache: protobuf.Root | undefined;
let loadMsCache = 0;

/**
 * The include directories of the Envoy/xDS protos shipped in `@grpc/grpc-js-xds`'s `deps/`
 * folder (every subfolder), plus protobufjs's copy of `google/protobuf/*`. Hand them to
 * `@grpc/proto-loader`'s `includeDirs` to load further files the same way.
 */
export function xdsProtoIncludeDirs(): string[] {
  if (includeDirsCache) return includeDirsCache;
  const deps = join(dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
  const dirs = readdirSync(deps, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(deps, entry.name))
    .sort((a, b) => rank(a) - rank(b));
  dirs.push(dirname(require.resolve('protobufjs/package.json')));
  includeDirsCache = dirs;
  return dirs;
}

// envoy-api first: it is the tree nearly every import points into.
function rank(dir: string): number {
  return dir.endsWith('envoy-api') ? 0 : 1;
}

function resolveIn(dirs: string[], origin: string, target: string): string {
  if (isAbsolute(target)) return target;
  for (const dir of dirs) {
    const candidate = join(dir, target);
    try {
      accessSync(candidate, constants.R_OK);
      return candidate;
    } catch {}
  }
  return protobuf.util.path.resolve(origin, target);
}

/**
 * The protobufjs root holding the Envoy/xDS protos, loaded on first call (field names kept in
 * snake_case, as the protos spell them) and cached for the life of the process.
 */
export function xdsRoot(): protobuf.Root {
  if (rootCache) return rootCache;
  const started = performance.now();
  const dirs = xdsProtoIncludeDirs();
  const root = new protobuf.Root();
  root.resolvePath = (origin, target) => resolveIn(dirs, origin, target);
  try {
    root.loadSync(XDS_PROTO_FILES as string[], { keepCase: true });
    root.resolveAll();
  } catch (err) {
    throw new XdsError('MESH_ERR_XDS_PROTO_LOAD', `cannot load the xDS protos: ${(err as Error).message}`, {
      cause: err,
    });
  }
  loadMsCache = performance.now() - started;
  rootCache = root;
  return root;
}

/** How long the first {@link xdsRoot} call took, in milliseconds (0 before it ran). */
export function xdsProtoLoadMs(): number {
  return loadMsCache;
}

/**
 * Loads more proto files (paths relative to the include dirs, e.g.
 * `envoy/extensions/filters/http/cors/v3/cors.proto`) into the shared root, so their messages
 * can be used inside `typed_config`. Files already loaded are skipped by protobufjs.
 */
export function loadXdsProtoFiles(files: readonly string[]): void {
  const root = xdsRoot();
  try {
    root.loadSync(files as string[], { keepCase: true });
    root.resolveAll();
  } catch (err) {
    throw new XdsError(
      'MESH_ERR_XDS_PROTO_LOAD',
      `cannot load ${files.join(', ')}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}

const typeCache = new Map<string, protobuf.Type>();

/**
 * The protobufjs message type for a fully qualified name (`envoy.config.cluster.v3.Cluster`).
 * Throws {@link XdsUnknownTypeError} (`MESH_ERR_XDS_UNKNOWN_TYPE`) when no loaded proto has it.
 */
export function lookupMessageType(typeName: string, path = ''): protobuf.Type {
  const cached = typeCache.get(typeName);
  if (cached) return cached;
  const found = xdsRoot().lookup(typeName.startsWith('.') ? typeName : `.${typeName}`);
  if (!(found instanceof protobuf.Type)) throw new XdsUnknownTypeError(typeName, path);
  typeCache.set(typeName, found);
  return found;
}

/** Whether a loaded proto defines the message `typeName`. */
export function isKnownType(typeName: string): boolean {
  if (typeCache.has(typeName)) return true;
  return xdsRoot().lookup(typeName.startsWith('.') ? typeName : `.${typeName}`) instanceof protobuf.Type;
}
