import type { Platform, Presence, PresencePush } from '@parley/protocol';
import { LruCache } from '../cache/lru-cache.js';
import type { ControlPlane } from '../control/control-plane.js';
import type { ConnRef, Location } from '../location/location.js';
import type { Pusher } from './pusher.js';

/** Watched users per connection; the oldest watch goes first beyond it. */
const MAX_WATCHED_PER_CONN = 1000;

/**
 * Presence: who is online on which platforms, and live updates to the
 * connections that asked about a user (the `presence` op subscribes the asking
 * connection). Subscriptions live with the dispatcher that holds the session;
 * a change seen by one dispatcher (the user's first connection or last
 * disconnection, wherever it lands) goes to the others as `presence.changed`
 * on the control plane, and each pushes to its own watchers. Like every push
 * this is best effort: a client re-queries after a reconnect.
 */
export class PresenceHub {
  /** `${app}\0${watched user}` → watching connections */
  private readonly watchers = new Map<string, Map<string, ConnRef>>();
  /** conn id → keys it watches (bounded), for cleanup on close */
  private readonly watching = new Map<string, LruCache<string, true>>();

  constructor(private readonly location: Location, private readonly pusher: Pusher, private readonly control: ControlPlane) {
    control.on('presence.changed', (m, from) => (from === 'peer' ? this.pushToWatchers(m.app_id, m.user_id) : undefined));
  }

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
    const connId = watcher.conn_id;
    let keys = this.watching.get(connId);
    if (!keys) this.watching.set(connId, (keys = new LruCache(MAX_WATCHED_PER_CONN, (oldest) => this.dropWatcher(oldest, connId))));
    for (const u of userIds) {
      const k = `${watcher.app_id}\u0000${u}`;
      let m = this.watchers.get(k);
      if (!m) this.watchers.set(k, (m = new Map()));
      m.set(connId, watcher);
      keys.set(k, true);
    }
  }

  private dropWatcher(key: string, connId: string): void {
    const m = this.watchers.get(key);
    m?.delete(connId);
    if (m && m.size === 0) this.watchers.delete(key);
  }

  unwatchAll(connId: string): void {
    const keys = this.watching.get(connId);
    if (!keys) return;
    for (const k of keys.keys()) this.dropWatcher(k, connId);
    this.watching.delete(connId);
  }

  /** Tell the watchers of a user, here and on every other dispatcher, their current state (after a connect or disconnect). */
  async changed(appId: string, userId: string): Promise<void> {
    this.control.publish({ type: 'presence.changed', app_id: appId, user_id: userId });
    await this.pushToWatchers(appId, userId);
  }

  private async pushToWatchers(appId: string, userId: string): Promise<void> {
    const m = this.watchers.get(`${appId}\u0000${userId}`);
    if (!m || m.size === 0) return;
    const [p] = await this.query(appId, [userId]);
    const push: PresencePush = { op: 'presence', ...p! };
    this.pusher.toConns([...m.values()], JSON.stringify(push));
  }
}
