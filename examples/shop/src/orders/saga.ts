/**
 * The order saga, orchestrated inside `orders`: reserve inventory → charge payment → schedule
 * shipping → notify. A failure runs the compensations of the steps already done, newest first
 * (refund payment, release inventory). Every step carries an idempotency key derived from the
 * order id, so a retried or re-run step never acts twice.
 */
import type { Logger } from '@meshwork/service';
import type { Order, OrdersRepository, SagaStep } from './repository.js';

/** The participants, as the saga sees them. Each call throws {@link StepFailure} or another error. */
export interface SagaParticipants {
  reserveInventory(order: Order): Promise<void>;
  releaseInventory(order: Order): Promise<void>;
  chargePayment(order: Order, idempotencyKey: string): Promise<void>;
  refundPayment(order: Order): Promise<void>;
  scheduleShipping(order: Order, idempotencyKey: string): Promise<void>;
  notify(order: Order, message: string, idempotencyKey: string): Promise<void>;
}

/** A business refusal by a participant (out of stock, payment declined): the order is rejected with `reason`. */
export class StepFailure extends Error {
  constructor(
    readonly code: string,
    readonly reason: string,
  ) {
    super(reason);
  }
}

interface Step {
  name: string;
  run(order: Order): Promise<void>;
  compensate?(order: Order): Promise<void>;
}

function describe(err: unknown): string {
  if (err instanceof StepFailure) return err.reason;
  return err instanceof Error ? err.message : String(err);
}

/** Runs order sagas against the participants, logging each step to the repository. */
export class OrderSaga {
  private readonly steps: Step[];

  constructor(
    private readonly repo: OrdersRepository,
    private readonly participants: SagaParticipants,
    private readonly log: Logger,
  ) {
    const p = participants;
    this.steps = [
      {
        name: 'reserve-inventory',
        run: (o) => p.reserveInventory(o),
        compensate: (o) => p.releaseInventory(o),
      },
      {
        name: 'charge-payment',
        run: (o) => p.chargePayment(o, `${o.id}:charge`),
        compensate: (o) => p.refundPayment(o),
      },
      { name: 'schedule-shipping', run: (o) => p.scheduleShipping(o, `${o.id}:ship`) },
    ];
  }

  /** Drives a PENDING order to CONFIRMED or REJECTED and returns it. */
  async run(order: Order): Promise<Order> {
    const done: Step[] = [];
    for (const step of this.steps) {
      try {
        await step.run(order);
        await this.record(order.id, step.name, 'DONE', null);
        done.push(step);
      } catch (err) {
        const reason = `${step.name} failed: ${describe(err)}`;
        await this.record(order.id, step.name, 'FAILED', describe(err));
        this.log.warn(
          { orderId: order.id, step: step.name, err: describe(err) },
          'saga step failed; compensating',
        );
        await this.compensate(order, done);
        await this.notify(order, `Your order ${order.id} was rejected: ${reason}`, 'rejected');
        return this.repo.setStatus(order.id, 'REJECTED', reason);
      }
    }
    const confirmed = await this.repo.setStatus(order.id, 'CONFIRMED', null);
    await this.notify(order, `Your order ${order.id} is confirmed and will ship soon.`, 'confirmed');
    return confirmed;
  }

  private async compensate(order: Order, done: Step[]): Promise<void> {
    for (const step of [...done].reverse()) {
      if (!step.compensate) continue;
      try {
        await step.compensate(order);
        await this.record(order.id, step.name, 'COMPENSATED', null);
      } catch (err) {
        // Compensations are idempotent; a failed one is logged for an operator to re-run.
        await this.record(order.id, step.name, 'FAILED', `compensation failed: ${describe(err)}`);
        this.log.error({ orderId: order.id, step: step.name, err: describe(err) }, 'compensation failed');
      }
    }
  }

  private async notify(order: Order, message: string, kind: string): Promise<void> {
    try {
      await this.participants.notify(order, message, `${order.id}:notify:${kind}`);
      await this.record(order.id, 'notify', 'DONE', kind);
    } catch (err) {
      // Notification is best effort: the order's outcome does not depend on it.
      await this.record(order.id, 'notify', 'FAILED', describe(err));
    }
  }

  private record(
    orderId: string,
    step: string,
    outcome: SagaStep['outcome'],
    detail: string | null,
  ): Promise<void> {
    return this.repo.logStep({ orderId, step, outcome, detail, at: new Date().toISOString() });
  }
}
