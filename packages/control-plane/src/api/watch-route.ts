/**
 * `GET /v1/watch?fromRevision=N[&kind=…][&namespace=…]`: store events as Server-Sent Events.
 * Each event is `id: <revision>`, `event: ADDED|MODIFIED|DELETED`, `data: <json>`; a client that
 * reconnects with `Last-Event-ID` resumes after that revision. Without either, the stream starts
 * with the whole history (or a resync of current state). A client too slow to drain
 * `maxBufferedBytes` is disconnected rather than letting the server buffer without bound; it
 * reconnects with `Last-Event-ID`.
 */
import { ControlPlaneError } from '../errors.js';
import type { KindInfo } from '../resources/kinds.js';
import type { ResourceStore, WatchEvent } from '../store/resource-store.js';
import type { Route, RouteContext } from './server.js';

/** Options of the watch route. */
export interface WatchRouteOptions {
  heartbeatMs: number;
  kindParam(name: string): KindInfo;
  maxBufferedBytes?: number;
}

/** Builds the SSE watch route. */
export function watchRoute(store: ResourceStore, opts: WatchRouteOptions): Route {
  return { method: 'GET', path: '/v1/watch', handler: (ctx) => serveWatch(ctx, store, opts) };
}

function revisionParam(ctx: RouteContext): number {
  const raw =
    (ctx.req.headers['last-event-id'] as string | undefined) ?? ctx.query.get('fromRevision') ?? '0';
  if (!/^\d+$/.test(raw)) {
    throw new ControlPlaneError(
      'MESH_ERR_CP_BAD_REQUEST',
      `fromRevision must be a non-negative integer (got "${raw}")`,
    );
  }
  return Number(raw);
}

function serveWatch(ctx: RouteContext, store: ResourceStore, opts: WatchRouteOptions): void {
  const fromRevision = revisionParam(ctx);
  const kindName = ctx.query.get('kind');
  const kind = kindName ? opts.kindParam(kindName).kind : undefined;
  const namespace = ctx.query.get('namespace') || undefined;
  const maxBufferedBytes = opts.maxBufferedBytes ?? 8 * 1024 * 1024;
  const { res } = ctx;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write(`retry: 1000\n: watching from revision ${fromRevision}\n\n`);
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), opts.heartbeatMs);
  heartbeat.unref();
  let stop: (() => void) | undefined;
  const end = () => {
    clearInterval(heartbeat);
    stop?.();
    stop = undefined;
  };
  res.once('close', end);
  stop = store.watch(fromRevision, (event: WatchEvent) => {
    if (kind !== undefined && event.resource.kind !== kind) return;
    if (namespace !== undefined && event.resource.metadata.namespace !== namespace) return;
    res.write(`id: ${event.revision}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
    if (res.writableLength > maxBufferedBytes) {
      end();
      res.destroy();
    }
  });
  if (res.destroyed) end();
}
