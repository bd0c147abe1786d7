/**
 * Envoy `CommonTlsContext`, shared by downstream and upstream TLS contexts: certificates
 * (`tls_certificates[]`), ALPN, `tls_params`, and the peer `validation_context` (trusted CA and
 * subject-alt-name matchers). Compiled once into plain values node:tls can take.
 */
import { ProxyConfigError } from '../errors.js';
import { compileStringMatcher, matchString, type StringMatcher } from '../router/string-matcher.js';
import { arr, type Json, obj, str } from '../xds/fields.js';
import { readDataSource } from './data-source.js';
import { compileTlsParams, type TlsParams } from './tls-params.js';

/** One certificate chain with its private key (PEM). */
export interface TlsCertificate {
  readonly certificateChain: Buffer;
  readonly privateKey: Buffer;
  readonly passphrase: string | undefined;
}

/** Which SAN kind a matcher applies to (Envoy `SubjectAltNameMatcher.SanType`). */
export type SanType = 'DNS' | 'URI' | 'EMAIL' | 'IP_ADDRESS';

/** A `match_typed_subject_alt_names` entry. */
export interface SanMatcher {
  readonly sanType: SanType;
  readonly matcher: StringMatcher;
}

/** Compiled `validation_context`. */
export interface ValidationContext {
  /** PEM bundle of trusted CAs, or undefined when none is configured. */
  readonly trustedCa: Buffer | undefined;
  /** The peer must present a SAN matching one of these (empty = any). */
  readonly sanMatchers: readonly SanMatcher[];
}

/** Compiled `common_tls_context`. */
export interface CommonTlsContext {
  readonly certificates: readonly TlsCertificate[];
  readonly alpnProtocols: readonly string[];
  readonly params: TlsParams;
  readonly validation: ValidationContext | undefined;
}

const FIELDS = ['tls_certificates', 'alpn_protocols', 'tls_params', 'validation_context'];
const SAN_TYPES: readonly string[] = ['DNS', 'URI', 'EMAIL', 'IP_ADDRESS'];

/** Compiles a `common_tls_context` at `path` (absent → no certificates, no ALPN). */
export function compileCommonTlsContext(v: unknown, path: string): CommonTlsContext {
  const o = v === undefined || v === null ? {} : obj(v, path, FIELDS);
  const certificates = arr(o, 'tls_certificates', path).map((c, i) =>
    compileCertificate(c, `${path}.tls_certificates[${i}]`),
  );
  const alpnProtocols = arr(o, 'alpn_protocols', path).map((p, i) => {
    if (typeof p !== 'string' || p.length === 0 || p.length > 255) {
      throw new ProxyConfigError(
        `${path}.alpn_protocols[${i}]`,
        'expected a protocol name of 1 to 255 bytes',
      );
    }
    return p;
  });
  const validation =
    o.validation_context === undefined
      ? undefined
      : compileValidation(o.validation_context, `${path}.validation_context`);
  return {
    certificates,
    alpnProtocols,
    params: compileTlsParams(o.tls_params, `${path}.tls_params`),
    validation,
  };
}

function compileCertificate(v: unknown, path: string): TlsCertificate {
  const o = obj(v, path, ['certificate_chain', 'private_key', 'password']);
  if (o.certificate_chain === undefined)
    throw new ProxyConfigError(`${path}.certificate_chain`, 'required field is missing');
  if (o.private_key === undefined)
    throw new ProxyConfigError(`${path}.private_key`, 'required field is missing');
  const certificateChain = readDataSource(o.certificate_chain, `${path}.certificate_chain`);
  const privateKey = readDataSource(o.private_key, `${path}.private_key`);
  if (!certificateChain.includes('-----BEGIN CERTIFICATE-----')) {
    throw new ProxyConfigError(`${path}.certificate_chain`, 'no PEM certificate found');
  }
  if (!privateKey.includes('PRIVATE KEY-----')) {
    throw new ProxyConfigError(`${path}.private_key`, 'no PEM private key found');
  }
  const passphrase =
    o.password === undefined ? undefined : readDataSource(o.password, `${path}.password`).toString();
  return { certificateChain, privateKey, passphrase };
}

function compileValidation(v: unknown, path: string): ValidationContext {
  const o = obj(v, path, ['trusted_ca', 'match_typed_subject_alt_names']);
  const trustedCa =
    o.trusted_ca === undefined ? undefined : readDataSource(o.trusted_ca, `${path}.trusted_ca`);
  if (trustedCa !== undefined && !trustedCa.includes('-----BEGIN CERTIFICATE-----')) {
    throw new ProxyConfigError(`${path}.trusted_ca`, 'no PEM certificate found');
  }
  const sanMatchers = arr(o, 'match_typed_subject_alt_names', path).map((m, i) => {
    const p = `${path}.match_typed_subject_alt_names[${i}]`;
    const mo: Json = obj(m, p, ['san_type', 'matcher', 'oid']);
    const sanType = str(mo, 'san_type', p, true);
    if (!SAN_TYPES.includes(sanType)) {
      throw new ProxyConfigError(
        `${p}.san_type`,
        `unknown SAN type "${sanType}" (DNS, URI, EMAIL, IP_ADDRESS)`,
      );
    }
    return { sanType: sanType as SanType, matcher: compileStringMatcher(mo.matcher, `${p}.matcher`) };
  });
  return { trustedCa, sanMatchers };
}

/** Whether a peer's SANs satisfy the matchers (no matchers → true). */
export function sanMatches(matchers: readonly SanMatcher[], sans: readonly PeerSan[]): boolean {
  if (matchers.length === 0) return true;
  for (const m of matchers) {
    for (const s of sans) if (s.type === m.sanType && matchString(m.matcher, s.value)) return true;
  }
  return false;
}

/** One subject alternative name of a certificate. */
export interface PeerSan {
  readonly type: SanType;
  readonly value: string;
}
