/** @meshwork/control-plane: resources, validation, store, REST API, registry, translation and ADS. */

export * from './api/body.js';
export * from './api/http.js';
export * from './api/resource-routes.js';
export * from './api/server.js';
export * from './api/watch-route.js';
export * from './errors.js';
export * from './resources/duration.js';
export * from './resources/hosts.js';
export type * from './resources/istio-networking.js';
export type * from './resources/istio-security.js';
export * from './resources/kinds.js';
export type * from './resources/kubernetes.js';
export type * from './resources/meshwork.js';
export * from './resources/resource.js';
export * from './store/apply-plan.js';
export * from './store/conformance.js';
export * from './store/etcd-process.js';
export * from './store/etcd-store.js';
export * from './store/label-selector.js';
export * from './store/memory-file-store.js';
export * from './store/open-store.js';
export type * from './store/resource-store.js';
export * from './validation/analysis.js';
export * from './validation/documents.js';
export * from './validation/validator.js';
export * from './validation/world.js';
