/**
 * Envoy `DownstreamTlsContext` (listener filter chain `transport_socket`), compiled once into a
 * node:tls `SecureContext` plus the checks node cannot express per filter chain
 * (`require_client_certificate`, SAN matchers).
 */
import { createSecureContext, type SecureContext, type SecureContextOptions } from 'node:tls';
import { ProxyConfigError } from '../errors.js';
import { bool, obj } from '../xds/fields.js';
import { type CommonTlsContext, compileCommonTlsContext } from './common-tls-context.js';
import { DOWNSTREAM_TLS_TYPE, unwrapTransportSocket } from './transport-socket.js';

/** A compiled `DownstreamTlsContext`. */
export interface DownstreamTlsConfig {
  readonly common: CommonTlsContext;
  /** `require_client_certificate`: a connection without a (valid) client certificate is closed. */
  readonly requireClientCertificate: boolean;
  /** `require_sni`: a ClientHello without SNI is refused. */
  readonly requireSni: boolean;
  /** Built once; handed to the handshake by the SNI callback. */
  readonly secureContext: SecureContext;
}

// session_timeout / disable_stateless_session_resumption are not honoured, so they are rejected.
const FIELDS = ['common_tls_context', 'require_client_certificate', 'require_sni'];

/** Compiles a filter chain's `transport_socket` at `path`; undefined for plaintext. */
export function compileDownstreamTransportSocket(v: unknown, path: string): DownstreamTlsConfig | undefined {
  const body = unwrapTransportSocket(v, path, DOWNSTREAM_TLS_TYPE);
  return body === undefined ? undefined : compileDownstreamTlsContext(body, `${path}.typed_config`);
}

/** Compiles a `DownstreamTlsContext` body (without `@type`) at `path`. */
export function compileDownstreamTlsContext(v: unknown, path: string): DownstreamTlsConfig {
  const o = obj(v, path, FIELDS);
  const cp = `${path}.common_tls_context`;
  const common = compileCommonTlsContext(o.common_tls_context, cp);
  if (common.certificates.length === 0) {
    throw new ProxyConfigError(
      `${cp}.tls_certificates`,
      'a listener TLS context needs at least one certificate',
    );
  }
  const requireClientCertificate = bool(o, 'require_client_certificate', path, false);
  if (requireClientCertificate && common.validation?.trustedCa === undefined) {
    throw new ProxyConfigError(
      `${path}.require_client_certificate`,
      'needs common_tls_context.validation_context.trusted_ca to verify client certificates',
    );
  }
  return {
    common,
    requireClientCertificate,
    requireSni: bool(o, 'require_sni', path, false),
    secureContext: buildSecureContext(common, cp),
  };
}

/** Creates the node:tls context; key/certificate mismatches surface here as config errors. */
export function buildSecureContext(common: CommonTlsContext, path: string): SecureContext {
  try {
    return createSecureContext(secureContextOptions(common));
  } catch (err) {
    throw new ProxyConfigError(path, `invalid TLS material: ${(err as Error).message}`, { cause: err });
  }
}

/** The node:tls options equivalent of a compiled common context. */
export function secureContextOptions(common: CommonTlsContext): SecureContextOptions {
  const p = common.params;
  return {
    cert: common.certificates.map((c) => c.certificateChain),
    key: common.certificates.map((c) => ({ pem: c.privateKey, passphrase: c.passphrase })),
    ca: common.validation?.trustedCa,
    minVersion: p.minVersion,
    maxVersion: p.maxVersion,
    ciphers: p.ciphers,
    ecdhCurve: p.ecdhCurve,
  };
}
