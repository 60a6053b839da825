import type { EventBus, EventHandler, ParleyEvent } from './event-bus.js';

/**
 * In-process bus: the embedded default. Limits: best effort, one process;
 * a subscriber that throws is logged by the caller's handler wrapper and
 * does not affect other subscribers or the publisher.
 */
export class MemoryEventBus implements EventBus {
  private readonly handlers = new Map<string, Set<EventHandler>>();

  constructor(private readonly onHandlerError: (err: unknown, event: ParleyEvent) => void = () => {}) {}

  async publish(event: ParleyEvent): Promise<void> {
    for (const key of [event.app_id, '*']) {
      const set = this.handlers.get(key);
      if (!set) continue;
      for (const h of set) {
        // Delivered asynchronously so a slow subscriber never holds up the message path.
        queueMicrotask(() => {
          Promise.resolve()
            .then(() => h(event))
            .catch((err) => this.onHandlerError(err, event));
        });
      }
    }
  }

  async subscribe(appId: string, handler: EventHandler): Promise<() => Promise<void>> {
    let set = this.handlers.get(appId);
    if (!set) this.handlers.set(appId, (set = new Set()));
    set.add(handler);
    return async () => {
      set!.delete(handler);
    };
  }

  async close(): Promise<void> {
    this.handlers.clear();
  }
}
