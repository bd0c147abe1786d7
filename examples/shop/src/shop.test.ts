/**
 * The whole shop in one process over real sockets: every service on its own port with its own
 * SQLite file, wired proxyless through `MESHWORK_ENDPOINTS_*` exactly as `meshwork up --no-mesh`
 * wires the processes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Service } from '@meshwork/service';
import { grpc, loadProto, unary } from '@meshwork/service/grpc';
import { catalogApp } from './catalog/app.js';
import { type Setup, startShopService } from './common/boot.js';
import { openSqlite } from './db/sqlite.js';
import { INVENTORY_PROTO, inventoryApp } from './inventory/app.js';
import { notificationsApp } from './notifications/app.js';
import { ordersApp } from './orders/app.js';
import { openOrdersRepository } from './orders/repository.js';
import { paymentsApp } from './payments/app.js';
import { shippingApp } from './shipping/app.js';
import { usersApp } from './users/app.js';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('shop', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shop-'));
  const services: Service[] = [];
  const url: Record<string, string> = {};
  const env: NodeJS.ProcessEnv = { MESHWORK_DATA_DIR: dir };

  const start = async (name: string, setup: Setup, extra: NodeJS.ProcessEnv = {}) => {
    const svc = await startShopService(name, setup, {
      env: { ...env, ...extra, MESHWORK_INSTANCE_ID: `${name}-1` },
      port: 0,
      handleSignals: false,
      quiet: true,
      storage: { service: name, dataDir: dir },
    });
    services.push(svc);
    const port = (svc.server!.address() as { port: number }).port;
    url[name] = `http://127.0.0.1:${port}`;
    env[`MESHWORK_ENDPOINTS_${name.toUpperCase()}`] = `127.0.0.1:${port}`;
  };

  before(async () => {
    const grpcPort = await freePort();
    await start('users', usersApp);
    await start('catalog', catalogApp);
    await start('inventory', inventoryApp, { GRPC_PORT: String(grpcPort) });
    env.MESHWORK_ENDPOINTS_INVENTORY_GRPC = `127.0.0.1:${grpcPort}`;
    await start('payments', paymentsApp);
    await start('shipping', shippingApp);
    await start('notifications', notificationsApp);
    await start('orders', ordersApp);
  });
  after(async () => {
    for (const svc of services.reverse()) await svc.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const json = async (
    method: string,
    target: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const res = await fetch(target, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as any };
  };
  const stock = async (sku: string) =>
    (await json('GET', `${url.inventory}/api/inventory/${sku}`)).body.available;

  test('catalog lists seeded products and names the replica that served them', async () => {
    const res = await json('GET', `${url.catalog}/api/products`);
    assert.equal(res.status, 200);
    assert.ok(res.body.items.length >= 8);
    assert.equal(res.headers.get('x-served-by'), 'catalog-1');
  });

  test('an order is confirmed: stock decremented, payment charged, shipment scheduled, user notified', async () => {
    const before = await stock('sku-keyboard');
    const res = await json('POST', `${url.orders}/api/orders`, {
      userId: 'u-ada',
      items: [{ productId: 'sku-keyboard', quantity: 2 }],
    });
    assert.equal(res.status, 201);
    assert.equal(res.body.status, 'CONFIRMED');
    assert.equal(res.body.totalCents, 2 * 8900);
    assert.equal(await stock('sku-keyboard'), before - 2);
    const payments = await json('GET', `${url.payments}/api/payments?orderId=${res.body.id}`);
    assert.deepEqual(
      payments.body.items.map((p: any) => [p.status, p.amountCents]),
      [['CHARGED', 17800]],
    );
    assert.equal(
      (await json('GET', `${url.shipping}/api/shipments/${res.body.id}`)).body.status,
      'SCHEDULED',
    );
    const notes = await json('GET', `${url.notifications}/api/notifications?userId=u-ada`);
    assert.ok(notes.body.items.some((n: any) => n.message.includes(res.body.id)));
  });

  test('a declined payment rejects the order and releases the reserved stock', async () => {
    await json('POST', `${url.payments}/admin/fail`, { mode: 'always' });
    try {
      const before = await stock('sku-monitor');
      const res = await json('POST', `${url.orders}/api/orders`, {
        userId: 'u-grace',
        items: [{ productId: 'sku-monitor', quantity: 1 }],
      });
      assert.equal(res.body.status, 'REJECTED');
      assert.match(res.body.reason, /charge-payment failed: payment declined/);
      assert.equal(await stock('sku-monitor'), before, 'inventory compensated');
      const order = await json('GET', `${url.orders}/api/orders/${res.body.id}`);
      assert.deepEqual(
        order.body.saga.filter((s: any) => s.step !== 'notify').map((s: any) => `${s.step}:${s.outcome}`),
        ['reserve-inventory:DONE', 'charge-payment:FAILED', 'reserve-inventory:COMPENSATED'],
      );
    } finally {
      await json('POST', `${url.payments}/admin/fail`, { mode: 'never' });
    }
  });

  test('insufficient stock rejects the order without charging', async () => {
    const res = await json('POST', `${url.orders}/api/orders`, {
      userId: 'u-ada',
      items: [{ productId: 'sku-chair', quantity: 1000 }],
    });
    assert.equal(res.body.status, 'REJECTED');
    assert.match(res.body.reason, /insufficient stock for sku-chair/);
    assert.deepEqual(
      (await json('GET', `${url.payments}/api/payments?orderId=${res.body.id}`)).body.items,
      [],
    );
  });

  test('the inventory gRPC API answers stock and refuses bad reservations with precise codes', async () => {
    const pkg = loadProto(INVENTORY_PROTO) as any;
    const Inventory = pkg.meshwork.shop.inventory.v1.Inventory;
    const client = new Inventory(env.MESHWORK_ENDPOINTS_INVENTORY_GRPC, grpc.credentials.createInsecure());
    try {
      const stockNow = await unary<unknown, { productId: string; available: number }>(client, 'GetStock', {
        productId: 'sku-dock',
      });
      assert.equal(stockNow.productId, 'sku-dock');
      assert.equal(typeof stockNow.available, 'number');
      const code = (request: unknown) =>
        unary(client, 'Reserve', request).then(
          () => 'OK',
          (err: grpc.ServiceError) => grpc.status[err.code],
        );
      const twice = [
        { productId: 'sku-dock', quantity: 1 },
        { productId: 'sku-dock', quantity: 1 },
      ];
      assert.equal(await code({ orderId: 'g-1', items: twice }), 'INVALID_ARGUMENT');
      assert.equal(
        await code({ orderId: 'g-2', items: [{ productId: 'sku-nope', quantity: 1 }] }),
        'NOT_FOUND',
      );
      assert.equal(
        await code({ orderId: 'g-3', items: [{ productId: 'sku-dock', quantity: 10_000 }] }),
        'FAILED_PRECONDITION',
      );
      assert.equal(await code({ orderId: '', items: [] }), 'INVALID_ARGUMENT');
    } finally {
      client.close();
    }
  });

  test('the same product listed twice is one line of the order', async () => {
    const before = await stock('sku-mouse');
    const res = await json('POST', `${url.orders}/api/orders`, {
      userId: 'u-ada',
      items: [
        { productId: 'sku-mouse', quantity: 1 },
        { productId: 'sku-mouse', quantity: 2 },
      ],
    });
    assert.equal(res.body.status, 'CONFIRMED', JSON.stringify(res.body));
    assert.deepEqual(
      res.body.items.map((i: any) => [i.productId, i.quantity]),
      [['sku-mouse', 3]],
    );
    assert.equal(await stock('sku-mouse'), before - 3);
  });

  test('retrying a POST with the same Idempotency-Key returns the first order', async () => {
    const body = { userId: 'u-ada', items: [{ productId: 'sku-lamp', quantity: 1 }] };
    const before = await stock('sku-lamp');
    const first = await json('POST', `${url.orders}/api/orders`, body, { 'idempotency-key': 'retry-me' });
    const second = await json('POST', `${url.orders}/api/orders`, body, { 'idempotency-key': 'retry-me' });
    assert.equal(first.status, 201);
    assert.equal(second.status, 200);
    assert.equal(second.body.id, first.body.id);
    assert.equal(await stock('sku-lamp'), before - 1);
  });

  test('bad orders are refused with a problem naming each field', async () => {
    const res = await json('POST', `${url.orders}/api/orders`, {
      items: [{ productId: 'sku-lamp', quantity: 0 }],
    });
    assert.equal(res.status, 400);
    assert.deepEqual(
      res.body.errors.map((e: any) => e.path),
      ['/userId', '/items/0/quantity'],
    );
    const unknown = await json('POST', `${url.orders}/api/orders`, {
      userId: 'nobody',
      items: [{ productId: 'x', quantity: 1 }],
    });
    assert.equal(unknown.status, 422);
    assert.equal(unknown.body.code, 'SHOP_ERR_UNKNOWN_USER');
  });

  test('a saga interrupted by a crash is finished when orders starts again', async () => {
    const orders = services.pop()!;
    await orders.stop();
    const db = openSqlite(join(dir, 'orders.db'));
    const repo = await openOrdersRepository(db);
    const now = new Date().toISOString();
    const before = await stock('sku-headset');
    await repo.create({
      id: 'ord_interrupted',
      userId: 'u-ada',
      status: 'PENDING',
      reason: null,
      totalCents: 7400,
      items: [{ productId: 'sku-headset', quantity: 1, unitPriceCents: 7400 }],
      idempotencyKey: 'interrupted',
      createdAt: now,
      updatedAt: now,
    });
    await db.close();
    await start('orders', ordersApp, { SHOP_RECOVERY_DELAY_MS: '10' });
    let order: any;
    for (let i = 0; i < 100 && order?.status !== 'CONFIRMED'; i++) {
      await new Promise((r) => setTimeout(r, 20));
      order = (await json('GET', `${url.orders}/api/orders/ord_interrupted`)).body;
    }
    assert.equal(order.status, 'CONFIRMED');
    assert.equal(await stock('sku-headset'), before - 1);
  });

  test('without notifications, orders is DEGRADED but still ready and still confirms orders', async () => {
    await services.find((s) => s.name === 'notifications')!.stop();
    const ready = await json('GET', `${url.orders}/health/ready`);
    assert.equal(ready.status, 200);
    assert.equal(ready.body.status, 'DEGRADED');
    assert.equal(ready.body.components.notifications.status, 'DEGRADED');
    assert.equal(ready.body.components.db.status, 'UP');
    const order = await json('POST', `${url.orders}/api/orders`, {
      userId: 'u-ada',
      items: [{ productId: 'sku-lamp', quantity: 1 }],
    });
    assert.equal(order.body.status, 'CONFIRMED');
  });

  test('the payments failure switch validates its input', async () => {
    const res = await json('POST', `${url.payments}/admin/fail`, { mode: 'rate', rate: 2 });
    assert.equal(res.status, 400);
    assert.equal(res.body.errors[0].path, '/rate');
  });
});
