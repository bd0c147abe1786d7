/** The users service: customer accounts. */
import { ConflictError, NotFoundError, reply, type Service } from '@meshwork/service';
import { newId } from '../common/config.js';
import { BodyReader } from '../common/validate.js';
import type { Database } from '../db/database.js';
import { openUsersRepository } from './repository.js';

/** Wires the users service's routes. */
export async function usersApp(svc: Service, db: Database): Promise<void> {
  const repo = await openUsersRepository(db);
  svc.router
    .get('/api/users', async () => ({ items: await repo.list() }))
    .get('/api/users/:id', async (ctx) => {
      const user = await repo.get(ctx.params.id);
      if (!user) throw new NotFoundError(`user ${ctx.params.id} does not exist`);
      return user;
    })
    .post('/api/users', async (ctx) => {
      const body = new BodyReader(await ctx.body());
      const user = {
        id: newId('u'),
        name: body.string('name'),
        email: body.string('email'),
        address: body.string('address'),
      };
      body.done('user');
      if (!(await repo.create(user))) throw new ConflictError(`email ${user.email} is already registered`);
      return reply(201, user, { location: `/api/users/${user.id}` });
    });
}
