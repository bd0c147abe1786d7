/** The shipping service: schedules one shipment per order (idempotent) and cancels it. */
import { NotFoundError, reply, type Service } from '@meshwork/service';
import { newId } from '../common/config.js';
import { BodyReader } from '../common/validate.js';
import type { Database } from '../db/database.js';
import { openShippingRepository } from './repository.js';

/** Wires the shipping service's routes. */
export async function shippingApp(svc: Service, db: Database): Promise<void> {
  const repo = await openShippingRepository(db);
  svc.router
    .post('/api/shipments', async (ctx) => {
      const body = new BodyReader(await ctx.body());
      const orderId = body.string('orderId');
      const address = body.string('address');
      body.done('shipment');
      const shipment = await repo.schedule({
        id: newId('shp'),
        orderId,
        address,
        status: 'SCHEDULED',
        createdAt: new Date().toISOString(),
      });
      return reply(201, shipment);
    })
    .get('/api/shipments/:orderId', async (ctx) => {
      const shipment = await repo.byOrder(ctx.params.orderId);
      if (!shipment) throw new NotFoundError(`no shipment for order ${ctx.params.orderId}`);
      return shipment;
    })
    .post('/api/shipments/:orderId/cancel', async (ctx) => {
      const shipment = await repo.cancel(ctx.params.orderId);
      if (!shipment) throw new NotFoundError(`no shipment for order ${ctx.params.orderId}`);
      return shipment;
    });
}
