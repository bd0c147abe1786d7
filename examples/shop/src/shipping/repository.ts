/** Shipping storage: one shipment per order (idempotent by order id). */
import type { Database } from '../db/database.js';

/** A scheduled shipment. */
export interface Shipment {
  id: string;
  orderId: string;
  address: string;
  status: 'SCHEDULED' | 'CANCELLED';
  createdAt: string;
}

/** What shipping needs from storage. */
export interface ShippingRepository {
  /** Schedules unless the order already has a shipment; returns the stored one. */
  schedule(shipment: Shipment): Promise<Shipment>;
  byOrder(orderId: string): Promise<Shipment | undefined>;
  cancel(orderId: string): Promise<Shipment | undefined>;
}

const toShipment = (r: Record<string, unknown>): Shipment => ({
  id: String(r.id),
  orderId: String(r.order_id),
  address: String(r.address),
  status: r.status as Shipment['status'],
  createdAt: String(r.created_at),
});

/** Creates tables. */
export async function openShippingRepository(db: Database): Promise<ShippingRepository> {
  await db.exec(`CREATE TABLE IF NOT EXISTS shipments (id TEXT PRIMARY KEY, order_id TEXT NOT NULL UNIQUE, address TEXT NOT NULL,
    status TEXT NOT NULL, created_at TEXT NOT NULL)`);
  const byOrder = async (orderId: string) => {
    const [row] = await db.query('SELECT * FROM shipments WHERE order_id = $1', [orderId]);
    return row ? toShipment(row) : undefined;
  };
  return {
    async schedule(s) {
      await db.run(
        'INSERT INTO shipments (id, order_id, address, status, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (order_id) DO NOTHING',
        [s.id, s.orderId, s.address, s.status, s.createdAt],
      );
      return (await byOrder(s.orderId))!;
    },
    byOrder,
    async cancel(orderId) {
      await db.run('UPDATE shipments SET status = $2 WHERE order_id = $1', [orderId, 'CANCELLED']);
      return byOrder(orderId);
    },
  };
}
