/**
 * Payments storage. A charge is keyed by its idempotency key: a retried charge returns the first
 * outcome (including a decline) instead of charging twice. Refunds are idempotent per order.
 */
import type { Database } from '../db/database.js';

/** A payment record. */
export interface Payment {
  id: string;
  orderId: string;
  idempotencyKey: string;
  amountCents: number;
  status: 'CHARGED' | 'DECLINED' | 'REFUNDED';
  reason: string | null;
  createdAt: string;
}

/** What payments need from storage. */
export interface PaymentsRepository {
  /** Inserts unless the key exists; returns the stored record and whether it was new. */
  record(payment: Payment): Promise<{ payment: Payment; created: boolean }>;
  byOrder(orderId: string): Promise<Payment[]>;
  list(limit: number): Promise<Payment[]>;
  /** Marks the order's charge REFUNDED; returns the refunded payments (empty when nothing was charged). */
  refund(orderId: string): Promise<Payment[]>;
}

const toPayment = (r: Record<string, unknown>): Payment => ({
  id: String(r.id),
  orderId: String(r.order_id),
  idempotencyKey: String(r.idempotency_key),
  amountCents: Number(r.amount_cents),
  status: r.status as Payment['status'],
  reason: r.reason === null ? null : String(r.reason),
  createdAt: String(r.created_at),
});

/** Creates tables. */
export async function openPaymentsRepository(db: Database): Promise<PaymentsRepository> {
  await db.exec(`CREATE TABLE IF NOT EXISTS payments (id TEXT PRIMARY KEY, order_id TEXT NOT NULL, idempotency_key TEXT NOT NULL UNIQUE,
    amount_cents INTEGER NOT NULL, status TEXT NOT NULL, reason TEXT, created_at TEXT NOT NULL)`);
  return {
    async record(p) {
      const changed = await db.run(
        `INSERT INTO payments (id, order_id, idempotency_key, amount_cents, status, reason, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (idempotency_key) DO NOTHING`,
        [p.id, p.orderId, p.idempotencyKey, p.amountCents, p.status, p.reason, p.createdAt],
      );
      const [row] = await db.query('SELECT * FROM payments WHERE idempotency_key = $1', [p.idempotencyKey]);
      return { payment: toPayment(row), created: changed === 1 };
    },
    async byOrder(orderId) {
      return (
        await db.query('SELECT * FROM payments WHERE order_id = $1 ORDER BY created_at', [orderId])
      ).map(toPayment);
    },
    async list(limit) {
      return (await db.query('SELECT * FROM payments ORDER BY created_at DESC LIMIT $1', [limit])).map(
        toPayment,
      );
    },
    async refund(orderId) {
      await db.run('UPDATE payments SET status = $2 WHERE order_id = $1 AND status = $3', [
        orderId,
        'REFUNDED',
        'CHARGED',
      ]);
      return (
        await db.query('SELECT * FROM payments WHERE order_id = $1 AND status = $2', [orderId, 'REFUNDED'])
      ).map(toPayment);
    },
  };
}
