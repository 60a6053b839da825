import type { ConnRef, Location } from '../location/location.js';
import type { DispatchSide } from '../transport/transport.js';

/**
 * Writes server frames to client connections through the transport: one
 * downstream message per link, the payload encoded once and the list of
 * target connections beside it (never one message per recipient).
 */
export class Pusher {
  constructor(private readonly transport: DispatchSide, private readonly location: Location) {}

  /** Push to every device of the given users, except one connection (the sender's). */
  async toUsers(appId: string, userIds: readonly string[], payload: string, exceptConnId?: string): Promise<number> {
    const conns = await this.location.lookup(appId, userIds);
    return this.toConns(conns, payload, exceptConnId);
  }

  toConns(conns: readonly ConnRef[], payload: string, exceptConnId?: string): number {
    const byLink = new Map<string, string[]>();
    for (const c of conns) {
      if (c.conn_id === exceptConnId) continue;
      let list = byLink.get(c.link_id);
      if (!list) byLink.set(c.link_id, (list = []));
      list.push(c.conn_id);
    }
    let n = 0;
    for (const [link_id, conn_ids] of byLink) {
      this.transport.down({ kind: 'push', link_id, conn_ids, payload });
      n += conn_ids.length;
    }
    return n;
  }

  sendTo(linkId: string, connId: string, payload: string): void {
    this.transport.down({ kind: 'send', link_id: linkId, conn_id: connId, payload });
  }

  kick(conn: Pick<ConnRef, 'link_id' | 'conn_id'>, payload: string): void {
    this.transport.down({ kind: 'kick', link_id: conn.link_id, conn_id: conn.conn_id, payload });
  }
}
