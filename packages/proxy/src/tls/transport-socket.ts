/**
 * Envoy `config.core.v3.TransportSocket` wrappers: `{name, typed_config: {'@type', …}}`. Only the
 * TLS transport socket (and the no-op raw buffer) exist here; anything else is rejected by path.
 */
import { ProxyConfigError } from '../errors.js';
import { type Json, obj, str } from '../xds/fields.js';

/** `@type` of the listener-side TLS context. */
export const DOWNSTREAM_TLS_TYPE =
  'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext';
/** `@type` of the cluster-side TLS context. */
export const UPSTREAM_TLS_TYPE =
  'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';
const RAW_BUFFER_TYPE = 'type.googleapis.com/envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer';

/**
 * Unwraps a `transport_socket` at `path`: the TLS context body (without `@type`), or undefined for
 * none / raw buffer. `expectedType` is the downstream or upstream context type URL.
 */
export function unwrapTransportSocket(v: unknown, path: string, expectedType: string): Json | undefined {
  if (v === undefined || v === null) return undefined;
  const o = obj(v, path, ['name', 'typed_config']);
  const name = str(o, 'name', path);
  const typed = o.typed_config;
  if (typed === undefined || typed === null) {
    if (name === 'envoy.transport_sockets.raw_buffer') return undefined;
    throw new ProxyConfigError(`${path}.typed_config`, 'required field is missing');
  }
  if (typeof typed !== 'object' || Array.isArray(typed)) {
    throw new ProxyConfigError(`${path}.typed_config`, 'expected an object');
  }
  const { '@type': type, ...body } = typed as Json;
  if (type === RAW_BUFFER_TYPE) return undefined;
  if (type !== expectedType) {
    throw new ProxyConfigError(
      `${path}.typed_config.@type`,
      `unsupported transport socket "${String(type)}" (expected ${expectedType})`,
    );
  }
  return body;
}
