import type { ConnRef, Location, LoginPolicy } from './location.js';

/**
 * In-memory location: the embedded default. Limits: one process only; all
 * entries vanish with it (clients reconnect and re-register).
 */
export class MemoryLocation implements Location {
  /** key `${app}\u0000${user}` → connections by conn id */
  private readonly users = new Map<string, Map<string, ConnRef>>();

  private key(appId: string, userId: string): string {
    return `${appId}\u0000${userId}`;
  }

  async register(conn: ConnRef, policy: LoginPolicy): Promise<{ kicked: ConnRef[]; first: boolean }> {
    const k = this.key(conn.app_id, conn.user_id);
    let conns = this.users.get(k);
    if (!conns) this.users.set(k, (conns = new Map()));
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
    const k = this.key(appId, userId);
    const conns = this.users.get(k);
    if (!conns) return true;
    conns.delete(connId);
    if (conns.size === 0) {
      this.users.delete(k);
      return true;
    }
    return false;
  }

  async lookup(appId: string, userIds: readonly string[]): Promise<ConnRef[]> {
    const out: ConnRef[] = [];
    for (const u of userIds) {
      const conns = this.users.get(this.key(appId, u));
      if (conns) for (const c of conns.values()) out.push(c);
    }
    return out;
  }

  async connectionsOfLink(linkId: string): Promise<ConnRef[]> {
    const out: ConnRef[] = [];
    for (const conns of this.users.values()) for (const c of conns.values()) if (c.link_id === linkId) out.push(c);
    return out;
  }

  async heartbeat(): Promise<void> {}

  async close(): Promise<void> {
    this.users.clear();
  }
}
