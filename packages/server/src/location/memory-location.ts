import type { ConnRef, Location, LoginPolicy } from './location.js';

/**
 * In-memory location: the embedded default. Limits: one process only; all
 * entries vanish with it (clients reconnect and re-register).
 */
export class MemoryLocation implements Location {
  /** app → user → connections by conn id (nested, so a lookup of a big group's members builds no key strings) */
  private readonly apps = new Map<string, Map<string, Map<string, ConnRef>>>();

  async register(conn: ConnRef, policy: LoginPolicy): Promise<{ kicked: ConnRef[]; first: boolean }> {
    let users = this.apps.get(conn.app_id);
    if (!users) this.apps.set(conn.app_id, (users = new Map()));
    let conns = users.get(conn.user_id);
    if (!conns) users.set(conn.user_id, (conns = new Map()));
    const first = conns.size === 0;
    const kicked: ConnRef[] = [];
    for (const old of conns.values()) {
      if (old.conn_id === conn.conn_id) continue; // a re-open of the same session refreshes its entry
      if (policy === 'one_total' || (policy === 'one_per_platform' && old.platform === conn.platform)) kicked.push(old);
    }
    for (const old of kicked) conns.delete(old.conn_id);
    conns.set(conn.conn_id, conn);
    return { kicked, first };
  }

  async unregister(appId: string, userId: string, connId: string): Promise<boolean> {
    const users = this.apps.get(appId);
    const conns = users?.get(userId);
    if (!users || !conns) return true;
    conns.delete(connId);
    if (conns.size === 0) {
      users.delete(userId);
      if (users.size === 0) this.apps.delete(appId);
      return true;
    }
    return false;
  }

  async lookup(appId: string, userIds: readonly string[]): Promise<ConnRef[]> {
    const out: ConnRef[] = [];
    const users = this.apps.get(appId);
    if (!users) return out;
    for (const u of userIds) {
      const conns = users.get(u);
      if (conns) for (const c of conns.values()) out.push(c);
    }
    return out;
  }

  async connectionsOfLink(linkId: string): Promise<ConnRef[]> {
    const out: ConnRef[] = [];
    for (const users of this.apps.values()) {
      for (const conns of users.values()) for (const c of conns.values()) if (c.link_id === linkId) out.push(c);
    }
    return out;
  }

  async heartbeat(): Promise<void> {}

  async close(): Promise<void> {
    this.apps.clear();
  }
}
