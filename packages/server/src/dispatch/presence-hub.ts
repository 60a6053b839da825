import type { Platform, Presence, PresencePush } from '@parley/protocol';
import type { ConnRef, Location } from '../location/location.js';
import type { Pusher } from './pusher.js';

/**
 * Presence: who is online on which platforms, and live updates to the
 * connections that asked about a user (the `presence` op subscribes the asking
 * connection). Subscriptions live with the dispatcher that holds the session.
 */
export class PresenceHub {
  /** `${app}\0${watched user}` → watching connections */
  private readonly watchers = new Map<string, Map<string, ConnRef>>();
  /** conn id → keys it watches, for cleanup on close */
  private readonly watching = new Map<string, Set<string>>();

  constructor(private readonly location: Location, private readonly pusher: Pusher) {}

  async query(appId: string, userIds: readonly string[]): Promise<Presence[]> {
    const conns = await this.location.lookup(appId, userIds);
    const platforms = new Map<string, Set<Platform>>();
    for (const c of conns) {
      let s = platforms.get(c.user_id);
      if (!s) platforms.set(c.user_id, (s = new Set()));
      s.add(c.platform);
    }
    return userIds.map((u) => ({ user_id: u, online: platforms.has(u), platforms: [...(platforms.get(u) ?? [])] }));
  }

  watch(watcher: ConnRef, userIds: readonly string[]): void {
    let keys = this.watching.get(watcher.conn_id);
    if (!keys) this.watching.set(watcher.conn_id, (keys = new Set()));
    for (const u of userIds) {
      const k = `${watcher.app_id}\u0000${u}`;
      let m = this.watchers.get(k);
      if (!m) this.watchers.set(k, (m = new Map()));
      m.set(watcher.conn_id, watcher);
      keys.add(k);
    }
  }

  unwatchAll(connId: string): void {
    const keys = this.watching.get(connId);
    if (!keys) return;
    for (const k of keys) {
      const m = this.watchers.get(k);
      m?.delete(connId);
      if (m && m.size === 0) this.watchers.delete(k);
    }
    this.watching.delete(connId);
  }

  /** Tell the watchers of a user their current state (after a connect or disconnect). */
  async changed(appId: string, userId: string): Promise<void> {
    const m = this.watchers.get(`${appId}\u0000${userId}`);
    if (!m || m.size === 0) return;
    const [p] = await this.query(appId, [userId]);
    const push: PresencePush = { op: 'presence', ...p! };
    this.pusher.toConns([...m.values()], JSON.stringify(push));
  }
}
