import { createServer, type Server, type Socket } from 'node:net';
import type { DispatchSide, Downstream, Upstream } from './transport.js';
import { DEFAULT_PEER_OPTIONS, FramedPeer, type PeerOptions, type WireFrame } from './tcp-peer.js';

/**
 * The dispatcher's end of the TCP transport (cluster mode): a listener that
 * every link dials. One connection per (link, dispatcher) pair carries both
 * directions, so a dispatcher holds a connection to every live link and
 * writes one frame per link per push (payload encoded once, target
 * connections beside it).
 *
 * Handshake: the link's first frame is `{t:'hello', link_id, boot_id}`; the
 * reply is `{t:'hello', dispatch_id, boot_id}`. A connection that does not say
 * hello within `deadAfterMs` is dropped. A new connection from a link id
 * replaces the old one; the old one's sessions are reported gone first.
 *
 * Fencing: every session that comes up is stamped with the boot id of its
 * link's hello (`SessionInfo.boot_id`, kept in the location); a downstream
 * message that names a `boot_id` other than the link's current one (a route
 * of an earlier life of that link) is dropped.
 *
 * Push-only sides (the api role): the same listener, announced in the
 * registry as `sessions: false`; links dial it like a dispatcher and receive
 * its pushes, but never bind a session to it, so nothing comes up on it.
 */
export interface TcpDispatchSideOptions extends Partial<PeerOptions> {
  dispatchId: string;
  bootId: string;
  host?: string;
  /** 0 = any free port */
  port?: number;
  onError?: (err: unknown) => void;
}

interface LinkConn {
  linkId: string;
  bootId: string;
  peer: FramedPeer;
}

export class TcpDispatchSide implements DispatchSide {
  private readonly server: Server;
  private readonly opts: PeerOptions;
  private readonly links = new Map<string, LinkConn>();
  private readonly pending = new Set<FramedPeer>();
  private readonly upHandlers = new Set<(m: Upstream) => void>();
  private readonly goneHandlers = new Set<(linkId: string) => void>();
  private readonly hbHandlers = new Set<(linkId: string) => void>();
  private closed = false;
  readonly stats = { framesIn: 0, droppedDown: 0, linksGone: 0 };

  constructor(private readonly o: TcpDispatchSideOptions) {
    this.opts = { ...DEFAULT_PEER_OPTIONS, ...stripUndefined(o) };
    this.server = createServer((s) => this.accept(s));
  }

  /** Start listening; resolves with the address peers dial (host:port). */
  listen(): Promise<string> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.o.port ?? 0, this.o.host ?? '127.0.0.1', () => {
        this.server.off('error', reject);
        const a = this.server.address();
        resolve(typeof a === 'object' && a ? `${this.o.host ?? '127.0.0.1'}:${a.port}` : String(a));
      });
    });
  }

  /** Link ids with a live connection now. */
  connectedLinks(): string[] {
    return [...this.links.keys()];
  }

  private accept(socket: Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    let me: LinkConn | undefined;
    const peer: FramedPeer = new FramedPeer(socket, this.opts, {
      onFrame: (f) => {
        if (!me) {
          if (f.t !== 'hello' || typeof f.link_id !== 'string' || typeof f.boot_id !== 'string') {
            socket.destroy();
            return;
          }
          this.pending.delete(peer);
          me = { linkId: f.link_id, bootId: f.boot_id, peer };
          const old = this.links.get(me.linkId);
          if (old) {
            // The link reconnected or restarted: the sessions it had here are gone either way.
            this.links.delete(me.linkId);
            old.peer.destroy();
            this.fireGone(me.linkId);
          }
          this.links.set(me.linkId, me);
          peer.send({ t: 'hello', dispatch_id: this.o.dispatchId, boot_id: this.o.bootId });
          return;
        }
        if (f.t === 'up') {
          this.stats.framesIn++;
          const m = f.m as Upstream;
          // The link's life is the one of this connection's hello, whatever the frame says.
          m.session.boot_id = me.bootId;
          this.deliver(this.upHandlers, m);
        }
      },
      onHeartbeat: () => {
        if (me) this.deliver(this.hbHandlers, me.linkId);
      },
      onClose: () => {
        this.pending.delete(peer);
        if (me && this.links.get(me.linkId) === me) {
          this.links.delete(me.linkId);
          this.fireGone(me.linkId);
        }
      },
    });
    this.pending.add(peer);
    const helloTimer = setTimeout(() => {
      if (!me) socket.destroy();
    }, this.opts.deadAfterMs);
    helloTimer.unref();
  }

  private fireGone(linkId: string): void {
    this.stats.linksGone++;
    if (!this.closed) this.deliver(this.goneHandlers, linkId);
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
    const c = this.links.get(msg.link_id);
    if (!c || (msg.boot_id !== undefined && msg.boot_id !== c.bootId)) {
      this.stats.droppedDown++;
      return;
    }
    if (!c.peer.send({ t: 'down', m: msg })) this.stats.droppedDown++;
  }

  /** Stop at once without flushing (what a crash looks like to the links). */
  abort(): void {
    this.closed = true;
    this.upHandlers.clear();
    this.server.close();
    for (const c of this.links.values()) c.peer.destroy();
    for (const p of this.pending) p.destroy();
    this.links.clear();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.upHandlers.clear();
    const closing = new Promise<void>((r) => this.server.close(() => r()));
    // Flush what dispatch already sent (acks of committed messages), then close.
    await Promise.all([...this.links.values()].map((c) => c.peer.end()));
    for (const p of this.pending) p.destroy();
    this.links.clear();
    await closing;
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
