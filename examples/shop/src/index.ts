/**
 * `@meshwork/shop` — the reference e-commerce system. Each service is a process
 * (`dist/<service>/main.js`); this module exports their wiring for tests and embedding.
 */
export { catalogApp } from './catalog/app.js';
export { type ShopServiceOptions, startShopService } from './common/boot.js';
export { SEED_PRODUCTS, SEED_USERS } from './common/seed.js';
export type { Database, SqlExecutor } from './db/database.js';
export { openDatabase, type StorageOptions } from './db/open.js';
export { INVENTORY_PROTO, inventoryApp } from './inventory/app.js';
export { notificationsApp } from './notifications/app.js';
export { ordersApp } from './orders/app.js';
export { OrderSaga, type SagaParticipants, StepFailure } from './orders/saga.js';
export { paymentsApp } from './payments/app.js';
export { shippingApp } from './shipping/app.js';
export { usersApp } from './users/app.js';
