// A tiny HTTP service on the Meshwork runtime: probes, registration and graceful shutdown come with it.
import { createService } from '@meshwork/service';

const svc = createService({ name: 'greeter' });
svc.router.get('/greet/:name', (ctx) => ({
  message: `${process.env.GREETING ?? 'Hello'}, ${ctx.params.name}!`,
  servedBy: svc.instanceId,
}));
await svc.start();
