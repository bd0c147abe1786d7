/**
 * Meshwork's own kinds (`meshwork.dev/v1alpha1`), only where Istio and Kubernetes have none that
 * fits a mesh without Kubernetes. Kept deliberately small:
 *
 * - `ServiceInstance`: a static instance of a service (address + ports + labels) for workloads that
 *   do not register themselves, e.g. a database or a legacy host. Istio's WorkloadEntry needs a
 *   ServiceEntry with a `workloadSelector` to join a service; a ServiceInstance names its
 *   `service` directly, and it is what the registry would hold had the workload registered.
 */

/** `spec` of a `meshwork.dev/v1alpha1` ServiceInstance. */
export interface ServiceInstanceSpec {
  /** The service (Kubernetes Service name or ServiceEntry host) this instance belongs to. */
  service: string;
  address: string;
  /** Port the instance serves on. */
  port: number;
  /** Port of its sidecar's inbound listener, when it has one. */
  sidecarPort?: number;
  protocol?: 'http' | 'grpc' | 'tcp';
  labels?: Record<string, string>;
  version?: string;
  serviceAccount?: string;
  locality?: string;
  weight?: number;
}
