import type { Logger } from 'pino';
import type { EventBus, ParleyEvent } from '../bus/event-bus.js';
import type { Metrics } from '../metrics.js';

/**
 * Publishes events for business lines without ever leaving a floating
 * promise: every failure is logged and counted (the data the event describes
 * is already committed; a durable bus's consumers can re-read it).
 *
 * Order: events given the same `orderKey` (an app and conversation) reach the
 * bus one at a time in the order `publish` was called, whatever the bus's
 * latency — the next waits for the previous one's answer. Different keys run
 * concurrently. `publish` itself never throws and never waits; the promise
 * it returns never rejects: it tells, once the bus answered, whether the
 * event was published (the outbox relay marks the message's event done then).
 */
const PUBLISHED = () => true;

export class EventPublisher {
  /** per order key: the last publish queued, so the next chains behind it */
  private readonly tails = new Map<string, Promise<boolean>>();
  private readonly pending = new Set<Promise<boolean>>();

  constructor(private readonly bus: EventBus, private readonly log?: Logger, private readonly metrics?: Metrics) {}

  publish(event: ParleyEvent, orderKey?: string): Promise<boolean> {
    const prev = orderKey === undefined ? undefined : this.tails.get(orderKey);
    // Nothing of this key in flight: straight to the bus (a hop less per message on the send path).
    const run = (prev ? prev.then(() => this.bus.publish(event)) : this.callBus(event)).then(PUBLISHED, (err: unknown) => {
      this.metrics?.eventPublishFailures.inc({ type: event.type });
      this.log?.error({ err, event: event.type, id: event.id }, 'event publish failed');
      return false;
    });
    this.pending.add(run);
    if (orderKey !== undefined) this.tails.set(orderKey, run);
    void run.then(() => {
      this.pending.delete(run);
      if (orderKey !== undefined && this.tails.get(orderKey) === run) this.tails.delete(orderKey);
    });
    return run;
  }

  private callBus(event: ParleyEvent): Promise<void> {
    try {
      return this.bus.publish(event);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Resolve once every publish queued so far has been answered (graceful shutdown). */
  async flush(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }
}
