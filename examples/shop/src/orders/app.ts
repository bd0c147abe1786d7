/**
 * The orders service: `POST /api/orders` prices the items (catalog), checks the user, stores a
 * PENDING order and runs the saga to CONFIRMED or REJECTED. An `Idempotency-Key` makes a retried
 * POST return the first order instead of placing a second one.
 */
import {
  NotFoundError,
  pingIndicator,
  reply,
  type Service,
  UnprocessableError,
  UpstreamStatusError,
} from '@meshwork/service';
import { newId } from '../common/config.js';
import { BodyReader } from '../common/validate.js';
import type { Database } from '../db/database.js';
import { createOrderClients, type OrderClients, remoteParticipants } from './participants.js';
import { type Order, type OrderItem, type OrdersRepository, openOrdersRepository } from './repository.js';
import { OrderSaga } from './saga.js';

interface OrderRequest {
  userId: string;
  items: { productId: string; quantity: number }[];
}

function readOrder(body: unknown): OrderRequest {
  const r = new BodyReader(body);
  const userId = r.string('userId');
  const items = r.objects('items').map((item, i) => ({
    productId: r.string('productId', `/items/${i}/productId`, item),
    quantity: r.integer('quantity', 1, `/items/${i}/quantity`, item),
  }));
  r.done('order');
  // The same product twice is one line: reservations are per product.
  const merged = new Map<string, number>();
  for (const item of items) merged.set(item.productId, (merged.get(item.productId) ?? 0) + item.quantity);
  return { userId, items: [...merged].map(([productId, quantity]) => ({ productId, quantity })) };
}

async function lookup<T>(fn: () => Promise<T>, code: string, detail: string): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof UpstreamStatusError && err.status === 404) throw new UnprocessableError(code, detail);
    throw err;
  }
}

async function price(clients: OrderClients, items: OrderRequest['items']): Promise<OrderItem[]> {
  return Promise.all(
    items.map(async (i) => {
      const path = `/api/products/${encodeURIComponent(i.productId)}`;
      const product = await lookup(
        () => clients.catalog.get<{ priceCents: number }>(path),
        'SHOP_ERR_UNKNOWN_PRODUCT',
        `product ${i.productId} does not exist`,
      );
      return { productId: i.productId, quantity: i.quantity, unitPriceCents: product.priceCents };
    }),
  );
}

async function place(
  repo: OrdersRepository,
  clients: OrderClients,
  saga: OrderSaga,
  req: OrderRequest,
  key: string,
) {
  await lookup(
    () => clients.users.get(`/api/users/${encodeURIComponent(req.userId)}`),
    'SHOP_ERR_UNKNOWN_USER',
    `user ${req.userId} does not exist`,
  );
  const items = await price(clients, req.items);
  const now = new Date().toISOString();
  const pending: Order = {
    id: newId('ord'),
    userId: req.userId,
    status: 'PENDING',
    reason: null,
    totalCents: items.reduce((sum, i) => sum + i.quantity * i.unitPriceCents, 0),
    items,
    idempotencyKey: key,
    createdAt: now,
    updatedAt: now,
  };
  const { order, created } = await repo.create(pending);
  if (!created) return reply(200, order);
  return reply(201, await saga.run(order), { location: `/api/orders/${order.id}` });
}

/**
 * Finishes sagas a crash interrupted: every step is idempotent by order id, so running the saga
 * again for a PENDING order completes it (or compensates) without acting twice.
 */
function scheduleRecovery(svc: Service, repo: OrdersRepository, saga: OrderSaga, delayMs: number): void {
  // Only orders from before this process started: newer ones have a live saga running here.
  const startedAt = new Date().toISOString();
  const timer = setTimeout(async () => {
    try {
      const stuck = (await repo.pending(100)).filter((o) => o.createdAt < startedAt);
      for (const order of stuck) {
        const done = await saga.run(order);
        svc.log.info({ orderId: order.id, status: done.status }, 'resumed an interrupted order saga');
      }
    } catch (err) {
      svc.log.error({ err }, 'saga recovery failed');
    }
  }, delayMs);
  timer.unref();
  svc.onShutdown(() => clearTimeout(timer));
}

/** Wires the orders service's routes. */
export async function ordersApp(svc: Service, db: Database, env: NodeJS.ProcessEnv): Promise<void> {
  const repo = await openOrdersRepository(db);
  const clients = createOrderClients(env);
  svc.onShutdown(() => clients.close());
  // Graceful degradation: orders still confirm without notifications, so its absence is
  // DEGRADED (still ready), never DOWN. Critical dependencies are deliberately not checked here:
  // one slow payments service must not take every orders instance out of rotation.
  svc.health(
    pingIndicator('notifications', () => clients.notifications.get('/health/ready'), {
      critical: false,
      timeoutMs: 1000,
    }),
  );
  // Resolve and connect the inventory channel now (xDS or DNS), not on the first order.
  void clients.inventory().then(
    (c) => c.waitForReady(Date.now() + 10_000, () => {}),
    () => {},
  );
  const addressOf = async (userId: string) =>
    (await clients.users.get<{ address: string }>(`/api/users/${encodeURIComponent(userId)}`)).address;
  const saga = new OrderSaga(repo, remoteParticipants(clients, addressOf), svc.log);
  scheduleRecovery(svc, repo, saga, Number(env.SHOP_RECOVERY_DELAY_MS ?? 2000));
  svc.router
    .post('/api/orders', async (ctx) => {
      const header = ctx.req.headers['idempotency-key'];
      const key = typeof header === 'string' && header ? header : newId('idem');
      return place(repo, clients, saga, readOrder(await ctx.body()), key);
    })
    .get('/api/orders', async () => ({ items: await repo.list(50) }))
    .get('/api/orders/:id', async (ctx) => {
      const order = await repo.get(ctx.params.id);
      if (!order) throw new NotFoundError(`order ${ctx.params.id} does not exist`);
      return { ...order, saga: await repo.steps(order.id) };
    });
}
