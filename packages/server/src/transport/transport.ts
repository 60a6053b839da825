import type { ClientFrame, Platform } from '@parley/protocol';

/**
 * The link ↔ dispatch transport seam.
 *
 * Upstream (link → dispatch): connection opened (after the link verified the
 * token), connection closed, and every validated client frame other than
 * `ping`. Downstream (dispatch → link): replies to one connection, pushes to
 * many connections with the payload encoded once, and kicks.
 *
 * Guarantees: frames of one connection reach dispatch in the order the link
 * received them, all through one dispatcher for the life of the connection
 * (a dispatcher failover re-opens the session on another one); downstream
 * messages to one link arrive in the order dispatch sent them. Delivery is
 * at-most-once: a broken link↔dispatch connection loses what was in flight,
 * and clients recover by resend (idempotent by cmid) and gap fill.
 */
export interface SessionInfo {
  app_id: string;
  user_id: string;
  conn_id: string;
  link_id: string;
  /**
   * the link process's boot id; filled in by transports that know it (TCP
   * stamps the one of the link's hello), so location entries and pushes of an
   * earlier life of a restarted link are fenced off
   */
  boot_id?: string;
  platform: Platform;
  device_id?: string;
  /** token issue time (ms): dispatch rejects tokens revoked after it */
  token_iat: number;
  connected_at: number;
}

export type Upstream =
  | { kind: 'open'; session: SessionInfo }
  | { kind: 'close'; session: SessionInfo }
  | { kind: 'frame'; session: SessionInfo; frame: ClientFrame };

/**
 * `boot_id`, when given, names the life of the link the targets live on: a
 * transport that knows the link's current boot id drops a message naming
 * another (a route of a restarted link's earlier life is never pushed to).
 */
export type Downstream =
  /** one pre-encoded server frame (JSON text) to one connection */
  | { kind: 'send'; link_id: string; boot_id?: string; conn_id: string; payload: string }
  /** one pre-encoded server frame to many connections of one link */
  | { kind: 'push'; link_id: string; boot_id?: string; conn_ids: string[]; payload: string }
  /** send the payload (a `kicked` frame), then close the connection */
  | { kind: 'kick'; link_id: string; boot_id?: string; conn_id: string; payload: string };

/** What a link holds: its way up to the dispatchers. */
export interface LinkSide {
  readonly linkId: string;
  /**
   * Hand one message up. false: refused for backpressure — the way to the
   * session's dispatcher is full (its bounded queue) — and dropped; the link
   * answers that request `unavailable` so the client retries after a backoff
   * instead of waiting for a timeout. A frame of a session with no dispatcher
   * bound (one went away, the re-open is pending) is not refused: it is
   * dropped, and re-sent with the session's other unanswered requests when
   * the session is re-opened.
   */
  up(msg: Upstream): boolean;
  /** downstream messages for this link arrive here */
  onDown(handler: (msg: Downstream) => void): void;
  /**
   * The dispatcher these sessions were bound to went away (or, for sessions
   * whose open found no dispatcher, one appeared): re-open them with
   * `up({ kind: 'open' })` — the transport binds each to a live dispatcher —
   * then re-send the requests they had not seen answered. Reported after
   * every downstream message that dispatcher sent before going away.
   */
  onSessionsLost(handler: (connIds: string[]) => void): void;
  /** this link goes away: what it sent before still arrives, then every dispatcher hears `onLinkGone` */
  close(): Promise<void>;
}

/** What a dispatcher holds: its way down to every link. */
export interface DispatchSide {
  /** upstream messages from any link arrive here */
  onUp(handler: (msg: Upstream) => void): void;
  down(msg: Downstream): void;
  /** a link went away: every session it held is gone */
  onLinkGone(handler: (linkId: string) => void): void;
  /** a link is alive (periodic, at least every few seconds while connected) */
  onLinkHeartbeat(handler: (linkId: string) => void): void;
  /**
   * This dispatcher goes away: nothing more comes up to it, nothing it sends
   * afterwards goes down, and the links hear `onSessionsLost` for the sessions
   * it held (after what it sent before). A graceful leave finishes its
   * in-flight work first (Dispatcher.leave).
   */
  close(): Promise<void>;
}
