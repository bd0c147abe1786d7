/** The catalog service: product listings, served by several replicas (`x-served-by` names each). */
import { NotFoundError, type Service } from '@meshwork/service';
import type { Database } from '../db/database.js';
import { openCatalogRepository } from './repository.js';

/** Wires the catalog's routes. */
export async function catalogApp(svc: Service, db: Database, env: NodeJS.ProcessEnv): Promise<void> {
  const repo = await openCatalogRepository(db);
  const version = env.MESHWORK_VERSION ?? 'v1';
  svc.router
    .get('/api/products', async () => ({ items: await repo.list(), servedBy: svc.instanceId, version }))
    .get('/api/products/:id', async (ctx) => {
      const product = await repo.get(ctx.params.id);
      if (!product) throw new NotFoundError(`product ${ctx.params.id} does not exist`);
      return { ...product, servedBy: svc.instanceId, version };
    });
}
