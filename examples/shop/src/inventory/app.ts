/**
 * The inventory service: stock over HTTP (`GET /api/inventory/:productId`) and the reservation
 * API over gRPC (`meshwork.shop.inventory.v1.Inventory`, used by orders), on `GRPC_PORT`.
 * The gRPC port registers as its own service, `inventory-grpc`.
 */
import { fileURLToPath } from 'node:url';
import { NotFoundError, type Service } from '@meshwork/service';
import { grpc, healthService, loadProto, startGrpcServer } from '@meshwork/service/grpc';
import type { Database } from '../db/database.js';
import {
  InsufficientStockError,
  type InventoryRepository,
  openInventoryRepository,
  UnknownProductError,
} from './repository.js';

/** Path of the inventory proto (same relative place from src/ and dist/). */
export const INVENTORY_PROTO = fileURLToPath(new URL('../../proto/inventory.proto', import.meta.url));

type Callback = grpc.sendUnaryData<unknown>;

class InvalidArgumentError extends Error {}

function toGrpcError(err: unknown): Partial<grpc.StatusObject> {
  if (err instanceof InsufficientStockError)
    return { code: grpc.status.FAILED_PRECONDITION, details: err.message };
  if (err instanceof UnknownProductError) return { code: grpc.status.NOT_FOUND, details: err.message };
  if (err instanceof InvalidArgumentError)
    return { code: grpc.status.INVALID_ARGUMENT, details: err.message };
  return { code: grpc.status.INTERNAL, details: err instanceof Error ? err.message : String(err) };
}

function validItems(items: { productId?: string; quantity?: number }[] | undefined): string | undefined {
  if (!items || items.length === 0) return 'items must not be empty';
  const bad = items.findIndex((i) => !i.productId || !Number.isInteger(i.quantity) || (i.quantity ?? 0) < 1);
  if (bad >= 0) return `items[${bad}] needs a product_id and a quantity ≥ 1`;
  const seen = new Set<string>();
  const dup = items.findIndex((i) => seen.size === seen.add(i.productId ?? '').size);
  return dup >= 0 ? `items[${dup}] repeats product_id ${items[dup].productId}` : undefined;
}

function implementation(repo: InventoryRepository): grpc.UntypedServiceImplementation {
  const handle =
    (fn: (req: any) => Promise<unknown>) => (call: grpc.ServerUnaryCall<any, unknown>, cb: Callback) => {
      fn(call.request).then(
        (res) => cb(null, res),
        (err) => cb(toGrpcError(err)),
      );
    };
  return {
    Reserve: handle(async (req: { orderId: string; items: { productId: string; quantity: number }[] }) => {
      const problem = !req.orderId ? 'order_id is required' : validItems(req.items);
      if (problem) throw new InvalidArgumentError(problem);
      return repo.reserve(req.orderId, req.items);
    }),
    Release: handle((req: { orderId: string }) => repo.release(req.orderId)),
    GetStock: handle(async (req: { productId: string }) => {
      const stock = await repo.stock(req.productId);
      if (!stock) throw new UnknownProductError(req.productId);
      return stock;
    }),
  };
}

/** Wires inventory's HTTP routes and starts its gRPC server. */
export async function inventoryApp(svc: Service, db: Database, env: NodeJS.ProcessEnv): Promise<void> {
  const repo = await openInventoryRepository(db);
  svc.router.get('/api/inventory/:productId', async (ctx) => {
    const stock = await repo.stock(ctx.params.productId);
    if (!stock) throw new NotFoundError(`product ${ctx.params.productId} is not stocked`);
    return stock;
  });
  const pkg = loadProto(INVENTORY_PROTO) as any;
  const service = pkg.meshwork.shop.inventory.v1.Inventory.service as grpc.ServiceDefinition;
  const handle = await startGrpcServer({
    port: Number(env.GRPC_PORT ?? 0),
    services: [
      { definition: service, implementation: implementation(repo) },
      healthService(() => svc.ready, ['meshwork.shop.inventory.v1.Inventory']),
    ],
  });
  svc.log.info({ port: handle.port }, 'inventory gRPC listening');
  svc.alsoRegister({
    service: 'inventory-grpc',
    namespace: env.MESHWORK_NAMESPACE,
    instanceId: `${svc.instanceId}-grpc`,
    port: handle.port,
    protocol: 'grpc',
    version: env.MESHWORK_VERSION,
    healthCheck: { type: 'grpc', port: handle.port },
  });
  svc.onShutdown(() => handle.close(5000));
}
