/**
 * Envoy clusters: one per service port and DestinationRule subset (EDS over ADS, or DNS for
 * ServiceEntry hosts without endpoints), plus the sidecar's static inbound cluster.
 */
import type { DestinationRule } from '../resources/kinds.js';
import { adsConfigSource, type EnvoyJson, socketAddress } from './envoy.js';
import type { ServiceModel, ServicePortModel } from './model.js';
import { inboundClusterName, outboundClusterName } from './names.js';
import {
  applyLoadBalancer,
  circuitBreakers,
  commonLbConfig,
  connectTimeout,
  effectivePolicy,
  outlierDetection,
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
  return cluster;
}

/** Names of the subsets a DestinationRule defines. */
export function subsetNames(dr: DestinationRule | undefined): string[] {
  return dr?.spec.subsets?.map((s) => s.name) ?? [];
}

/** The sidecar's inbound cluster: the local app on loopback. */
export function inboundCluster(appPort: number): EnvoyJson {
  const name = inboundClusterName(appPort);
  return {
    name,
    type: 'STATIC',
    connect_timeout: '10s',
    lb_policy: 'ROUND_ROBIN',
    load_assignment: {
      cluster_name: name,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: socketAddress('127.0.0.1', appPort) } }] }],
    },
  };
}
