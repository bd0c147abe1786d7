/**
 * Cross-reference analysis and the semantic rules a schema cannot state, after Istio's
 * validation and `istioctl analyze`. Errors reject the apply; warnings are returned and the apply
 * goes ahead. Every rule has a test in `validator.test.ts`; `docs/resources.md` lists them.
 *
 * Errors: a route/mirror destination naming an unknown host, an unknown subset or a port its
 * service does not declare; a VirtualService bound to an unknown Gateway, or using the wildcard
 * host for the mesh; more than one destination with a total weight of 0; an HTTP route without
 * an action, or with `route` and `redirect`/`directResponse`; a fault with neither delay nor
 * abort; a regex that does not compile or is not RE2; `rewrite.uri` with `uriRegexRewrite`; a
 * duration under 1 ms; duplicate subset names; Service, Gateway and ServiceEntry rules
 * (`edge-rules.ts`); security policy rules (`security-rules.ts`).
 *
 * Warnings: weights that do not sum to 100 (Istio sends weight/sum; older Istio rejected it); a
 * destination without a port when its service has several; two VirtualServices routing one host
 * on one gateway; a route that can never match; a subset whose labels no known instance carries;
 * a DestinationRule for an unknown host, or dropping a subset a VirtualService still routes to; a
 * VirtualService without hosts (delegate only); stored-but-not-translated `tcp`/`tls` routes and
 * Ingresses.
 */
import { isDeepStrictEqual } from 'node:util';
import { parseDurationMs } from '../resources/duration.js';
import { toFqdn } from '../resources/hosts.js';
import type {
  DestinationRuleSpec,
  GatewaySpec,
  HTTPRoute,
  ServiceEntrySpec,
  StringMatch,
  VirtualServiceSpec,
} from '../resources/istio-networking.js';
import type {
  AuthorizationPolicySpec,
  PeerAuthenticationSpec,
  RequestAuthenticationSpec,
} from '../resources/istio-security.js';
import type { IngressSpec, ServiceSpec } from '../resources/kubernetes.js';
import { analyzeGateway, analyzeIngress, analyzeService, analyzeServiceEntry } from './edge-rules.js';
import { type AnalysisOptions, type AnalyzedDocument, type Findings, Reporter } from './reporter.js';
import {
  analyzeAuthorizationPolicy,
  analyzePeerAuthentication,
  analyzeRequestAuthentication,
} from './security-rules.js';
import { routedHostKeys, type World } from './world.js';

export type { AnalysisOptions, AnalyzedDocument, Findings } from './reporter.js';

/** Runs every rule for one document against the world; appends to `findings`. */
export function analyzeDocument(
  doc: AnalyzedDocument,
  world: World,
  findings: Findings,
  opts: AnalysisOptions = {},
) {
  const report = new Reporter(doc, findings);
  switch (doc.kind) {
    case 'VirtualService':
      checkHostConflicts(doc.spec as VirtualServiceSpec, doc, world, report);
      return analyzeVirtualService(doc.spec as VirtualServiceSpec, doc.namespace, world, report, opts);
    case 'DestinationRule':
      return analyzeDestinationRule(doc.spec as DestinationRuleSpec, doc.namespace, world, report);
    case 'Service':
      return analyzeService(doc.name, doc.spec as ServiceSpec, report);
    case 'Ingress':
      return analyzeIngress(doc.spec as IngressSpec, doc.namespace, world, report);
    case 'Gateway':
      return analyzeGateway(doc.spec as GatewaySpec, report);
    case 'ServiceEntry':
      return analyzeServiceEntry(doc.spec as ServiceEntrySpec, report);
    case 'AuthorizationPolicy':
      return analyzeAuthorizationPolicy(doc.spec as AuthorizationPolicySpec, report);
    case 'PeerAuthentication':
      return analyzePeerAuthentication(doc.spec as PeerAuthenticationSpec, report);
    case 'RequestAuthentication':
      return analyzeRequestAuthentication(doc.spec as RequestAuthenticationSpec, report);
  }
}

function analyzeVirtualService(
  spec: VirtualServiceSpec,
  ns: string,
  world: World,
  report: Reporter,
  opts: AnalysisOptions,
): void {
  if (!spec.hosts || spec.hosts.length === 0) {
    report.warn('spec.hosts', 'no hosts: this VirtualService can only be used as a delegate');
  }
  const gateways = spec.gateways ?? [];
  if (gateways.length === 0 || gateways.includes('mesh')) {
    (spec.hosts ?? []).forEach((h, i) => {
      if (h === '*')
        report.error(`spec.hosts[${i}]`, 'the wildcard host * is not allowed for the mesh (sidecars)');
    });
  }
  gateways.forEach((g, i) => {
    if (g === 'mesh') return;
    const ref = g.includes('/') ? g : `${ns}/${g}`;
    if (!world.gatewayKnown(ref)) report.error(`spec.gateways[${i}]`, `gateway "${ref}" does not exist`);
  });
  for (const [i, route] of (spec.http ?? []).entries()) {
    analyzeHttpRoute(route, `spec.http[${i}]`, ns, world, report, opts);
  }
  checkIneffectiveMatches(spec.http ?? [], report);
  for (const [kind, routes] of [
    ['tcp', spec.tcp ?? []],
    ['tls', spec.tls ?? []],
  ] as const) {
    routes.forEach((route, i) => {
      const path = `spec.${kind}[${i}]`;
      if ((route.route?.length ?? 0) === 0)
        report.error(path, `a ${kind} route needs at least one destination`);
      checkWeights(route, path, report);
      for (const [j, d] of (route.route ?? []).entries()) {
        checkDestination(d.destination, `${path}.route[${j}].destination`, ns, world, report, opts);
      }
    });
  }
}

function checkHostConflicts(
  spec: VirtualServiceSpec,
  doc: AnalyzedDocument,
  world: World,
  report: Reporter,
): void {
  const self = `${doc.namespace}/${doc.name}`;
  const reported = new Set<string>();
  for (const key of routedHostKeys(spec.hosts ?? [], spec.gateways ?? [], doc.namespace)) {
    const others = world.otherRoutesFor(key, self);
    const [gateway, host] = key.split('|');
    if (others.length === 0 || reported.has(host)) continue;
    reported.add(host);
    report.warn(
      'spec.hosts',
      `host ${host} on ${gateway} is also routed by VirtualService ${others.join(', ')}: only one of them takes effect`,
    );
  }
}

function analyzeHttpRoute(
  route: HTTPRoute,
  path: string,
  ns: string,
  world: World,
  report: Reporter,
  opts: AnalysisOptions,
): void {
  const hasRoute = (route.route?.length ?? 0) > 0;
  if (!hasRoute && !route.redirect && !route.directResponse && !route.delegate) {
    report.error(path, 'an HTTP route needs one of route, redirect, directResponse or delegate');
  }
  if (hasRoute && (route.redirect || route.directResponse)) {
    report.error(path, 'route cannot be combined with redirect or directResponse');
  }
  if (route.redirect && route.directResponse) report.error(path, 'redirect and directResponse are exclusive');
  if (route.rewrite?.uri !== undefined && route.rewrite.uriRegexRewrite) {
    report.error(`${path}.rewrite`, 'uri and uriRegexRewrite are exclusive');
  }
  (route.match ?? []).forEach((m, j) => {
    const at = `${path}.match[${j}]`;
    checkRegex(m.uri, `${at}.uri`, report);
    checkRegex(m.method, `${at}.method`, report);
    checkRegex(m.authority, `${at}.authority`, report);
    for (const [name, sm] of Object.entries(m.headers ?? {})) checkRegex(sm, `${at}.headers.${name}`, report);
    for (const [name, sm] of Object.entries(m.queryParams ?? {}))
      checkRegex(sm, `${at}.queryParams.${name}`, report);
  });
  checkWeights(route, path, report);
  for (const [j, d] of (route.route ?? []).entries()) {
    checkDestination(d.destination, `${path}.route[${j}].destination`, ns, world, report, opts);
  }
  if (route.mirror) checkDestination(route.mirror, `${path}.mirror`, ns, world, report, opts);
  for (const [j, m] of (route.mirrors ?? []).entries()) {
    checkDestination(m.destination, `${path}.mirrors[${j}].destination`, ns, world, report, opts);
  }
  if (route.fault && !route.fault.delay && !route.fault.abort) {
    report.error(`${path}.fault`, 'a fault needs a delay or an abort');
  }
  checkMinDuration(route.timeout, `${path}.timeout`, report);
  checkMinDuration(route.fault?.delay?.fixedDelay, `${path}.fault.delay.fixedDelay`, report);
  checkMinDuration(route.retries?.perTryTimeout, `${path}.retries.perTryTimeout`, report);
}

/**
 * After `istioctl analyze` (IST0131): routes are tried in order, so a route after a catch-all
 * (no match conditions) never matches, nor does a match identical to an earlier route's.
 */
function checkIneffectiveMatches(routes: readonly HTTPRoute[], report: Reporter): void {
  const earlier: unknown[] = [];
  let catchAll: number | undefined;
  routes.forEach((route, i) => {
    if (catchAll !== undefined) {
      report.warn(`spec.http[${i}]`, `never matches: spec.http[${catchAll}] before it matches every request`);
      return;
    }
    const matches = route.match ?? [];
    matches.forEach((m, j) => {
      const { name: _name, ...conditions } = m;
      if (earlier.some((e) => isDeepStrictEqual(e, conditions))) {
        report.warn(`spec.http[${i}].match[${j}]`, 'never matches: an earlier route has the same conditions');
      }
      earlier.push(conditions);
    });
    const everything = matches.length === 0 || matches.some((m) => Object.keys(m).every((k) => k === 'name'));
    if (everything) catchAll = i;
  });
}

function checkWeights(route: { route?: { weight?: number }[] }, path: string, report: Reporter): void {
  const dests = route.route ?? [];
  if (dests.length < 2) return;
  const total = dests.reduce((sum, d) => sum + (d.weight ?? 0), 0);
  if (total === 0) {
    report.error(
      `${path}.route`,
      `${dests.length} destinations with a total weight of 0: no traffic can be routed`,
    );
  } else if (total !== 100) {
    report.warn(
      `${path}.route`,
      `weights sum to ${total}, not 100: each destination gets weight/${total} of traffic`,
    );
  }
}

function checkDestination(
  dest: { host: string; subset?: string; port?: { number: number } },
  path: string,
  ns: string,
  world: World,
  report: Reporter,
  opts: AnalysisOptions,
): void {
  const fqdn = toFqdn(dest.host, ns);
  if (!world.hostKnown(fqdn)) {
    const reason = `host "${dest.host}" (${fqdn}) is not a known Service, ServiceEntry or registered service`;
    if (opts.unknownHostSeverity === 'warning') report.warn(`${path}.host`, reason);
    else report.error(`${path}.host`, reason);
  }
  if (dest.subset !== undefined && !world.subsetKnown(fqdn, dest.subset)) {
    report.error(
      `${path}.subset`,
      `subset "${dest.subset}" is not defined by any DestinationRule for ${fqdn}`,
    );
  }
  checkDestinationPort(dest.port?.number, fqdn, path, world, report);
}

/** After `istioctl analyze`: the port must be one the service declares, and named when it has several. */
function checkDestinationPort(
  port: number | undefined,
  fqdn: string,
  path: string,
  world: World,
  report: Reporter,
): void {
  const ports = world.portsOf(fqdn);
  if (!ports || ports.length === 0) return;
  if (port === undefined) {
    if (ports.length > 1) {
      report.warn(`${path}.port`, `${fqdn} has ports ${ports.join(', ')}: name one with port.number`);
    }
  } else if (!ports.includes(port)) {
    report.error(`${path}.port.number`, `${fqdn} has no port ${port} (ports: ${ports.join(', ')})`);
  }
}

/** RE2 (what Envoy and gRPC evaluate) has no lookaround and no backreferences. */
const NOT_RE2 = /\(\?<?[=!]|\\[1-9]|\\k</;

function checkRegex(match: StringMatch | undefined, path: string, report: Reporter): void {
  if (match?.regex === undefined) return;
  try {
    new RegExp(match.regex);
  } catch (err) {
    report.error(`${path}.regex`, `invalid regular expression: ${(err as Error).message}`);
    return;
  }
  if (NOT_RE2.test(match.regex)) {
    report.error(
      `${path}.regex`,
      'lookaround and backreferences are not RE2 syntax; proxies would reject the route',
    );
  }
}

function checkMinDuration(text: string | undefined, path: string, report: Reporter): void {
  if (text === undefined) return;
  const ms = parseDurationMs(text);
  // Zero means "disabled" for Istio timeouts; anything else must be at least 1 ms.
  if (ms !== undefined && ms > 0 && ms < 1) report.error(path, `must be at least 1ms (got "${text}")`);
}

function analyzeDestinationRule(spec: DestinationRuleSpec, ns: string, world: World, report: Reporter): void {
  const fqdn = toFqdn(spec.host, ns);
  if (!world.hostKnown(fqdn)) {
    report.warn(
      'spec.host',
      `host "${spec.host}" (${fqdn}) is not a known Service, ServiceEntry or registered service`,
    );
  }
  const names = new Set<string>();
  (spec.subsets ?? []).forEach((subset, i) => {
    if (names.has(subset.name))
      report.error(`spec.subsets[${i}].name`, `duplicate subset name "${subset.name}"`);
    names.add(subset.name);
    const labels = subset.labels ?? {};
    if (Object.keys(labels).length > 0 && world.labelsCarried(fqdn, labels) === false) {
      report.warn(
        `spec.subsets[${i}].labels`,
        `no known instance of ${fqdn} carries ${JSON.stringify(labels)}`,
      );
    }
  });
  for (const { subset, virtualService } of world.danglingSubsets(fqdn)) {
    report.warn(
      'spec.subsets',
      `subset "${subset}" is no longer defined but VirtualService ${virtualService} routes to it`,
    );
  }
}
