/** @meshwork/control-plane: resources, validation, store, REST API, registry, translation and ADS. */
export * from './errors.js';
