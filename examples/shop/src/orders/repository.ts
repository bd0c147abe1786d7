/**
 * Orders storage: the order (PENDING → CONFIRMED | REJECTED) and the saga log, one row per step
 * attempt outcome, so an operator can see how far an order got and what was compensated.
 */
import type { Database } from '../db/database.js';

/** An order line with the price the catalog quoted. */
export interface OrderItem {
  productId: string;
  quantity: number;
  unitPriceCents: number;
}

/** Order states. */
export type OrderStatus = 'PENDING' | 'CONFIRMED' | 'REJECTED';

/** An order. */
export interface Order {
  id: string;
  userId: string;
  status: OrderStatus;
  reason: string | null;
  totalCents: number;
  items: OrderItem[];
  idempotencyKey: string;
  createdAt: string;
  updatedAt: string;
}

/** One saga log entry. */
export interface SagaStep {
  orderId: string;
  step: string;
  outcome: 'DONE' | 'FAILED' | 'COMPENSATED';
  detail: string | null;
  at: string;
}

/** What orders need from storage. */
export interface OrdersRepository {
  /** Inserts unless the idempotency key exists; returns the stored order and whether it is new. */
  create(order: Order): Promise<{ order: Order; created: boolean }>;
  get(id: string): Promise<Order | undefined>;
  list(limit: number): Promise<Order[]>;
  /** Orders still PENDING (a saga interrupted by a crash), oldest first. */
  pending(limit: number): Promise<Order[]>;
  setStatus(id: string, status: OrderStatus, reason: string | null): Promise<Order>;
  logStep(step: SagaStep): Promise<void>;
  steps(orderId: string): Promise<SagaStep[]>;
}

const toOrder = (r: Record<string, unknown>): Order => ({
  id: String(r.id),
  userId: String(r.user_id),
  status: r.status as OrderStatus,
  reason: r.reason === null ? null : String(r.reason),
  totalCents: Number(r.total_cents),
  items: JSON.parse(String(r.items)) as OrderItem[],
  idempotencyKey: String(r.idempotency_key),
  createdAt: String(r.created_at),
  updatedAt: String(r.updated_at),
});

/** Creates tables. */
export async function openOrdersRepository(db: Database): Promise<OrdersRepository> {
  await db.exec(`CREATE TABLE IF NOT EXISTS orders (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, status TEXT NOT NULL, reason TEXT,
      total_cents INTEGER NOT NULL, items TEXT NOT NULL, idempotency_key TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS saga_steps (seq_id TEXT PRIMARY KEY, order_id TEXT NOT NULL, step TEXT NOT NULL, outcome TEXT NOT NULL,
      detail TEXT, at TEXT NOT NULL)`);
  const get = async (id: string) => {
    const [row] = await db.query('SELECT * FROM orders WHERE id = $1', [id]);
    return row ? toOrder(row) : undefined;
  };
  let seq = 0;
  return {
    async create(o) {
      const changed = await db.run(
        `INSERT INTO orders (id, user_id, status, reason, total_cents, items, idempotency_key, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (idempotency_key) DO NOTHING`,
        [
          o.id,
          o.userId,
          o.status,
          o.reason,
          o.totalCents,
          JSON.stringify(o.items),
          o.idempotencyKey,
          o.createdAt,
          o.updatedAt,
        ],
      );
      const [row] = await db.query('SELECT * FROM orders WHERE idempotency_key = $1', [o.idempotencyKey]);
      return { order: toOrder(row), created: changed === 1 };
    },
    get,
    async list(limit) {
      return (await db.query('SELECT * FROM orders ORDER BY created_at DESC LIMIT $1', [limit])).map(toOrder);
    },
    async pending(limit) {
      const rows = await db.query('SELECT * FROM orders WHERE status = $1 ORDER BY created_at LIMIT $2', [
        'PENDING',
        limit,
      ]);
      return rows.map(toOrder);
    },
    async setStatus(id, status, reason) {
      await db.run('UPDATE orders SET status = $2, reason = $3, updated_at = $4 WHERE id = $1', [
        id,
        status,
        reason,
        new Date().toISOString(),
      ]);
      return (await get(id))!;
    },
    async logStep(s) {
      const key = `${s.orderId}:${Date.now().toString(36)}:${(seq++).toString(36).padStart(4, '0')}`;
      await db.run(
        'INSERT INTO saga_steps (seq_id, order_id, step, outcome, detail, at) VALUES ($1, $2, $3, $4, $5, $6)',
        [key, s.orderId, s.step, s.outcome, s.detail, s.at],
      );
    },
    async steps(orderId) {
      const rows = await db.query('SELECT * FROM saga_steps WHERE order_id = $1 ORDER BY seq_id', [orderId]);
      return rows.map((r) => ({
        orderId,
        step: String(r.step),
        outcome: r.outcome as SagaStep['outcome'],
        detail: r.detail === null ? null : String(r.detail),
        at: String(r.at),
      }));
    },
  };
}
