import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Downstream, LinkSide, Upstream } from './transport.js';
import { checkToken, pack, subjects, unpack, type Beat } from './nats-subjects.js';
import { SessionBinding } from './session-binding.js';

/**
 * The link's end of the NATS transport (transport=nats; the seed's v1, kept
 * to reproduce its v1-vs-v2 comparison — TCP is the production transport).
 *
 * Dispatchers heartbeat on `ctl.d`; each new session is bound round-robin
 * to a live one and every later frame of it is published on that
 * dispatcher's `up.<id>` subject, so one connection's frames stay in order
 * on one dispatcher (a queue group would spread them message by message).
 * A dispatcher that says goodbye, restarts (new boot id) or misses
 * heartbeats for `deadAfterMs` loses its sessions (`onSessionsLost`); an
 * `open` while none is live leaves the session unbound until one appears.
 * Downstream arrives on `down.<link id>`; one naming another boot id of
 * this link is dropped (fencing). At-most-once, like the seam says.
 */
export interface NatsLinkSideOptions {
  nc: NatsConnection;
  /** subject prefix shared by the cluster */
  prefix: string;
  linkId: string;
  bootId: string;
  heartbeatMs?: number;
  deadAfterMs?: number;
  /** close the connection on close() (default false) */
  ownsConnection?: boolean;
  onError?: (err: unknown) => void;
}

interface Dispatcher {
  id: string;
  boot: string;
  lastSeen: number;
}

export class NatsLinkSide implements LinkSide {
  readonly linkId: string;
  private readonly s: ReturnType<typeof subjects>;
  private readonly dispatchers = new Map<string, Dispatcher>();
  /** conn id → the dispatcher id its session is bound to */
  private readonly sessions = new SessionBinding<string>();
  private readonly downHandlers = new Set<(m: Downstream) => void>();
  private readonly lostHandlers = new Set<(connIds: string[]) => void>();
  private readonly readyWaiters = new Set<() => void>();
  private readonly subs: Subscription[];
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  readonly stats = { framesOut: 0, droppedUp: 0, droppedDown: 0, sessionsLost: 0 };

  constructor(private readonly o: NatsLinkSideOptions) {
    checkToken(o.linkId, 'link id');
    this.linkId = o.linkId;
    this.s = subjects(o.prefix);
    this.subs = [
      o.nc.subscribe(this.s.down(o.linkId), { callback: (err, msg) => void (err || this.safely(() => this.onDownMsg(msg.data))) }),
      o.nc.subscribe(this.s.dispatchers, { callback: (err, msg) => void (err || this.safely(() => this.onBeat(unpack<Beat>(msg.data)))) }),
    ];
    const hb = o.heartbeatMs ?? 1000;
    const dead = o.deadAfterMs ?? 5000;
    this.beat('hello');
    this.timer = setInterval(() => {
      this.beat('hb');
      const now = Date.now();
      for (const d of [...this.dispatchers.values()]) if (now - d.lastSeen > dead) this.forget(d.id);
    }, hb);
    this.timer.unref();
  }

  /** Publish a heartbeat now (dispatchers refresh this link's location entries on it). */
  beat(t: Beat['t'] = 'hb'): void {
    // a closed connection just stops the beats: the dispatchers then count this link gone
    if (!this.closed) this.safely(() => this.o.nc.publish(this.s.links, pack({ t, id: this.linkId, boot: this.o.bootId } satisfies Beat)));
  }

  /** Resolves once at least one dispatcher is live (or rejects after `ms`). */
  whenReady(ms = 10_000): Promise<void> {
    if (this.dispatchers.size) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => (this.readyWaiters.delete(done), reject(new Error(`no dispatcher heard within ${ms} ms`))), ms);
      const done = () => (clearTimeout(t), resolve());
      this.readyWaiters.add(done);
    });
  }

  readyDispatchers(): string[] {
    return [...this.dispatchers.keys()];
  }

  /** a malformed message on our subjects (another version, a stray publisher) is reported, not thrown into the client */
  private safely(f: () => void): void {
    try {
      f();
    } catch (err) {
      this.o.onError?.(err);
    }
  }

  private onDownMsg(data: Uint8Array): void {
    if (this.closed) return;
    const m = unpack<Downstream>(data);
    if (m.boot_id !== undefined && m.boot_id !== this.o.bootId) {
      this.stats.droppedDown++;
      return;
    }
    for (const h of this.downHandlers) {
      try {
        h(m);
      } catch (err) {
        (this.o.onError ?? ((e) => { throw e; }))(err);
      }
    }
  }

  private onBeat(b: Beat): void {
    if (this.closed) return;
    if (b.t === 'bye') return this.forget(b.id);
    const known = this.dispatchers.get(b.id);
    if (known && known.boot === b.boot) {
      known.lastSeen = Date.now();
      return;
    }
    if (known) this.forget(b.id); // restarted: its earlier life's sessions are gone
    this.dispatchers.set(b.id, { id: b.id, boot: b.boot, lastSeen: Date.now() });
    for (const w of this.readyWaiters) w();
    this.readyWaiters.clear();
    const ids = this.sessions.takeUnbound();
    if (ids.length) this.fireLost(ids);
  }

  private forget(id: string): void {
    if (!this.dispatchers.delete(id)) return;
    const lost = this.sessions.release(id);
    if (lost.length) this.fireLost(lost);
  }

  private fireLost(connIds: string[]): void {
    this.stats.sessionsLost += connIds.length;
    queueMicrotask(() => {
      for (const h of this.lostHandlers) h(connIds);
    });
  }

  up(msg: Upstream): boolean {
    if (this.closed) return true;
    const d = this.sessions.route(msg, () => [...this.dispatchers.keys()]);
    if (d) this.publish(d, msg);
    else if (msg.kind !== 'open') this.stats.droppedUp++;
    return true; // the NATS client buffers; nothing here to refuse on
  }

  private publish(dispatchId: string, msg: Upstream): void {
    try {
      this.o.nc.publish(this.s.up(dispatchId), pack({ b: this.o.bootId, m: msg }));
      this.stats.framesOut++;
    } catch {
      this.stats.droppedUp++; // connection closed or draining: at-most-once
    }
  }

  onDown(handler: (msg: Downstream) => void): void {
    if (!this.closed) this.downHandlers.add(handler);
  }

  onSessionsLost(handler: (connIds: string[]) => void): void {
    if (!this.closed) this.lostHandlers.add(handler);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.beat('bye'); // after everything this link published: dispatchers hear it gone last
    this.closed = true;
    clearInterval(this.timer);
    this.downHandlers.clear();
    this.lostHandlers.clear();
    for (const s of this.subs) s.unsubscribe();
    if (this.o.ownsConnection) await this.o.nc.drain().catch(() => {});
    else await this.o.nc.flush().catch(() => {});
    this.sessions.clear();
  }
}
