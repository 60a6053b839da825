import type { Control, ControlHandler, ControlMessage } from './control.js';

/**
 * In-process control plane: the embedded default, and the way several
 * dispatchers inside one process (the in-process cluster test) share one.
 *
 * `new MemoryControlHub()` is the "network"; each `hub.instance()` is one
 * process's `Control`. A message published on any instance reaches every
 * subscribed instance, its own included, in a later microtask, in publish
 * order. Limits: one process only; it never loses messages, so it never
 * resets unless `simulateReset()` is called (tests of reset handling).
 */
export class MemoryControlHub {
  private readonly instances = new Set<MemoryControl>();

  instance(): MemoryControl {
    const c = new MemoryControl(this);
    this.instances.add(c);
    return c;
  }

  /** @internal */
  fanOut(msg: ControlMessage): void {
    // Copy per delivery so no instance can mutate what another sees, as over a network.
    const text = JSON.stringify(msg);
    for (const c of this.instances) c.deliver(JSON.parse(text) as ControlMessage);
  }

  /** @internal */
  detach(c: MemoryControl): void {
    this.instances.delete(c);
  }
}

export class MemoryControl implements Control {
  private readonly handlers = new Set<ControlHandler>();
  private readonly resetHandlers = new Set<() => void>();
  private closed = false;

  constructor(private readonly hub: MemoryControlHub = new MemoryControlHub()) {}

  async publish(msg: ControlMessage): Promise<void> {
    if (this.closed) throw new Error('control plane closed');
    queueMicrotask(() => this.hub.fanOut(msg));
  }

  subscribe(handler: ControlHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  onReset(handler: () => void): () => void {
    this.resetHandlers.add(handler);
    return () => this.resetHandlers.delete(handler);
  }

  /** Tests: behave as if the subscription was lost and regained. */
  simulateReset(): void {
    for (const h of this.resetHandlers) h();
  }

  /** @internal */
  deliver(msg: ControlMessage): void {
    if (this.closed) return;
    for (const h of this.handlers) h(msg);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.handlers.clear();
    this.resetHandlers.clear();
    this.hub.detach(this);
  }
}
