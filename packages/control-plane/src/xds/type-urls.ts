/** The xDS type URL of each resource kind the translator produces. */
import { TYPE_URLS } from '@meshwork/xds';
import type { ResourceKind } from '../translate/snapshot.js';

/** Type URL of each resource kind. */
export const TYPE_URL_OF: Readonly<Record<ResourceKind, string>> = {
  listeners: TYPE_URLS.LISTENER,
  routes: TYPE_URLS.ROUTE_CONFIGURATION,
  clusters: TYPE_URLS.CLUSTER,
  endpoints: TYPE_URLS.CLUSTER_LOAD_ASSIGNMENT,
};
