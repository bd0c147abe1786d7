/**
 * Spec types of Istio's `security.istio.io` kinds. They are validated and stored here; the
 * security layer enforces them.
 */

/** Selects workloads by labels. */
export interface WorkloadSelector {
  matchLabels?: Record<string, string>;
}

/** Who a request comes from. */
export interface AuthorizationSource {
  principals?: string[];
  notPrincipals?: string[];
  requestPrincipals?: string[];
  notRequestPrincipals?: string[];
  namespaces?: string[];
  notNamespaces?: string[];
  ipBlocks?: string[];
  notIpBlocks?: string[];
  remoteIpBlocks?: string[];
  notRemoteIpBlocks?: string[];
}

/** What a request does. */
export interface AuthorizationOperation {
  hosts?: string[];
  notHosts?: string[];
  ports?: string[];
  notPorts?: string[];
  methods?: string[];
  notMethods?: string[];
  paths?: string[];
  notPaths?: string[];
}

/** An extra condition on a request attribute. */
export interface AuthorizationCondition {
  key: string;
  values?: string[];
  notValues?: string[];
}

/** One rule: all of `from`, `to` and `when` must match. */
export interface AuthorizationRule {
  from?: { source: AuthorizationSource }[];
  to?: { operation: AuthorizationOperation }[];
  when?: AuthorizationCondition[];
}

/** `spec` of an AuthorizationPolicy. */
export interface AuthorizationPolicySpec {
  selector?: WorkloadSelector;
  rules?: AuthorizationRule[];
  action?: 'ALLOW' | 'DENY' | 'AUDIT' | 'CUSTOM';
  provider?: { name: string };
}

/** Mutual-TLS mode. */
export type MutualTlsMode = 'UNSET' | 'DISABLE' | 'PERMISSIVE' | 'STRICT';

/** `spec` of a PeerAuthentication. */
export interface PeerAuthenticationSpec {
  selector?: WorkloadSelector;
  mtls?: { mode?: MutualTlsMode };
  portLevelMtls?: Record<string, { mode?: MutualTlsMode }>;
}

/** A JWT issuer accepted by a RequestAuthentication. */
export interface JWTRule {
  issuer: string;
  audiences?: string[];
  jwksUri?: string;
  jwks?: string;
  fromHeaders?: { name: string; prefix?: string }[];
  fromParams?: string[];
  fromCookies?: string[];
  outputPayloadToHeader?: string;
  forwardOriginalToken?: boolean;
  outputClaimToHeaders?: { header: string; claim: string }[];
  timeout?: string;
}

/** `spec` of a RequestAuthentication. */
export interface RequestAuthenticationSpec {
  selector?: WorkloadSelector;
  jwtRules?: JWTRule[];
}
