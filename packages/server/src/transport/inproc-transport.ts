import type { DispatchSide, Downstream, LinkSide, Upstream } from './transport.js';

/**
 * The link ↔ dispatch transport inside one process (embedded mode): one
 * dispatch side, any number of link sides, messages passed by reference.
 *
 * Same promises as the network transport, and the same timing: `up` and
 * `down` never call a handler synchronously — each message is delivered in a
 * later microtask, in the order it was sent (one FIFO queue for the whole
 * process, so per-connection and per-link order both hold). A handler can
 * therefore send from inside a handler without re-entering its caller.
 *
 * Limits: one process only. Messages are shared, not copied: neither side may
 * mutate a message after sending it. A message with no attached receiver
 * (no handler yet, unknown link, closed side) is dropped — the seam is
 * at-most-once, exactly like a broken TCP connection.
 */
export interface InProcTransportOptions {
  /** called when a handler throws; default: rethrow (crash loudly, as an uncaught listener error would) */
  onHandlerError?: (err: unknown) => void;
}

type Handler<T> = (msg: T) => void;

export class InProcTransport {
  readonly dispatchSide: DispatchSide;
  private readonly links = new Map<string, Set<Handler<Downstream>>>();
  private readonly upHandlers = new Set<Handler<Upstream>>();
  private dispatchOpen = true;
  private readonly onError: (err: unknown) => void;

  constructor(opts: InProcTransportOptions = {}) {
    this.onError = opts.onHandlerError ?? ((err) => { throw err; });
    const self = this;
    this.dispatchSide = {
      onUp(handler) {
        if (self.dispatchOpen) self.upHandlers.add(handler);
      },
      // One process: a link cannot vanish without closing, so these never fire (multi-dispatcher in-process transport: seams issue).
      onLinkGone() {},
      onLinkHeartbeat() {},
      down(msg) {
        // Resolve the receiver at delivery time: a link that closes meanwhile gets nothing.
        queueMicrotask(() => self.deliver(self.links.get(msg.link_id), msg));
      },
      async close() {
        self.dispatchOpen = false;
        self.upHandlers.clear();
        await drain();
      },
    };
  }

  /** Attach a link. Several links may attach; a link id is attached at most once at a time. */
  linkSide(linkId: string): LinkSide {
    if (this.links.has(linkId)) throw new Error(`link ${linkId} is already attached`);
    const handlers = new Set<Handler<Downstream>>();
    this.links.set(linkId, handlers);
    let open = true;
    const self = this;
    return {
      linkId,
      up(msg) {
        if (!open) return;
        queueMicrotask(() => self.deliver(self.dispatchOpen ? self.upHandlers : undefined, msg));
      },
      onDown(handler) {
        if (open) handlers.add(handler);
      },
      onSessionsLost() {},
      async close() {
        if (!open) return;
        open = false;
        // Messages this link sent before closing (e.g. the `close` of each of its
        // connections during shutdown) are already queued and still delivered.
        if (self.links.get(linkId) === handlers) self.links.delete(linkId);
        handlers.clear();
        await drain();
      },
    };
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

/** Resolve after every microtask queued so far has run. */
function drain(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
