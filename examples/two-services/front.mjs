// Calls greeter through a typed client; how it is reached (sidecar, fixed endpoints or registry
// discovery) comes from the environment `meshwork up` sets.
import { connect, createService, get, typedClient } from '@meshwork/service';

const greeter = typedClient(connect('greeter'), {
  greet: get((name) => `/greet/${encodeURIComponent(name)}`),
});

const svc = createService({ name: 'front' });
svc.router.get('/api/hello/:name', async (ctx) => ({ greeting: await greeter.greet(ctx.params.name) }));
await svc.start();
