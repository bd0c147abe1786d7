/**
 * One conformance suite for the shop's repositories, run against both storage implementations:
 * SQLite (a temp file) and PostgreSQL (127.0.0.1:5432, database `test`, a unique schema dropped after).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { openCatalogRepository } from '../catalog/repository.js';
import {
  InsufficientStockError,
  openInventoryRepository,
  UnknownProductError,
} from '../inventory/repository.js';
import { openOrdersRepository } from '../orders/repository.js';
import { openPaymentsRepository } from '../payments/repository.js';
import { openShippingRepository } from '../shipping/repository.js';
import type { Database } from './database.js';
import { openPostgres } from './postgres.js';
import { openSqlite } from './sqlite.js';

const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

function conformance(name: string, open: () => Promise<Database>, teardown: () => Promise<void>) {
  describe(`repositories on ${name}`, () => {
    let db: Database;
    after(async () => {
      await db?.close();
      await teardown();
    });

    test('reserving stock is all-or-nothing and idempotent by order id', async () => {
      db = await open();
      const inv = await openInventoryRepository(db);
      const before = (await inv.stock('sku-mouse'))!.available;
      const first = await inv.reserve('o-1', [{ productId: 'sku-mouse', quantity: 2 }]);
      assert.equal(first.status, 'RESERVED');
      await inv.reserve('o-1', [{ productId: 'sku-mouse', quantity: 2 }]);
      assert.equal(
        (await inv.stock('sku-mouse'))!.available,
        before - 2,
        'a retried reserve does not double-count',
      );
      await assert.rejects(
        inv.reserve('o-2', [
          { productId: 'sku-lamp', quantity: 1 },
          { productId: 'sku-chair', quantity: 9999 },
        ]),
        InsufficientStockError,
      );
      assert.equal((await inv.stock('sku-lamp'))!.reserved, 0, 'the partial reservation was rolled back');
      await assert.rejects(inv.reserve('o-3', [{ productId: 'nope', quantity: 1 }]), UnknownProductError);
    });

    test('concurrent reservations never oversell', async () => {
      const inv = await openInventoryRepository(db);
      const available = (await inv.stock('sku-dock'))!.available;
      const attempts = Array.from({ length: available + 5 }, (_, i) =>
        inv.reserve(`race-${i}`, [{ productId: 'sku-dock', quantity: 1 }]).then(
          () => true,
          (err: unknown) => {
            assert.ok(err instanceof InsufficientStockError);
            return false;
          },
        ),
      );
      const outcomes = await Promise.all(attempts);
      assert.equal(outcomes.filter(Boolean).length, available);
      assert.deepEqual(await inv.stock('sku-dock'), {
        productId: 'sku-dock',
        available: 0,
        reserved: available,
      });
    });

    test('releasing returns stock once, and is a no-op for unknown orders', async () => {
      const inv = await openInventoryRepository(db);
      const before = (await inv.stock('sku-mouse'))!;
      await inv.release('o-1');
      await inv.release('o-1');
      const afterRelease = (await inv.stock('sku-mouse'))!;
      assert.equal(afterRelease.available, before.available + 2);
      assert.equal(afterRelease.reserved, before.reserved - 2);
      assert.deepEqual((await inv.release('never')).items, []);
    });

    test('a payment is recorded once per idempotency key and refunds are idempotent', async () => {
      const pay = await openPaymentsRepository(db);
      const base = { orderId: 'o-9', amountCents: 100, reason: null, createdAt: new Date().toISOString() };
      const a = await pay.record({ ...base, id: 'p1', idempotencyKey: 'o-9:charge', status: 'CHARGED' });
      const b = await pay.record({ ...base, id: 'p2', idempotencyKey: 'o-9:charge', status: 'DECLINED' });
      assert.equal(a.created, true);
      assert.equal(b.created, false);
      assert.equal(b.payment.status, 'CHARGED', 'the replay returns the first outcome');
      assert.equal((await pay.refund('o-9')).length, 1);
      assert.equal((await pay.refund('o-9')).length, 1);
      assert.equal((await pay.byOrder('o-9'))[0].status, 'REFUNDED');
    });

    test('orders dedupe by idempotency key and keep a saga log in order', async () => {
      const orders = await openOrdersRepository(db);
      const now = new Date().toISOString();
      const order = {
        id: 'ord-1',
        userId: 'u',
        status: 'PENDING' as const,
        reason: null,
        totalCents: 10,
        items: [{ productId: 'p', quantity: 1, unitPriceCents: 10 }],
        idempotencyKey: 'k1',
        createdAt: now,
        updatedAt: now,
      };
      assert.equal((await orders.create(order)).created, true);
      const again = await orders.create({ ...order, id: 'ord-2' });
      assert.equal(again.created, false);
      assert.equal(again.order.id, 'ord-1');
      for (const step of ['a', 'b', 'c'])
        await orders.logStep({ orderId: 'ord-1', step, outcome: 'DONE', detail: null, at: now });
      assert.deepEqual(
        (await orders.steps('ord-1')).map((s) => s.step),
        ['a', 'b', 'c'],
      );
      assert.equal((await orders.setStatus('ord-1', 'REJECTED', 'why')).reason, 'why');
    });

    test('one shipment per order', async () => {
      const ship = await openShippingRepository(db);
      const s = {
        orderId: 'o-5',
        address: 'x',
        status: 'SCHEDULED' as const,
        createdAt: new Date().toISOString(),
      };
      const first = await ship.schedule({ ...s, id: 's1' });
      const second = await ship.schedule({ ...s, id: 's2' });
      assert.equal(second.id, first.id);
      assert.equal((await ship.cancel('o-5'))!.status, 'CANCELLED');
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'shop-repo-'));
conformance(
  'sqlite',
  async () => openSqlite(join(dir, 'test.db')),
  async () => rmSync(dir, { recursive: true, force: true }),
);

const schema = `shop_test_${process.pid}_${Date.now().toString(36)}`;
conformance(
  'postgres',
  () => openPostgres(PG_URL, schema),
  async () => {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  },
);

describe('postgres migrations', () => {
  const raceSchema = `shop_race_${process.pid}_${Date.now().toString(36)}`;
  after(async () => {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${raceSchema} CASCADE`);
    await client.end();
  });

  test('replicas creating and seeding one schema at the same time do not race', async () => {
    const dbs = await Promise.all([1, 2, 3].map(() => openPostgres(PG_URL, raceSchema, { max: 1 })));
    try {
      const repos = await Promise.all(dbs.map((db) => openCatalogRepository(db)));
      assert.equal((await repos[0].list()).length, (await repos[2].list()).length);
    } finally {
      await Promise.all(dbs.map((db) => db.close()));
    }
  });
});
