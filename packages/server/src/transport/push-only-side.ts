import type { DispatchSide, Downstream, Upstream } from './transport.js';

/**
 * The api role's way down to the links (HTTP sends, notifications, kicks by
 * the admin API): a dispatch side that only pushes.
 *
 * Guarantee: nothing ever comes up through it — the links dial the api's
 * listener like a dispatcher's but never bind a session to it (it is
 * announced as role `api`), and this wrapper hears no link loss or
 * heartbeat either, so the api never opens, closes or cleans up location
 * entries: those belong to the dispatchers that hold the sessions. Pushes
 * keep the inner side's guarantees (one frame per link per push, in order
 * per link, boot-id fencing, at-most-once).
 */
export class PushOnlySide implements DispatchSide {
  constructor(private readonly inner: DispatchSide) {}

  onUp(_handler: (msg: Upstream) => void): void {}

  onLinkGone(_handler: (linkId: string) => void): void {}

  onLinkHeartbeat(_handler: (linkId: string) => void): void {}

  down(msg: Downstream): void {
    this.inner.down(msg);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
