import type { DispatchSide, Downstream, LinkSide, Upstream } from './transport.js';

/**
 * The link ↔ dispatch transport inside one process: any number of dispatch
 * sides and link sides, messages passed by reference. Embedded mode uses one
 * of each; the in-process cluster test uses several of both.
 *
 * Same promises as the network transport, and the same timing: `up` and
 * `down` never call a handler synchronously — each message is delivered in a
 * later microtask, in the order it was sent (one FIFO queue for the whole
 * process, so per-connection and per-link order both hold). A handler can
 * therefore send from inside a handler without re-entering its caller.
 *
 * Sessions: each `open` goes to the next live dispatch side that takes
 * sessions (round-robin, decided when the open is delivered); the frames and
 * the `close` of that connection follow it there. Lifecycle, as the network
 * transport reports it:
 * - a dispatch side that closes gets nothing more; after everything it sent
 *   before is delivered, every link that had sessions on it hears
 *   `onSessionsLost` with their conn ids (it re-opens them, which binds them
 *   to another dispatch side). Frames sent for such a session before its
 *   re-open are dropped (at-most-once; the link re-sends what was unanswered).
 * - an `open` finding no live dispatch side is parked; when a dispatch side
 *   is added, its link hears `onSessionsLost` for it.
 * - a link side that closes is reported to every dispatch side
 *   (`onLinkGone`) after the messages it sent before closing.
 * - each link side heartbeats every `linkHeartbeatMs` (`onLinkHeartbeat` on
 *   every dispatch side); `heartbeatNow()` sends one beat at once.
 *
 * Limits: one process only. Messages are shared, not copied: neither side may
 * mutate a message after sending it. A message with no attached receiver
 * (no handler yet, unknown link, closed side) is dropped — the seam is
 * at-most-once, exactly like a broken TCP connection.
 */
export interface InProcTransportOptions {
  /** called when a handler throws; default: rethrow (crash loudly, as an uncaught listener error would) */
  onHandlerError?: (err: unknown) => void;
  /** how often each link heartbeats upstream, ms (default 5000; 0: only on `heartbeatNow()`) */
  linkHeartbeatMs?: number;
}

export interface DispatchSideOptions {
  /** false: a side that only pushes (an api process); never gets sessions. Default true. */
  takesSessions?: boolean;
}

type Handler<T> = (msg: T) => void;

interface DispatchEnd {
  open: boolean;
  takesSessions: boolean;
  up: Set<Handler<Upstream>>;
  linkGone: Set<Handler<string>>;
  heartbeat: Set<Handler<string>>;
}

interface LinkEnd {
  down: Set<Handler<Downstream>>;
  lost: Set<Handler<string[]>>;
  timer: NodeJS.Timeout | undefined;
}

export class InProcTransport {
  /** the first dispatch side (the only one in embedded mode) */
  readonly dispatchSide: DispatchSide;
  private readonly dispatchers: DispatchEnd[] = [];
  private readonly links = new Map<string, LinkEnd>();
  /** `${link}\0${conn}` → the dispatch side the session is bound to */
  private readonly bound = new Map<string, DispatchEnd>();
  /** sessions whose open found no dispatch side, by link */
  private readonly parked = new Map<string, Set<string>>();
  private next = 0;
  private readonly onError: (err: unknown) => void;
  private readonly heartbeatMs: number;

  constructor(opts: InProcTransportOptions = {}) {
    this.onError = opts.onHandlerError ?? ((err) => { throw err; });
    this.heartbeatMs = opts.linkHeartbeatMs ?? 5000;
    this.dispatchSide = this.addDispatchSide();
  }

  /** Attach one more dispatch side (another dispatcher, or an api process with `takesSessions: false`). */
  addDispatchSide(opts: DispatchSideOptions = {}): DispatchSide {
    const end: DispatchEnd = { open: true, takesSessions: opts.takesSessions ?? true, up: new Set(), linkGone: new Set(), heartbeat: new Set() };
    this.dispatchers.push(end);
    // Checked when it runs: opens already queued may park before it.
    if (end.takesSessions) queueMicrotask(() => this.unpark());
    const self = this;
    return {
      onUp(handler) {
        if (end.open) end.up.add(handler);
      },
      onLinkGone(handler) {
        if (end.open) end.linkGone.add(handler);
      },
      onLinkHeartbeat(handler) {
        if (end.open) end.heartbeat.add(handler);
      },
      down(msg) {
        if (!end.open) return;
        // Resolve the receiver at delivery time: a link that closes meanwhile gets nothing.
        queueMicrotask(() => self.deliver(self.links.get(msg.link_id)?.down, msg));
      },
      async close() {
        if (!end.open) return;
        end.open = false;
        end.up.clear();
        end.linkGone.clear();
        end.heartbeat.clear();
        self.dispatchers.splice(self.dispatchers.indexOf(end), 1);
        const lost = new Map<string, string[]>();
        for (const [key, d] of self.bound) {
          if (d !== end) continue;
          self.bound.delete(key);
          const [linkId, connId] = splitKey(key);
          let list = lost.get(linkId);
          if (!list) lost.set(linkId, (list = []));
          list.push(connId);
        }
        queueMicrotask(() => {
          for (const [linkId, connIds] of lost) self.deliver(self.links.get(linkId)?.lost, connIds);
        });
        await drain();
      },
    };
  }

  /** Attach a link. Several links may attach; a link id is attached at most once at a time. */
  linkSide(linkId: string): LinkSide {
    if (this.links.has(linkId)) throw new Error(`link ${linkId} is already attached`);
    const end: LinkEnd = { down: new Set(), lost: new Set(), timer: undefined };
    if (this.heartbeatMs > 0) end.timer = setInterval(() => this.beat(linkId), this.heartbeatMs).unref();
    this.links.set(linkId, end);
    let open = true;
    const self = this;
    return {
      linkId,
      up(msg) {
        if (open) queueMicrotask(() => self.route(linkId, msg));
        return true;
      },
      onDown(handler) {
        if (open) end.down.add(handler);
      },
      onSessionsLost(handler) {
        if (open) end.lost.add(handler);
      },
      async close() {
        if (!open) return;
        open = false;
        clearInterval(end.timer);
        // Messages this link sent before closing (e.g. the `close` of each of its
        // connections during shutdown) are already queued and still delivered.
        if (self.links.get(linkId) === end) self.links.delete(linkId);
        end.down.clear();
        end.lost.clear();
        queueMicrotask(() => {
          for (const key of [...self.bound.keys()]) if (splitKey(key)[0] === linkId) self.bound.delete(key);
          self.parked.delete(linkId);
          for (const d of [...self.dispatchers]) self.deliver(d.linkGone, linkId);
        });
        await drain();
      },
    };
  }

  /** Every attached link heartbeats once now. */
  heartbeatNow(): void {
    for (const linkId of this.links.keys()) this.beat(linkId);
  }

  private beat(linkId: string): void {
    queueMicrotask(() => {
      if (!this.links.has(linkId)) return;
      for (const d of [...this.dispatchers]) this.deliver(d.heartbeat, linkId);
    });
  }

  private route(linkId: string, msg: Upstream): void {
    const key = `${linkId}\u0000${msg.session.conn_id}`;
    if (msg.kind === 'open') {
      const d = this.pick();
      if (!d) {
        let set = this.parked.get(linkId);
        if (!set) this.parked.set(linkId, (set = new Set()));
        set.add(msg.session.conn_id);
        return;
      }
      this.bound.set(key, d);
      this.deliver(d.up, msg);
      return;
    }
    const d = this.bound.get(key);
    if (msg.kind === 'close') {
      this.bound.delete(key);
      this.parked.get(linkId)?.delete(msg.session.conn_id);
    }
    if (d?.open) this.deliver(d.up, msg);
  }

  /** Round-robin over the live dispatch sides that take sessions. */
  private pick(): DispatchEnd | undefined {
    const live = this.dispatchers.filter((d) => d.open && d.takesSessions);
    if (live.length === 0) return undefined;
    return live[this.next++ % live.length];
  }

  private unpark(): void {
    const parked = [...this.parked];
    this.parked.clear();
    for (const [linkId, conns] of parked) if (conns.size) this.deliver(this.links.get(linkId)?.lost, [...conns]);
  }

  private deliver<T>(handlers: Set<Handler<T>> | undefined, msg: T): void {
    if (!handlers) return;
    for (const h of handlers) {
      try {
        h(msg);
      } catch (err) {
        this.onError(err);
      }
    }
  }
}

function splitKey(key: string): [string, string] {
  const i = key.indexOf('\u0000');
  return [key.slice(0, i), key.slice(i + 1)];
}

/** Resolve after every microtask queued so far has run. */
function drain(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
