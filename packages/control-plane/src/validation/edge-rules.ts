/**
 * Rules for the resources at the edges of the mesh: Kubernetes Services and Ingresses, Istio
 * Gateways and ServiceEntries. They follow Istio's own validation where it has a rule.
 */
import { toFqdn } from '../resources/hosts.js';
import type { GatewaySpec, ServiceEntrySpec } from '../resources/istio-networking.js';
import type { IngressSpec, ServiceSpec } from '../resources/kubernetes.js';
import type { Reporter } from './reporter.js';
import type { World } from './world.js';

/** Kubernetes requires Service names to be DNS-1035 labels: they become DNS names. */
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * Service: the name is a DNS-1035 label; ports need names when there are several, and must not
 * repeat.
 */
export function analyzeService(name: string, spec: ServiceSpec, report: Reporter): void {
  if (!DNS_1035_LABEL.test(name)) {
    report.error(
      'metadata.name',
      `"${name}" is not a valid Service name (a DNS label: a-z, 0-9, '-', starting with a letter, at most 63)`,
    );
  }
  const ports = spec.ports ?? [];
  const names = new Set<string>();
  const numbers = new Set<string>();
  ports.forEach((p, i) => {
    if (ports.length > 1 && !p.name)
      report.error(`spec.ports[${i}].name`, 'is required when a Service has several ports');
    if (p.name && names.has(p.name)) report.error(`spec.ports[${i}].name`, `duplicate port name "${p.name}"`);
    const key = `${p.port}/${p.protocol ?? 'TCP'}`;
    if (numbers.has(key)) report.error(`spec.ports[${i}].port`, `duplicate port ${key}`);
    if (p.name) names.add(p.name);
    numbers.add(key);
  });
}

/** Ingress: stored only; backends should exist. */
export function analyzeIngress(spec: IngressSpec, ns: string, world: World, report: Reporter): void {
  report.warn(
    '',
    'Ingress is stored and validated but not translated; use a Gateway and VirtualService for routing',
  );
  (spec.rules ?? []).forEach((rule, i) => {
    (rule.http?.paths ?? []).forEach((p, j) => {
      const svc = p.backend.service?.name;
      if (svc && !world.hostKnown(toFqdn(svc, ns))) {
        report.warn(
          `spec.rules[${i}].http.paths[${j}].backend.service.name`,
          `Service "${svc}" does not exist`,
        );
      }
    });
  });
}

/**
 * Gateway: one protocol per port number (Istio: "conflicting protocols"); TLS settings only on
 * HTTPS/TLS servers, and those need TLS settings; server names unique.
 */
export function analyzeGateway(spec: GatewaySpec, report: Reporter): void {
  const protocolByPort = new Map<number, string>();
  const names = new Set<string>();
  spec.servers.forEach((server, i) => {
    const { number, protocol } = server.port;
    const seen = protocolByPort.get(number);
    if (seen !== undefined && seen !== protocol) {
      report.error(`spec.servers[${i}].port.protocol`, `port ${number} is already ${seen} in another server`);
    }
    protocolByPort.set(number, protocol);
    const secure = protocol === 'HTTPS' || protocol === 'TLS';
    if (secure && !server.tls) report.error(`spec.servers[${i}].tls`, `is required for a ${protocol} server`);
    if (server.tls && !secure && !server.tls.httpsRedirect) {
      report.error(
        `spec.servers[${i}].tls`,
        `only HTTPS and TLS servers terminate TLS (this one is ${protocol})`,
      );
    }
    if (server.name !== undefined) {
      if (names.has(server.name))
        report.error(`spec.servers[${i}].name`, `duplicate server name "${server.name}"`);
      names.add(server.name);
    }
  });
}

/**
 * ServiceEntry, after Istio's validation: STATIC resolution needs endpoints (or a workload
 * selector) with addresses; DNS resolution cannot use wildcard hosts; port numbers and names are
 * unique; every endpoint port name refers to a declared port.
 */
export function analyzeServiceEntry(spec: ServiceEntrySpec, report: Reporter): void {
  const resolution = spec.resolution ?? 'NONE';
  const endpoints = spec.endpoints ?? [];
  if (resolution === 'STATIC' && endpoints.length === 0 && !spec.workloadSelector) {
    report.error('spec.endpoints', 'STATIC resolution needs endpoints or a workloadSelector');
  }
  if (resolution === 'STATIC') {
    endpoints.forEach((e, i) => {
      if (!e.address) report.error(`spec.endpoints[${i}].address`, 'is required with STATIC resolution');
    });
  }
  if (resolution === 'DNS' || resolution === 'DNS_ROUND_ROBIN') {
    spec.hosts.forEach((h, i) => {
      if (h.includes('*') && endpoints.length === 0) {
        report.error(
          `spec.hosts[${i}]`,
          `a wildcard host cannot be resolved with ${resolution} and no endpoints`,
        );
      }
    });
  }
  const numbers = new Set<number>();
  const names = new Set<string>();
  (spec.ports ?? []).forEach((p, i) => {
    if (numbers.has(p.number)) report.error(`spec.ports[${i}].number`, `duplicate port ${p.number}`);
    if (names.has(p.name)) report.error(`spec.ports[${i}].name`, `duplicate port name "${p.name}"`);
    numbers.add(p.number);
    names.add(p.name);
  });
  endpoints.forEach((e, i) => {
    for (const name of Object.keys(e.ports ?? {})) {
      if (!names.has(name))
        report.error(`spec.endpoints[${i}].ports.${name}`, `names no port of this ServiceEntry`);
    }
  });
}
