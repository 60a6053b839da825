import type { Redis } from 'ioredis';
import type { Control, ControlHandler, ControlMessage } from './control.js';

/**
 * The control plane on Redis pub/sub: one channel for the whole cluster.
 *
 * Key layout (P = the configured prefix): no keys; one pub/sub channel
 * `P control` carrying each message as JSON.
 *
 * Publishing goes through the caller's command connection (one connection,
 * so one publisher's messages reach Redis — and every subscriber — in
 * publish order). Receiving uses a dedicated subscriber connection this
 * class owns. Redis pub/sub is at-most-once: a subscriber that is
 * disconnected misses what was published meanwhile, so after every
 * reconnect this class subscribes again and only then calls the `onReset`
 * handlers (they drop their caches; messages after the new subscription are
 * delivered normally). Delivery to the publishing process itself goes
 * through Redis too, so it is never synchronous.
 *
 * A connection that stalls without closing (a partition, a half-open TCP
 * connection) would lose messages silently, so the subscriber connection
 * is probed with PING every `pingMs`; a PING unanswered for `pingMs` drops
 * the connection, and the reconnect resets as above.
 */
export interface RedisControlOptions {
  prefix: string;
  /** a handler that throws is reported here; other handlers still run */
  onHandlerError?: (err: unknown, msg: ControlMessage) => void;
  /** probe period and timeout of the subscriber connection (default 3000) */
  pingMs?: number;
  /** `close` also closes the publishing client (the composition root hands over a connection of its own) */
  closeClient?: boolean;
}

export class RedisControl implements Control {
  private readonly handlers = new Set<ControlHandler>();
  private readonly resetHandlers = new Set<() => void>();
  private readonly channel: string;
  private closed = false;
  private probe: NodeJS.Timeout | undefined;
  private probing = false;

  private constructor(
    private readonly redis: Redis,
    private readonly sub: Redis,
    private readonly options: RedisControlOptions,
  ) {
    this.channel = `${options.prefix}control`;
  }

  /**
   * Subscribes before it resolves, so a message published after `start`
   * returns reaches this process. `redis` publishes (it stays the caller's
   * unless `closeClient`); a duplicate of it, owned here, subscribes.
   */
  static async start(redis: Redis, options: RedisControlOptions): Promise<RedisControl> {
    // Resubscription is done here, not by ioredis, so a reset is announced only once the subscription is back.
    const sub = redis.duplicate({ autoResubscribe: false, lazyConnect: true });
    const control = new RedisControl(redis, sub, options);
    sub.on('message', (channel: string, text: string) => {
      if (channel === control.channel) control.deliver(text);
    });
    // ioredis reports connection errors as events; a reconnect follows, and the reset after it.
    sub.on('error', () => {});
    await sub.connect();
    await sub.subscribe(control.channel);
    sub.on('ready', () => void control.resubscribed());
    const pingMs = options.pingMs ?? 3000;
    control.probe = setInterval(() => void control.probeOnce(pingMs), pingMs);
    control.probe.unref();
    return control;
  }

  /** A PING that stays unanswered means the connection is dead without knowing it: drop it and reconnect. */
  private async probeOnce(timeoutMs: number): Promise<void> {
    if (this.closed || this.probing || this.sub.status !== 'ready') return;
    this.probing = true;
    let timer: NodeJS.Timeout | undefined;
    try {
      const answered = await Promise.race([
        this.sub.ping().then(() => true, () => true), // an error is an answer: the connection is alive or already closing
        new Promise<false>((r) => (timer = setTimeout(() => r(false), timeoutMs))),
      ]);
      if (!answered && !this.closed) this.sub.disconnect(true);
    } finally {
      clearTimeout(timer);
      this.probing = false;
    }
  }

  private async resubscribed(): Promise<void> {
    if (this.closed) return;
    try {
      await this.sub.subscribe(this.channel);
    } catch {
      return; // the connection dropped again; the next 'ready' retries
    }
    for (const h of [...this.resetHandlers]) {
      try {
        h();
      } catch (err) {
        this.options.onHandlerError?.(err, { type: 'control.reset' });
      }
    }
  }

  private deliver(text: string): void {
    if (this.closed) return;
    let msg: ControlMessage;
    try {
      msg = JSON.parse(text) as ControlMessage;
    } catch {
      return; // not ours (a foreign publisher on the channel)
    }
    if (typeof msg?.type !== 'string') return;
    for (const h of [...this.handlers]) {
      try {
        h(msg);
      } catch (err) {
        this.options.onHandlerError?.(err, msg);
      }
    }
  }

  async publish(msg: ControlMessage): Promise<void> {
    if (this.closed) throw new Error('control plane closed');
    await this.redis.publish(this.channel, JSON.stringify(msg));
  }

  subscribe(handler: ControlHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  onReset(handler: () => void): () => void {
    this.resetHandlers.add(handler);
    return () => this.resetHandlers.delete(handler);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.probe);
    this.handlers.clear();
    this.resetHandlers.clear();
    this.sub.disconnect();
    if (this.options.closeClient) await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
