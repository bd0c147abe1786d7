/** The notifications service: records messages sent to users, deduplicated by idempotency key. */
import { reply, type Service } from '@meshwork/service';
import { newId } from '../common/config.js';
import { BodyReader, idempotencyKey } from '../common/validate.js';
import type { Database } from '../db/database.js';
import { openNotificationsRepository } from './repository.js';

/** Wires the notifications service's routes. */
export async function notificationsApp(svc: Service, db: Database): Promise<void> {
  const repo = await openNotificationsRepository(db);
  svc.router
    .post('/api/notifications', async (ctx) => {
      const key = idempotencyKey(ctx.req.headers);
      const body = new BodyReader(await ctx.body());
      const n = {
        id: newId('ntf'),
        idempotencyKey: key,
        userId: body.string('userId'),
        channel: body.optionalString('channel') ?? 'email',
        message: body.string('message'),
        createdAt: new Date().toISOString(),
      };
      body.done('notification');
      const created = await repo.record(n);
      if (created) svc.log.info({ userId: n.userId, channel: n.channel }, `notify: ${n.message}`);
      return reply(created ? 201 : 200, { idempotencyKey: key, created });
    })
    .get('/api/notifications', async (ctx) => ({
      items: await repo.list(ctx.query.get('userId') ?? undefined, 50),
    }));
}
