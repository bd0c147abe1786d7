/**
 * Envoy `tls_params` (`TlsParameters`): protocol version bounds, cipher suites and curves, mapped
 * onto node:tls options. Envoy's defaults are TLS 1.2 to 1.3 for both sides.
 */
import type { SecureVersion } from 'node:tls';
import { ProxyConfigError } from '../errors.js';
import { arr, type Json, obj, str } from '../xds/fields.js';

/** Compiled `tls_params`. */
export interface TlsParams {
  readonly minVersion: SecureVersion;
  readonly maxVersion: SecureVersion;
  /** OpenSSL cipher list (TLS 1.2 and below), or undefined for node's default. */
  readonly ciphers: string | undefined;
  /** `ecdh_curves` joined with `:`, or undefined for node's default. */
  readonly ecdhCurve: string | undefined;
}

const VERSIONS: Record<string, SecureVersion | null> = {
  TLS_AUTO: null,
  TLSv1_0: 'TLSv1',
  TLSv1_1: 'TLSv1.1',
  TLSv1_2: 'TLSv1.2',
  TLSv1_3: 'TLSv1.3',
};
const ORDER: readonly SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/** Envoy's defaults: TLS 1.2 minimum, TLS 1.3 maximum. */
export const DEFAULT_TLS_PARAMS: TlsParams = {
  minVersion: 'TLSv1.2',
  maxVersion: 'TLSv1.3',
  ciphers: undefined,
  ecdhCurve: undefined,
};

/** Compiles `tls_params` at `path` (absent → Envoy's defaults). */
export function compileTlsParams(v: unknown, path: string): TlsParams {
  if (v === undefined || v === null) return DEFAULT_TLS_PARAMS;
  const o = obj(v, path, [
    'tls_minimum_protocol_version',
    'tls_maximum_protocol_version',
    'cipher_suites',
    'ecdh_curves',
  ]);
  const minVersion = version(o, 'tls_minimum_protocol_version', path) ?? DEFAULT_TLS_PARAMS.minVersion;
  const maxVersion = version(o, 'tls_maximum_protocol_version', path) ?? DEFAULT_TLS_PARAMS.maxVersion;
  if (ORDER.indexOf(minVersion) > ORDER.indexOf(maxVersion)) {
    throw new ProxyConfigError(
      path,
      `tls_minimum_protocol_version ${minVersion} is above the maximum ${maxVersion}`,
    );
  }
  const ciphers = strings(o, 'cipher_suites', path);
  const curves = strings(o, 'ecdh_curves', path);
  return {
    minVersion,
    maxVersion,
    ciphers: ciphers.length > 0 ? ciphers.join(':') : undefined,
    ecdhCurve: curves.length > 0 ? curves.join(':') : undefined,
  };
}

function version(o: Json, key: string, path: string): SecureVersion | undefined {
  const v = str(o, key, path);
  if (v === undefined) return undefined;
  const mapped = VERSIONS[v];
  if (mapped === undefined) {
    throw new ProxyConfigError(`${path}.${key}`, `unknown TLS version "${v}" (TLS_AUTO, TLSv1_0 … TLSv1_3)`);
  }
  return mapped ?? undefined;
}

function strings(o: Json, key: string, path: string): string[] {
  return arr(o, key, path).map((s, i) => {
    if (typeof s !== 'string') throw new ProxyConfigError(`${path}.${key}[${i}]`, 'expected a string');
    return s;
  });
}
