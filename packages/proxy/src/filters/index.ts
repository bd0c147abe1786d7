/** Registers the built-in HTTP filters. Importing this module is enough. */
import { corsFilterFactory } from './cors/cors-filter.js';
import { faultFilterFactory } from './fault/fault-filter.js';
import { registerHttpFilter } from './registry.js';
import { routerFilterFactory } from './router/router-filter.js';

registerHttpFilter(corsFilterFactory);
registerHttpFilter(faultFilterFactory);
registerHttpFilter(routerFilterFactory);

export { CORS_FILTER_NAME, CorsFilter, corsFilterFactory } from './cors/cors-filter.js';
export { FAULT_FILTER_NAME, FaultFilter, faultFilterFactory } from './fault/fault-filter.js';
export type { FilterStatus, FilterStream, HttpFilter, HttpFilterFactory, ResponseFlag } from './filter.js';
export { createHttpFilter, registeredHttpFilters, registerHttpFilter } from './registry.js';
export { ROUTER_FILTER_NAME, RouterFilter, routerFilterFactory } from './router/router-filter.js';
