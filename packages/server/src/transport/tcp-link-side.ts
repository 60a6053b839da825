import { connect } from 'node:net';
import type { Downstream, LinkSide, Upstream } from './transport.js';
import { SessionBinding } from './session-binding.js';
import { DEFAULT_PEER_OPTIONS, FramedPeer, type PeerOptions } from './tcp-peer.js';

/**
 * The link's end of the TCP transport (cluster mode): a persistent
 * connection to every live dispatcher, found through `watchDispatchers` (the
 * registry), each re-dialled with backoff while the dispatcher is listed.
 *
 * Each new session (`open`) is bound round-robin to a ready dispatcher, and
 * every later frame of it goes there, so one connection's frames stay in
 * order on one dispatcher. When that dispatcher's connection is lost, its
 * sessions are unbound and reported through `onSessionsLost`; the link
 * re-opens them, which binds them to another ready dispatcher. An `open`
 * while no dispatcher is ready leaves the session unbound; it is reported
 * lost (to be opened again) as soon as one becomes ready. Frames of an
 * unbound session are dropped (at-most-once; the link re-sends unanswered
 * sends after the re-open). A frame that finds its dispatcher's queue full
 * (`maxBufferedBytes`) is dropped and `up` returns false: backpressure the
 * link passes on to the client as `unavailable`.
 *
 * Push-only sides (`sessions: false`, the api role) are dialled and heard
 * like dispatchers, but never given a session: nothing this link sends up
 * goes there, and losing one loses no session.
 */
export interface DispatcherAddress {
  id: string;
  boot_id: string;
  /** host:port */
  address: string;
  /**
   * false: a push-only side (the api role) — dialled and listened to like a
   * dispatcher, never given a session (default true)
   */
  sessions?: boolean;
}

export interface TcpLinkSideOptions extends Partial<PeerOptions> {
  linkId: string;
  bootId: string;
  /** calls the handler with the full list of live dispatchers on every change; returns an unsubscribe */
  watchDispatchers(handler: (list: DispatcherAddress[]) => void): () => void;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  onError?: (err: unknown) => void;
}

interface Peer {
  target: DispatcherAddress;
  conn?: FramedPeer;
  ready: boolean;
  wanted: boolean;
  attempts: number;
  retry?: NodeJS.Timeout;
}

export class TcpLinkSide implements LinkSide {
  readonly linkId: string;
  private readonly opts: PeerOptions;
  private readonly peers = new Map<string, Peer>();
  /** conn id → the dispatcher its session is bound to */
  private readonly sessions = new SessionBinding<Peer>();
  private readonly downHandlers = new Set<(m: Downstream) => void>();
  private readonly lostHandlers = new Set<(connIds: string[]) => void>();
  private readonly readyWaiters = new Set<() => void>();
  private readonly unwatch: () => void;
  private closed = false;
  /** refusedUp: frames dropped because the queue to their dispatcher was full (counted in droppedUp too) */
  readonly stats = { framesOut: 0, droppedUp: 0, refusedUp: 0, reconnects: 0, sessionsLost: 0 };

  constructor(private readonly o: TcpLinkSideOptions) {
    this.linkId = o.linkId;
    this.opts = { ...DEFAULT_PEER_OPTIONS, ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) };
    this.unwatch = o.watchDispatchers((list) => this.reconcile(list));
  }

  /** Resolves once at least one dispatcher is ready (or rejects after `ms`). */
  whenReady(ms = 10_000): Promise<void> {
    if (this.readyPeers().length) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.readyWaiters.delete(done);
        reject(new Error(`no dispatcher ready within ${ms} ms`));
      }, ms);
      const done = () => {
        clearTimeout(t);
        resolve();
      };
      this.readyWaiters.add(done);
    });
  }

  readyDispatchers(): string[] {
    return this.readyPeers().map((p) => p.target.id);
  }

  /** ready dispatchers that take sessions (push-only sides are left out) */
  private readyPeers(): Peer[] {
    return [...this.peers.values()].filter((p) => p.ready && p.target.sessions !== false);
  }

  private reconcile(list: DispatcherAddress[]): void {
    if (this.closed) return;
    const live = new Map(list.map((d) => [d.id, d]));
    for (const [id, p] of this.peers) {
      const t = live.get(id);
      if (!t || t.boot_id !== p.target.boot_id || t.address !== p.target.address) this.drop(p);
    }
    for (const t of list) if (!this.peers.has(t.id)) this.dial({ target: t, ready: false, wanted: true, attempts: 0 });
  }

  private dial(p: Peer): void {
    this.peers.set(p.target.id, p);
    const [host, port] = splitAddress(p.target.address);
    const socket = connect({ host, port });
    p.conn = new FramedPeer(socket, this.opts, {
      onFrame: (f) => {
        if (f.t === 'hello') {
          p.ready = true;
          p.attempts = 0;
          if (p.target.sessions !== false) this.onPeerReady();
        } else if (f.t === 'down' && !this.closed) {
          const m = f.m as Downstream;
          for (const h of this.downHandlers) {
            try {
              h(m);
            } catch (err) {
              (this.o.onError ?? ((e) => { throw e; }))(err);
            }
          }
        }
      },
      onClose: () => this.onPeerClosed(p),
    });
    p.conn.send({ t: 'hello', link_id: this.linkId, boot_id: this.o.bootId });
  }

  /** The dispatcher left the registry (or restarted): close and forget it. */
  private drop(p: Peer): void {
    p.wanted = false;
    if (p.retry) clearTimeout(p.retry);
    this.peers.delete(p.target.id);
    if (p.conn && !p.conn.isClosed) p.conn.destroy();
    else this.onPeerClosed(p);
  }

  private onPeerReady(): void {
    for (const w of this.readyWaiters) w();
    this.readyWaiters.clear();
    const ids = this.sessions.takeUnbound();
    if (ids.length) this.fireLost(ids);
  }

  private onPeerClosed(p: Peer): void {
    const wasReady = p.ready;
    p.ready = false;
    p.conn = undefined;
    const lost = this.sessions.release(p);
    if (lost.length && !this.closed) this.fireLost(lost);
    if (this.closed || !p.wanted) return;
    // Re-dial while the registry still lists it: backoff with jitter, reset once a hello arrives.
    if (wasReady) this.stats.reconnects++;
    const min = this.o.reconnectMinMs ?? 100;
    const max = this.o.reconnectMaxMs ?? 5000;
    const delay = Math.min(max, min * 2 ** p.attempts) * (0.5 + Math.random() / 2);
    p.attempts = Math.min(p.attempts + 1, 16);
    p.retry = setTimeout(() => {
      p.retry = undefined;
      if (p.wanted && !this.closed && this.peers.get(p.target.id) === p) this.dial(p);
    }, delay);
    p.retry.unref();
  }

  private fireLost(connIds: string[]): void {
    this.stats.sessionsLost += connIds.length;
    // Never synchronously inside `up`: report on a later turn.
    queueMicrotask(() => {
      for (const h of this.lostHandlers) h(connIds);
    });
  }

  up(msg: Upstream): boolean {
    if (this.closed) return true;
    const p = this.sessions.route(msg, () => this.readyPeers());
    if (p) return this.send(p, msg);
    if (msg.kind !== 'open') this.stats.droppedUp++;
    return true;
  }

  /** false only when the connection is up and its queue is full (backpressure); a lost one's sessions are re-opened */
  private send(p: Peer, msg: Upstream): boolean {
    if (p.conn && p.conn.send({ t: 'up', m: msg })) {
      this.stats.framesOut++;
      return true;
    }
    this.stats.droppedUp++;
    if (!p.conn || p.conn.isClosed || p.conn.socket.destroyed) return true;
    this.stats.refusedUp++;
    return false;
  }

  onDown(handler: (msg: Downstream) => void): void {
    if (!this.closed) this.downHandlers.add(handler);
  }

  onSessionsLost(handler: (connIds: string[]) => void): void {
    if (!this.closed) this.lostHandlers.add(handler);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unwatch();
    this.downHandlers.clear();
    this.lostHandlers.clear();
    const ends: Promise<void>[] = [];
    for (const p of this.peers.values()) {
      p.wanted = false;
      if (p.retry) clearTimeout(p.retry);
      // What this link sent before closing (the `close` of its sessions) is flushed first.
      if (p.conn) ends.push(p.conn.end());
    }
    await Promise.all(ends);
    this.peers.clear();
    this.sessions.clear();
  }
}

function splitAddress(a: string): [string, number] {
  const i = a.lastIndexOf(':');
  return [a.slice(0, i).replace(/^\[|\]$/g, ''), Number(a.slice(i + 1))];
}
