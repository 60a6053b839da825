import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { DispatchSide, Downstream, Upstream } from './transport.js';
import { checkToken, pack, subjects, unpack, type Beat } from './nats-subjects.js';

/**
 * The dispatcher's end of the NATS transport (transport=nats; the seed's
 * v1, see nats-link-side.ts). It receives the sessions bound to it on
 * `up.<dispatch id>`, heartbeats on `ctl.d` (answering a link's hello at
 * once, so a new link can bind sessions without waiting a period), and
 * publishes downstream on `down.<link id>`: one message per link per push,
 * the payload encoded once beside the target connections.
 *
 * Links are tracked from their beats on `ctl.l`: a goodbye, a new boot id
 * (restart) or `deadAfterMs` without a beat is `onLinkGone`. Every session
 * is stamped with the boot id its link published it under; downstream to a
 * link not heard from, or naming another boot id than its current one, is
 * dropped (fencing).
 *
 * `sessions: false` (the api role): never announced to the links, so nothing
 * comes up; it only pushes (wrap it in PushOnlySide).
 */
export interface NatsDispatchSideOptions {
  nc: NatsConnection;
  prefix: string;
  dispatchId: string;
  bootId: string;
  /** false: push only, never given a session (default true) */
  sessions?: boolean;
  heartbeatMs?: number;
  deadAfterMs?: number;
  ownsConnection?: boolean;
  onError?: (err: unknown) => void;
}

export class NatsDispatchSide implements DispatchSide {
  private readonly s: ReturnType<typeof subjects>;
  /** link id → its current boot id and when it was last heard */
  private readonly links = new Map<string, { boot: string; lastSeen: number }>();
  private readonly upHandlers = new Set<(m: Upstream) => void>();
  private readonly goneHandlers = new Set<(linkId: string) => void>();
  private readonly hbHandlers = new Set<(linkId: string) => void>();
  private readonly subs: Subscription[] = [];
  private readonly timer: NodeJS.Timeout;
  private readonly takesSessions: boolean;
  private closed = false;
  readonly stats = { framesIn: 0, droppedDown: 0, linksGone: 0 };

  constructor(private readonly o: NatsDispatchSideOptions) {
    checkToken(o.dispatchId, 'dispatch id');
    this.s = subjects(o.prefix);
    this.takesSessions = o.sessions !== false;
    if (this.takesSessions) {
      this.subs.push(o.nc.subscribe(this.s.up(o.dispatchId), { callback: (err, msg) => void (err || this.safely(() => this.onUpMsg(msg.data))) }));
    }
    this.subs.push(o.nc.subscribe(this.s.links, { callback: (err, msg) => void (err || this.safely(() => this.onBeat(unpack<Beat>(msg.data)))) }));
    this.beat('hb');
    const dead = o.deadAfterMs ?? 5000;
    this.timer = setInterval(() => {
      this.beat('hb');
      const now = Date.now();
      for (const [id, l] of [...this.links]) if (now - l.lastSeen > dead) this.gone(id);
    }, o.heartbeatMs ?? 1000);
    this.timer.unref();
  }

  /** Resolves once the subscriptions are registered at the server. */
  async ready(): Promise<void> {
    await this.o.nc.flush();
  }

  connectedLinks(): string[] {
    return [...this.links.keys()];
  }

  private beat(t: Beat['t']): void {
    if (!this.takesSessions || this.closed) return;
    // a closed connection (NATS gave up reconnecting) just stops the beats: the links then count this dispatcher dead
    this.safely(() => this.o.nc.publish(this.s.dispatchers, pack({ t, id: this.o.dispatchId, boot: this.o.bootId } satisfies Beat)));
  }

  private onUpMsg(data: Uint8Array): void {
    if (this.closed) return;
    const { b, m } = unpack<{ b: string; m: Upstream }>(data);
    this.stats.framesIn++;
    m.session.boot_id = b;
    this.deliver(this.upHandlers, m);
  }

  private onBeat(b: Beat): void {
    if (this.closed) return;
    if (b.t === 'bye') return this.gone(b.id);
    const known = this.links.get(b.id);
    if (known && known.boot !== b.boot) this.gone(b.id); // restarted: its earlier sessions are gone
    const l = this.links.get(b.id);
    if (l) l.lastSeen = Date.now();
    else this.links.set(b.id, { boot: b.boot, lastSeen: Date.now() });
    if (b.t === 'hello') this.beat('hb');
    this.deliver(this.hbHandlers, b.id);
  }

  private gone(linkId: string): void {
    if (!this.links.delete(linkId)) return;
    this.stats.linksGone++;
    this.deliver(this.goneHandlers, linkId);
  }

  /** a malformed message on our subjects (another version, a stray publisher) is reported, not thrown into the client */
  private safely(f: () => void): void {
    try {
      f();
    } catch (err) {
      this.o.onError?.(err);
    }
  }

  private deliver<T>(handlers: Set<(m: T) => void>, msg: T): void {
    for (const h of handlers) {
      try {
        h(msg);
      } catch (err) {
        (this.o.onError ?? ((e) => { throw e; }))(err);
      }
    }
  }

  onUp(handler: (msg: Upstream) => void): void {
    if (!this.closed) this.upHandlers.add(handler);
  }

  onLinkGone(handler: (linkId: string) => void): void {
    this.goneHandlers.add(handler);
  }

  onLinkHeartbeat(handler: (linkId: string) => void): void {
    this.hbHandlers.add(handler);
  }

  down(msg: Downstream): void {
    const l = this.links.get(msg.link_id);
    if (this.closed || !l || (msg.boot_id !== undefined && msg.boot_id !== l.boot)) {
      this.stats.droppedDown++;
      return;
    }
    try {
      this.o.nc.publish(this.s.down(msg.link_id), pack(msg));
    } catch {
      this.stats.droppedDown++;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.beat('bye'); // after every downstream message it published: links re-open its sessions after those
    this.closed = true;
    clearInterval(this.timer);
    this.upHandlers.clear();
    for (const s of this.subs) s.unsubscribe();
    if (this.o.ownsConnection) await this.o.nc.drain().catch(() => {});
    else await this.o.nc.flush().catch(() => {});
    this.links.clear();
  }
}
