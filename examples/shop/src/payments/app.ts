/**
 * The payments service: charges (idempotent by key), refunds, and a failure switch
 * (`POST /admin/fail {mode: 'always'|'never'|'rate', rate}`) to demonstrate the order saga's
 * compensation.
 */
import { BadRequestError, HttpError, reply, type Service } from '@meshwork/service';
import { newId } from '../common/config.js';
import { BodyReader, idempotencyKey } from '../common/validate.js';
import type { Database } from '../db/database.js';
import { openPaymentsRepository, type Payment } from './repository.js';

/** How charges behave. */
export interface FailureMode {
  mode: 'always' | 'never' | 'rate';
  /** Probability of a decline in `rate` mode, 0..1. */
  rate: number;
}

function parseFailureMode(body: unknown): FailureMode {
  const b = (body ?? {}) as { mode?: unknown; rate?: unknown };
  if (b.mode !== 'always' && b.mode !== 'never' && b.mode !== 'rate') {
    throw new BadRequestError('invalid failure mode', [
      { path: '/mode', reason: "must be 'always', 'never' or 'rate'" },
    ]);
  }
  const rate = b.mode === 'rate' ? b.rate : b.mode === 'always' ? 1 : 0;
  if (typeof rate !== 'number' || rate < 0 || rate > 1) {
    throw new BadRequestError('invalid failure mode', [
      { path: '/rate', reason: 'must be a number in 0..1' },
    ]);
  }
  return { mode: b.mode, rate };
}

const declined = (p: Payment) =>
  new HttpError(402, 'SHOP_ERR_PAYMENT_DECLINED', `payment for order ${p.orderId} declined: ${p.reason}`, {
    title: 'Payment Required',
  });

/** Wires the payments service's routes. */
export async function paymentsApp(svc: Service, db: Database): Promise<void> {
  const repo = await openPaymentsRepository(db);
  let failure: FailureMode = { mode: 'never', rate: 0 };
  svc.router
    .post('/api/payments', async (ctx) => {
      const key = idempotencyKey(ctx.req.headers);
      const body = new BodyReader(await ctx.body());
      const orderId = body.string('orderId');
      const amountCents = body.integer('amountCents', 1);
      body.done('payment');
      const decline = failure.mode === 'always' || (failure.mode === 'rate' && Math.random() < failure.rate);
      const { payment, created } = await repo.record({
        id: newId('pay'),
        orderId,
        idempotencyKey: key,
        amountCents,
        status: decline ? 'DECLINED' : 'CHARGED',
        reason: decline ? `declined by failure mode "${failure.mode}"` : null,
        createdAt: new Date().toISOString(),
      });
      if (payment.status === 'DECLINED') throw declined(payment);
      return reply(created ? 201 : 200, payment);
    })
    .post('/api/payments/refunds', async (ctx) => {
      const body = new BodyReader(await ctx.body());
      const orderId = body.string('orderId');
      body.done('refund');
      return { orderId, refunded: await repo.refund(orderId) };
    })
    .get('/api/payments', async (ctx) => {
      const orderId = ctx.query.get('orderId');
      return { items: orderId ? await repo.byOrder(orderId) : await repo.list(50) };
    })
    .get('/admin/fail', () => failure)
    .post('/admin/fail', async (ctx) => {
      failure = parseFailureMode(await ctx.body());
      svc.log.warn({ failure }, 'payment failure mode changed');
      return failure;
    });
}
