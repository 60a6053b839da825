/**
 * The control plane seam: cluster-wide invalidations and commands (DESIGN §2).
 *
 * Every per-process cache (apps, token revocation, groups and members, block
 * lists, "ensured" sets, presence watchers) and every cross-process command
 * (kicks from multi-login) goes through it.
 *
 * Guarantees every implementation gives:
 * - `publish` delivers the message to every subscriber of every process that
 *   is subscribed at that moment, the publishing process included (so one
 *   code path applies a change locally and remotely). Delivery is never
 *   synchronous: handlers run after `publish` was called, in a later task.
 * - Messages of one publisher arrive in the order they were published.
 *   Nothing is promised about order between publishers.
 * - At-most-once: a process that was disconnected may miss messages. When an
 *   implementation cannot rule that out (a lost subscription, a reconnect) it
 *   calls every `onReset` handler once it is subscribed again; a reset handler
 *   drops every cache it guards, so nothing stale is served after a gap.
 *   Handlers must tolerate extra calls: an implementation may also call them
 *   as soon as it notices the loss, so caches stop serving entries during
 *   the gap (recommended; the call after resubscribing is still required).
 * - Messages are JSON-serialisable objects with a string `type`; a handler
 *   must ignore types it does not know (rolling upgrades). Each process
 *   receives its own copy, as over a network.
 * - After `close`, no handler of that instance is called again.
 *
 * Caches built on this are for speed only: a late or lost invalidation may
 * make a process slower or briefly stale for settings, never let a
 * non-member read or send (membership checks that guard access re-read the
 * store on a miss and are invalidated before the change is acknowledged).
 */
export interface ControlMessage {
  type: string;
  [field: string]: unknown;
}

export type ControlHandler = (msg: ControlMessage) => void;

export interface Control {
  publish(msg: ControlMessage): Promise<void>;
  /** returns an unsubscribe function */
  subscribe(handler: ControlHandler): () => void;
  /** called after messages may have been missed; returns an unsubscribe function */
  onReset(handler: () => void): () => void;
  close(): Promise<void>;
}
