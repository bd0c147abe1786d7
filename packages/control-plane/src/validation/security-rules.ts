/**
 * Rules for the `security.istio.io` kinds, after Istio's validation. The security layer enforces
 * these policies; rejecting a malformed one here keeps it from ever reaching a proxy.
 */
import type {
  AuthorizationPolicySpec,
  PeerAuthenticationSpec,
  RequestAuthenticationSpec,
} from '../resources/istio-security.js';
import type { Reporter } from './reporter.js';

/** Attribute keys `when` conditions may test (Istio's authorization conditions). */
const CONDITION_KEY =
  /^(request\.headers\[[^\]]+\]|source\.(ip|namespace|principal)|remote\.ip|destination\.(ip|port)|connection\.sni|request\.auth\.(principal|audiences|presenter|claims(\[[^\]]+\])+)|experimental\.envoy\.filters\..+)$/;

/**
 * AuthorizationPolicy: `provider` exactly with `action: CUSTOM`; no empty `source`/`operation`;
 * paths start with `/` or `*`; `when` keys are known attributes.
 */
export function analyzeAuthorizationPolicy(spec: AuthorizationPolicySpec, report: Reporter): void {
  const custom = spec.action === 'CUSTOM';
  if (custom && !spec.provider) report.error('spec.provider', 'is required with action CUSTOM');
  if (!custom && spec.provider) report.error('spec.provider', 'is only allowed with action CUSTOM');
  (spec.rules ?? []).forEach((rule, i) => {
    const at = `spec.rules[${i}]`;
    (rule.from ?? []).forEach((f, j) => {
      if (Object.keys(f.source).length === 0) report.error(`${at}.from[${j}].source`, 'must not be empty');
    });
    (rule.to ?? []).forEach((t, j) => {
      const op = t.operation;
      if (Object.keys(op).length === 0) report.error(`${at}.to[${j}].operation`, 'must not be empty');
      for (const [field, paths] of [
        ['paths', op.paths],
        ['notPaths', op.notPaths],
      ] as const) {
        (paths ?? []).forEach((p, k) => {
          if (!p.startsWith('/') && !p.startsWith('*')) {
            report.error(`${at}.to[${j}].operation.${field}[${k}]`, `"${p}" must start with "/" or "*"`);
          }
        });
      }
    });
    (rule.when ?? []).forEach((c, j) => {
      if (!CONDITION_KEY.test(c.key))
        report.error(`${at}.when[${j}].key`, `"${c.key}" is not a known attribute`);
      if (!c.values?.length && !c.notValues?.length) {
        report.error(`${at}.when[${j}]`, 'needs values or notValues');
      }
    });
  });
}

/** PeerAuthentication: port-level settings need a workload selector (Istio's rule). */
export function analyzePeerAuthentication(spec: PeerAuthenticationSpec, report: Reporter): void {
  const ports = Object.keys(spec.portLevelMtls ?? {});
  if (ports.length > 0 && !spec.selector?.matchLabels) {
    report.error(
      'spec.portLevelMtls',
      'needs a selector: port-level mTLS applies to selected workloads only',
    );
  }
}

/** RequestAuthentication: issuers unique; `jwksUri` an http(s) URL. */
export function analyzeRequestAuthentication(spec: RequestAuthenticationSpec, report: Reporter): void {
  const issuers = new Set<string>();
  (spec.jwtRules ?? []).forEach((rule, i) => {
    if (issuers.has(rule.issuer))
      report.error(`spec.jwtRules[${i}].issuer`, `duplicate issuer "${rule.issuer}"`);
    issuers.add(rule.issuer);
    if (rule.jwksUri !== undefined && !/^https?:\/\/[^\s/]+/.test(rule.jwksUri)) {
      report.error(`spec.jwtRules[${i}].jwksUri`, `"${rule.jwksUri}" is not an http(s) URL`);
    }
  });
}
