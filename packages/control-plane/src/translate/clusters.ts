/**
 * Envoy clusters: one per service port and DestinationRule subset (EDS over ADS, or DNS for
 * ServiceEntry hosts without endpoints), plus the sidecar's static inbound cluster.
 */
import type { DestinationRule } from '../resources/kinds.js';
import { adsConfigSource, type EnvoyJson, socketAddress } from './envoy.js';
import type { PortProtocol, ServiceModel, ServicePortModel } from './model.js';
import { inboundClusterName, outboundClusterName } from './names.js';
import {
  applyLoadBalancer,
  circuitBreakers,
  commonLbConfig,
  connectTimeout,
  effectivePolicy,
  outlierDetection,
  upstreamProtocolOptions,
} from './traffic-policy.js';

/** Everything that decides the shape of one outbound cluster. */
export interface OutboundClusterInput {
  service: ServiceModel;
  port: ServicePortModel;
  subset?: string;
  destinationRule?: DestinationRule;
  proxyless: boolean;
}

/** Builds one outbound cluster. */
export function outboundCluster(input: OutboundClusterInput): EnvoyJson {
  const { service, port, subset, destinationRule, proxyless } = input;
  const name = outboundClusterName(port.port, subset, service.fqdn);
  const policy = effectivePolicy(destinationRule, port.port, subset);
  const cluster: EnvoyJson = { name };
  if (service.resolution === 'DNS') {
    cluster.type = proxyless ? 'LOGICAL_DNS' : 'STRICT_DNS';
    cluster.load_assignment = {
      cluster_name: name,
      endpoints: [
        {
          lb_endpoints: [
            { endpoint: { address: socketAddress(service.fqdn, port.targetPort ?? port.port) } },
          ],
        },
      ],
    };
  } else {
    cluster.type = 'EDS';
    cluster.eds_cluster_config = { eds_config: adsConfigSource(), service_name: name };
  }
  cluster.connect_timeout = connectTimeout(policy.connectionPool);
  applyLoadBalancer(cluster, policy.loadBalancer, proxyless);
  const breakers = circuitBreakers(policy.connectionPool);
  if (breakers) cluster.circuit_breakers = breakers;
  const od = outlierDetection(policy.outlierDetection);
  if (od) cluster.outlier_detection = od;
  const common = commonLbConfig(policy.outlierDetection);
  if (common) cluster.common_lb_config = common;
  // Proxyless gRPC clients always speak HTTP/2 and take no upstream protocol options.
  const protocolOptions = proxyless
    ? undefined
    : upstreamProtocolOptions(port.protocol, policy.connectionPool);
  if (protocolOptions) cluster.typed_extension_protocol_options = protocolOptions;
  return cluster;
}

/** Names of the subsets a DestinationRule defines. */
export function subsetNames(dr: DestinationRule | undefined): string[] {
  return dr?.spec.subsets?.map((s) => s.name) ?? [];
}

/** The sidecar's inbound cluster: the local app on loopback, over HTTP/2 when it serves gRPC/HTTP/2. */
export function inboundCluster(appPort: number, protocol: PortProtocol = 'http'): EnvoyJson {
  const name = inboundClusterName(appPort);
  const cluster: EnvoyJson = {
    name,
    type: 'STATIC',
    connect_timeout: '10s',
    lb_policy: 'ROUND_ROBIN',
    load_assignment: {
      cluster_name: name,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: socketAddress('127.0.0.1', appPort) } }] }],
    },
  };
  const protocolOptions = upstreamProtocolOptions(protocol, undefined);
  if (protocolOptions) cluster.typed_extension_protocol_options = protocolOptions;
  return cluster;
}
