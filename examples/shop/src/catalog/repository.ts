/** Catalog storage: products with prices. */
import { SEED_PRODUCTS } from '../common/seed.js';
import type { Database } from '../db/database.js';

/** A product as the catalog serves it. */
export interface Product {
  id: string;
  name: string;
  description: string;
  priceCents: number;
}

/** What the catalog needs from storage. */
export interface CatalogRepository {
  list(): Promise<Product[]>;
  get(id: string): Promise<Product | undefined>;
}

const toProduct = (r: Record<string, unknown>): Product => ({
  id: String(r.id),
  name: String(r.name),
  description: String(r.description),
  priceCents: Number(r.price_cents),
});

/** Creates tables and seeds products (idempotent; safe for replicas starting together). */
export async function openCatalogRepository(db: Database): Promise<CatalogRepository> {
  await db.exec(
    'CREATE TABLE IF NOT EXISTS products (id TEXT PRIMARY KEY, name TEXT NOT NULL, description TEXT NOT NULL, price_cents INTEGER NOT NULL)',
  );
  for (const p of SEED_PRODUCTS) {
    await db.run(
      'INSERT INTO products (id, name, description, price_cents) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING',
      [p.id, p.name, p.description, p.priceCents],
    );
  }
  return {
    async list() {
      return (await db.query('SELECT * FROM products ORDER BY id')).map(toProduct);
    },
    async get(id) {
      const [row] = await db.query('SELECT * FROM products WHERE id = $1', [id]);
      return row ? toProduct(row) : undefined;
    },
  };
}
