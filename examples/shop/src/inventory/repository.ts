/**
 * Inventory storage: stock per product and reservations per order. Reserve and release are
 * idempotent by order id, so the saga can retry them safely.
 */
import { SEED_PRODUCTS } from '../common/seed.js';
import type { Database, SqlExecutor } from '../db/database.js';

/** A product's stock. */
export interface Stock {
  productId: string;
  available: number;
  reserved: number;
}

/** One line of a reservation. */
export interface ReservationItem {
  productId: string;
  quantity: number;
}

/** A reservation's outcome. */
export interface Reservation {
  orderId: string;
  status: 'RESERVED' | 'RELEASED';
  items: ReservationItem[];
}

/** Thrown when stock is short; `productId` names the first short product. */
export class InsufficientStockError extends Error {
  readonly code = 'SHOP_ERR_INSUFFICIENT_STOCK';
  constructor(
    readonly productId: string,
    readonly requested: number,
    readonly available: number,
  ) {
    super(`insufficient stock for ${productId}: requested ${requested}, available ${available}`);
  }
}

/** Thrown when an item names a product the inventory does not stock. */
export class UnknownProductError extends Error {
  readonly code = 'SHOP_ERR_UNKNOWN_PRODUCT';
  constructor(readonly productId: string) {
    super(`unknown product ${productId}`);
  }
}

/** What the inventory needs from storage. */
export interface InventoryRepository {
  stock(productId: string): Promise<Stock | undefined>;
  /** Reserves every item or none; a second call for the same order returns the first outcome. */
  reserve(orderId: string, items: ReservationItem[]): Promise<Reservation>;
  /** Returns reserved stock; idempotent, and a no-op for unknown orders. */
  release(orderId: string): Promise<Reservation>;
}

async function existing(tx: SqlExecutor, orderId: string): Promise<Reservation | undefined> {
  const rows = await tx.query(
    'SELECT product_id, quantity, status FROM reservations WHERE order_id = $1 ORDER BY product_id',
    [orderId],
  );
  if (rows.length === 0) return undefined;
  return {
    orderId,
    status: rows[0].status as Reservation['status'],
    items: rows.map((r) => ({ productId: String(r.product_id), quantity: Number(r.quantity) })),
  };
}

/** Creates tables and seeds stock for the seeded products. */
export async function openInventoryRepository(db: Database): Promise<InventoryRepository> {
  await db.exec(`CREATE TABLE IF NOT EXISTS stock (product_id TEXT PRIMARY KEY, available INTEGER NOT NULL, reserved INTEGER NOT NULL DEFAULT 0);
    CREATE TABLE IF NOT EXISTS reservations (order_id TEXT NOT NULL, product_id TEXT NOT NULL, quantity INTEGER NOT NULL, status TEXT NOT NULL, PRIMARY KEY (order_id, product_id))`);
  for (const p of SEED_PRODUCTS) {
    await db.run(
      'INSERT INTO stock (product_id, available, reserved) VALUES ($1, $2, 0) ON CONFLICT DO NOTHING',
      [p.id, p.initialStock],
    );
  }
  return {
    async stock(productId) {
      const [row] = await db.query('SELECT * FROM stock WHERE product_id = $1', [productId]);
      return row
        ? { productId, available: Number(row.available), reserved: Number(row.reserved) }
        : undefined;
    },
    reserve(orderId, items) {
      return db.transaction(async (tx) => {
        const prior = await existing(tx, orderId);
        if (prior) return prior;
        for (const item of items) {
          // The guard in WHERE makes the decrement atomic under concurrent reservations.
          const changed = await tx.run(
            'UPDATE stock SET available = available - $2, reserved = reserved + $2 WHERE product_id = $1 AND available >= $2',
            [item.productId, item.quantity],
          );
          if (changed === 0) {
            const [row] = await tx.query('SELECT available FROM stock WHERE product_id = $1', [
              item.productId,
            ]);
            if (!row) throw new UnknownProductError(item.productId);
            throw new InsufficientStockError(item.productId, item.quantity, Number(row.available));
          }
          await tx.run(
            'INSERT INTO reservations (order_id, product_id, quantity, status) VALUES ($1, $2, $3, $4)',
            [orderId, item.productId, item.quantity, 'RESERVED'],
          );
        }
        return {
          orderId,
          status: 'RESERVED',
          items: [...items].sort((a, b) => a.productId.localeCompare(b.productId)),
        };
      });
    },
    release(orderId) {
      return db.transaction(async (tx) => {
        const prior = await existing(tx, orderId);
        if (!prior) return { orderId, status: 'RELEASED', items: [] };
        if (prior.status === 'RELEASED') return prior;
        for (const item of prior.items) {
          await tx.run(
            'UPDATE stock SET available = available + $2, reserved = reserved - $2 WHERE product_id = $1',
            [item.productId, item.quantity],
          );
        }
        await tx.run('UPDATE reservations SET status = $2 WHERE order_id = $1', [orderId, 'RELEASED']);
        return { ...prior, status: 'RELEASED' };
      });
    },
  };
}
