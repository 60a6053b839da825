import type { EventBus, EventHandler, ParleyEvent, SubscribeOptions } from './event-bus.js';

/**
 * In-process bus: the embedded default. Limits: best effort, one process;
 * a subscriber that throws is logged by the caller's handler wrapper and
 * does not affect other subscribers or the publisher. Subscribers of one
 * group take turns (round robin), so each event reaches one of them.
 */
interface Subscription {
  handler: EventHandler;
  group?: string;
}

export class MemoryEventBus implements EventBus {
  private readonly subs = new Map<string, Set<Subscription>>();
  /** next turn per `${appId}\u0000${group}` */
  private readonly turns = new Map<string, number>();

  constructor(private readonly onHandlerError: (err: unknown, event: ParleyEvent) => void = () => {}) {}

  async publish(event: ParleyEvent): Promise<void> {
    for (const key of [event.app_id, '*']) {
      const set = this.subs.get(key);
      if (!set) continue;
      const groups = new Map<string, Subscription[]>();
      for (const s of set) {
        if (s.group === undefined) this.deliver(s.handler, event);
        else {
          let g = groups.get(s.group);
          if (!g) groups.set(s.group, (g = []));
          g.push(s);
        }
      }
      for (const [group, members] of groups) {
        const turnKey = `${key}\u0000${group}`;
        const turn = this.turns.get(turnKey) ?? 0;
        this.turns.set(turnKey, turn + 1);
        this.deliver(members[turn % members.length].handler, event);
      }
    }
  }

  private deliver(h: EventHandler, event: ParleyEvent): void {
    // Delivered asynchronously so a slow subscriber never holds up the message path.
    queueMicrotask(() => {
      Promise.resolve()
        .then(() => h(event))
        .catch((err) => this.onHandlerError(err, event));
    });
  }

  async subscribe(appId: string, handler: EventHandler, options: SubscribeOptions = {}): Promise<() => Promise<void>> {
    let set = this.subs.get(appId);
    if (!set) this.subs.set(appId, (set = new Set()));
    const sub: Subscription = { handler, group: options.group };
    set.add(sub);
    return async () => {
      set!.delete(sub);
    };
  }

  async close(): Promise<void> {
    this.subs.clear();
    this.turns.clear();
  }
}
