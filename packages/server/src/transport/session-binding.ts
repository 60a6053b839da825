import type { Upstream } from './transport.js';

/**
 * Which dispatcher each of a link's sessions is bound to, for the network
 * link sides (TCP, NATS): an `open` binds the session round-robin to one of
 * the live dispatchers and every later frame of it goes there; an `open`
 * while none is live leaves the session unbound, to be re-opened once one
 * is; a `close` unbinds. `P` is whatever names a dispatcher to the caller.
 */
export class SessionBinding<P> {
  private readonly bound = new Map<string, P>();
  private readonly unbound = new Set<string>();
  private rr = 0;

  /**
   * Where one upstream message goes: its session's dispatcher, or undefined —
   * for an `open`, because no dispatcher is live (the session is now unbound);
   * for any other message, because its session is not bound (dropped).
   */
  route(msg: Upstream, live: () => readonly P[]): P | undefined {
    const connId = msg.session.conn_id;
    if (msg.kind === 'open') {
      const l = live();
      if (l.length === 0) {
        this.unbound.add(connId);
        return undefined;
      }
      const p = l[this.rr++ % l.length]!;
      this.bound.set(connId, p);
      this.unbound.delete(connId);
      return p;
    }
    const p = this.bound.get(connId);
    if (msg.kind === 'close') {
      this.bound.delete(connId);
      this.unbound.delete(connId);
    }
    return p;
  }

  /** The dispatcher went away: its sessions, now unbound (the link re-opens them). */
  release(peer: P): string[] {
    const lost: string[] = [];
    for (const [conn, p] of this.bound) {
      if (p === peer) {
        this.bound.delete(conn);
        lost.push(conn);
      }
    }
    return lost;
  }

  /** Sessions opened while no dispatcher was live, taken to be re-opened now that one is. */
  takeUnbound(): string[] {
    const ids = [...this.unbound];
    this.unbound.clear();
    return ids;
  }

  clear(): void {
    this.bound.clear();
    this.unbound.clear();
  }
}
