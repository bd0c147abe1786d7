/** Picks the connection pool of a host by the cluster's protocol (HTTP/1.1 or HTTP/2). */

import { Http2ConnectionPool } from '../http2/http2-connection-pool.js';
import type { Cluster, Host } from '../upstream/types.js';
import { Http1Pool } from './http1-pool.js';
import type { ConnectionPool } from './upstream-callbacks.js';

/** The pool stored in `host.pool`, created on first use. */
export function poolFor(host: Host, cluster: Cluster): ConnectionPool {
  return cluster.http2 ? Http2ConnectionPool.of(host, cluster) : Http1Pool.of(host, cluster);
}
