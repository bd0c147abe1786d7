/** @meshwork/control-plane: resources, validation, store, REST API, registry, translation and ADS. */
export * from './errors.js';
export * from './resources/duration.js';
export * from './resources/hosts.js';
export type * from './resources/istio-networking.js';
export type * from './resources/istio-security.js';
export * from './resources/kinds.js';
export type * from './resources/kubernetes.js';
export type * from './resources/meshwork.js';
export * from './resources/resource.js';
export * from './validation/analysis.js';
export * from './validation/documents.js';
export * from './validation/validator.js';
export * from './validation/world.js';
