/**
 * The saga's participants as remote calls: inventory over gRPC (`inventory-grpc`), payments,
 * shipping and notifications over HTTP/JSON — through the sidecar or proxyless, as the
 * environment says. Business refusals become {@link StepFailure}s.
 */
import { CircuitBreaker, type Policy, Retry, wrap } from '@meshwork/resilience';
import { connect, type ServiceClient, UpstreamStatusError } from '@meshwork/service';
import { grpc, grpcClient, loadProto, unary } from '@meshwork/service/grpc';
import { INVENTORY_PROTO } from '../inventory/app.js';
import type { Order } from './repository.js';
import { type SagaParticipants, StepFailure } from './saga.js';

const BUSINESS_CODES = new Set([
  grpc.status.FAILED_PRECONDITION,
  grpc.status.NOT_FOUND,
  grpc.status.INVALID_ARGUMENT,
]);
const TRANSIENT_CODES = new Set([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED]);
const isTransientGrpc = (err: unknown) => TRANSIENT_CODES.has((err as grpc.ServiceError).code);

/**
 * Proxyless policy for the inventory RPCs: Reserve and Release are idempotent by order id, so
 * UNAVAILABLE and DEADLINE_EXCEEDED are retried; a breaker stops hammering an inventory that is down.
 */
function inventoryPolicy(): Policy {
  return wrap(
    new Retry('inventory-grpc', {
      maxAttempts: 3,
      waitDurationMs: 100,
      enableExponentialBackoff: true,
      exponentialBackoffMultiplier: 2,
      retryOnError: isTransientGrpc,
    }),
    new CircuitBreaker('inventory-grpc', {
      slidingWindowSize: 20,
      minimumNumberOfCalls: 10,
      waitDurationInOpenStateMs: 5000,
      recordException: isTransientGrpc,
    }),
  );
}

/** Remote clients the orders service uses. */
export interface OrderClients {
  catalog: ServiceClient;
  users: ServiceClient;
  payments: ServiceClient;
  shipping: ServiceClient;
  notifications: ServiceClient;
  inventory: () => Promise<grpc.Client>;
  /** Wraps inventory RPCs; undefined through a sidecar, which retries by mesh config. */
  inventoryPolicy: Policy | undefined;
  close(): Promise<void>;
}

/** Builds the clients from the environment. */
export function createOrderClients(env: NodeJS.ProcessEnv): OrderClients {
  const pkg = loadProto(INVENTORY_PROTO) as any;
  const Inventory = pkg.meshwork.shop.inventory.v1.Inventory as new (
    address: string,
    credentials: grpc.ChannelCredentials,
    options?: grpc.ClientOptions,
  ) => grpc.Client;
  const clients = {
    catalog: connect('catalog', { env }),
    users: connect('users', { env }),
    payments: connect('payments', { env }),
    shipping: connect('shipping', { env }),
    notifications: connect('notifications', { env }),
  };
  return {
    ...clients,
    inventory: grpcClient(Inventory, 'inventory-grpc', { env }),
    inventoryPolicy: env.MESHWORK_SIDECAR_OUTBOUND_PORT ? undefined : inventoryPolicy(),
    async close() {
      await Promise.all(Object.values(clients).map((c) => c.close()));
    },
  };
}

async function grpcCall(clients: OrderClients, method: string, request: unknown): Promise<unknown> {
  const call = async () => unary(await clients.inventory(), method, request);
  try {
    return await (clients.inventoryPolicy ? clients.inventoryPolicy.execute(call) : call());
  } catch (err) {
    const code = (err as grpc.ServiceError).code;
    if (BUSINESS_CODES.has(code))
      throw new StepFailure('SHOP_ERR_INVENTORY', (err as grpc.ServiceError).details);
    throw err;
  }
}

/** The participants over the given clients; `addressOf` finds the shipping address. */
export function remoteParticipants(
  clients: OrderClients,
  addressOf: (userId: string) => Promise<string>,
): SagaParticipants {
  const refund = (order: Order) =>
    clients.payments.post('/api/payments/refunds', { orderId: order.id }).then(() => undefined);
  return {
    async reserveInventory(order) {
      const items = order.items.map((i) => ({ productId: i.productId, quantity: i.quantity }));
      await grpcCall(clients, 'Reserve', { orderId: order.id, items });
    },
    async releaseInventory(order) {
      await grpcCall(clients, 'Release', { orderId: order.id });
    },
    async chargePayment(order, idempotencyKey) {
      try {
        await clients.payments.post(
          '/api/payments',
          { orderId: order.id, amountCents: order.totalCents },
          { idempotencyKey },
        );
      } catch (err) {
        if (err instanceof UpstreamStatusError && err.status === 402) {
          throw new StepFailure('SHOP_ERR_PAYMENT_DECLINED', 'payment declined');
        }
        // The outcome is unknown (timeout, reset): refund is idempotent, so undo a charge that may have landed.
        await refund(order).catch(() => undefined);
        throw err;
      }
    },
    refundPayment: refund,
    async scheduleShipping(order, idempotencyKey) {
      const address = await addressOf(order.userId);
      await clients.shipping.post('/api/shipments', { orderId: order.id, address }, { idempotencyKey });
    },
    async notify(order, message, idempotencyKey) {
      await clients.notifications.post(
        '/api/notifications',
        { userId: order.userId, message },
        { idempotencyKey },
      );
    },
  };
}
